"""Bit-level I/O: a bit writer/reader in both bit orders, vectorized code packing, varints.

Every codec that writes fewer than 8 bits at a time goes through this module, so the
bit order is decided in one place.  Two orders exist in the formats we implement:

=========  =============================================  ==========================
order      rule                                           used by
=========  =============================================  ==========================
``"msb"``  each value's most significant bit first; a     JPEG (T.81 F.1.2.3),
           byte is filled from bit 7 down to bit 0        our Huffman streams
``"lsb"``  each value's least significant bit first; a    Unix ``compress`` (.Z),
           byte is filled from bit 0 up to bit 7          DEFLATE (RFC 1951 3.1.1)
=========  =============================================  ==========================

Worked byte: writing the 3-bit value ``0b101`` and then the 1-bit value ``1`` gives

* ``"msb"``: bits 1,0,1,1 land in bits 7,6,5,4 -> ``0b1011_0000`` = ``0xB0``;
* ``"lsb"``: bits 1,0,1 (low bit first) then 1 land in bits 0,1,2,3 -> ``0b0000_1101`` = ``0x0D``.

Contents

* :class:`BitWriter` / :class:`BitReader`: the plain, one-value-at-a-time pair.
* :func:`pack_codes`: the same bits as a :class:`BitWriter` loop, computed for a whole
  array of (code, length) pairs at once with NumPy; :func:`pack_codes_loop` is the
  loop it replaces (kept for teaching and as the test oracle).
* :func:`unpack_bits`: bytes to an array of 0/1 bits in either order.
* :func:`write_varint` / :func:`read_varint`: unsigned LEB128 integers (byte aligned).

What it does NOT do: byte stuffing (JPEG's ``FF 00`` belongs to ``classical.jpeg``),
files or streams (everything is in memory), or signed varints.

Varints (unsigned LEB128)
-------------------------
An unsigned integer ``n`` is written 7 bits at a time, least significant group
first; every byte but the last has its high bit (0x80) set:

======  ====================
value   bytes
======  ====================
0       ``00``
127     ``7F``
128     ``80 01``
300     ``AC 02``
======  ====================
"""

from __future__ import annotations

import operator
import sys

import numpy as np

from fundamentals.errors import CorruptStreamError

__all__ = [
    "BitReader",
    "BitWriter",
    "pack_codes",
    "pack_codes_loop",
    "read_varint",
    "unpack_bits",
    "write_varint",
]

#: Longest varint accepted by :func:`read_varint` (10 bytes hold 64 bits).
MAX_VARINT_BYTES = 10
#: Widest value that :meth:`BitWriter.write` / :meth:`BitReader.read` move at once.
MAX_BITS = 64
#: Longest code accepted by :func:`pack_codes`.
MAX_CODE_BITS = 32

_ORDERS = ("msb", "lsb")
#: Codes packed per NumPy pass in :func:`pack_codes`.  Blocks keep the temporaries small:
#: they stay in cache and the allocator reuses their memory, where one pass over a
#: million codes spends much of its time page-faulting in fresh multi-megabyte arrays.
_BLOCK = 1 << 15


def _check_order(order: str) -> str:
    if order not in _ORDERS:
        raise ValueError(f"bit order {order!r} not in {_ORDERS}")
    return order


def _check_nbits(nbits: int) -> int:
    nbits = operator.index(nbits)
    if not 0 <= nbits <= MAX_BITS:
        raise ValueError(f"nbits {nbits} out of range [0, {MAX_BITS}]")
    return nbits


# ---- one value at a time ---------------------------------------------------------------


class BitWriter:
    """Collect values of 0 to 64 bits into bytes.

    Bit order (see the module docstring):

    * ``order="msb"``: a value goes out most significant bit first, and each byte
      fills from bit 7 down.  ``write(0b101, 3); write(1, 1)`` gives ``0xB0``
      (bits 1,0,1,1,0,0,0,0 from bit 7 to bit 0).
    * ``order="lsb"``: a value goes out least significant bit first, and each byte
      fills from bit 0 up.  The same writes give ``0x0D``: read from bit 0 up,
      ``0x0D`` is 1,0,1,1,0,0,0,0.

    Padding: :meth:`getvalue` pads a final partial byte with 0-bits (without
    changing the writer); :meth:`align` pads with 0- or 1-bits for good.

    Parameters
    ----------
    order : {"msb", "lsb"}
        Bit order.

    Examples
    --------
    >>> w = BitWriter()
    >>> w.write(0b101, 3); w.write(1, 1)
    >>> w.getvalue().hex(), w.nbits
    ('b0', 4)
    >>> w = BitWriter("lsb")
    >>> w.write(0b101, 3); w.write(1, 1)
    >>> w.getvalue().hex()
    '0d'
    """

    def __init__(self, order: str = "msb") -> None:
        self.order = _check_order(order)
        self._out = bytearray()
        self._acc = 0  # pending bits, fewer than 8 after each write
        self._nacc = 0  # how many bits _acc holds

    @property
    def nbits(self) -> int:
        """Number of bits written so far (padding from :meth:`align` included)."""
        return 8 * len(self._out) + self._nacc

    def write(self, value: int, nbits: int) -> None:
        """Append the ``nbits``-bit unsigned integer ``value``.

        Parameters
        ----------
        value : int
            ``0 <= value < 2**nbits``; NumPy integers are accepted.
        nbits : int
            Width, 0 to 64.  ``nbits=0`` writes nothing (``value`` must be 0).

        Raises
        ------
        ValueError
            If ``nbits`` is out of range or ``value`` does not fit in it.
        """
        value = operator.index(value)
        nbits = _check_nbits(nbits)
        if value < 0 or value >> nbits:
            raise ValueError(f"value {value} does not fit in {nbits} bits")
        if self.order == "msb":
            acc = (self._acc << nbits) | value
            nacc = self._nacc + nbits
            nbytes = nacc >> 3
            if nbytes:
                nacc -= 8 * nbytes
                self._out += (acc >> nacc).to_bytes(nbytes, "big")
                acc &= (1 << nacc) - 1
        else:
            acc = self._acc | (value << self._nacc)
            nacc = self._nacc + nbits
            nbytes = nacc >> 3
            if nbytes:
                nacc -= 8 * nbytes
                self._out += (acc & ((1 << (8 * nbytes)) - 1)).to_bytes(nbytes, "little")
                acc >>= 8 * nbytes
        self._acc, self._nacc = acc, nacc

    def align(self, fill: int = 0) -> None:
        """Pad to the next byte boundary with ``fill`` bits (0 or 1); no-op if aligned."""
        if fill not in (0, 1):
            raise ValueError(f"fill bit {fill} not in (0, 1)")
        pad = -self._nacc % 8
        self.write((1 << pad) - 1 if fill else 0, pad)

    def getvalue(self) -> bytes:
        """The bytes so far, the last partial byte padded with 0-bits.

        The writer is not changed: more bits can be written afterwards.
        """
        if not self._nacc:
            return bytes(self._out)
        if self.order == "msb":
            last = self._acc << (8 - self._nacc)
        else:
            last = self._acc
        return bytes(self._out) + bytes([last])


class BitReader:
    """Read values of 0 to 64 bits from bytes; the mirror of :class:`BitWriter`.

    ``order`` has the same meaning as for :class:`BitWriter`: with ``"msb"`` the
    byte ``0xB0`` reads as bits 1,0,1,1,0,0,0,0; with ``"lsb"`` the byte ``0x0D``
    reads as 1,0,1,1,0,0,0,0.  Reading past the end raises
    :class:`~fundamentals.errors.CorruptStreamError` (a truncated stream), never
    ``IndexError``.

    Parameters
    ----------
    data : bytes-like
        The stream.
    order : {"msb", "lsb"}
        Bit order.

    Examples
    --------
    >>> r = BitReader(bytes([0xB0]))
    >>> r.read(3), r.read_bit(), r.position, r.bits_left
    (5, 1, 4, 4)
    >>> r = BitReader(bytes([0x0D]), "lsb")
    >>> r.read(3), r.read(1)
    (5, 1)
    """

    def __init__(self, data, order: str = "msb") -> None:
        self.order = _check_order(order)
        self._data = bytes(data)
        self._pos = 0
        self._end = 8 * len(self._data)

    @property
    def position(self) -> int:
        """Number of bits consumed so far."""
        return self._pos

    @property
    def bits_left(self) -> int:
        """Number of bits not read yet."""
        return self._end - self._pos

    def read(self, nbits: int) -> int:
        """Read an ``nbits``-bit unsigned integer (0 to 64 bits).

        Raises
        ------
        CorruptStreamError
            If fewer than ``nbits`` bits are left.
        """
        nbits = _check_nbits(nbits)
        pos = self._pos
        if nbits > self._end - pos:
            raise CorruptStreamError(
                f"stream ends: {nbits} bits wanted at bit {pos}, {self._end - pos} left"
            )
        first, last = pos >> 3, (pos + nbits + 7) >> 3
        chunk = self._data[first:last]
        if self.order == "msb":
            # chunk holds 8*len(chunk) bits; ours start (pos & 7) bits in
            value = int.from_bytes(chunk, "big") >> (8 * len(chunk) - (pos & 7) - nbits)
        else:
            value = int.from_bytes(chunk, "little") >> (pos & 7)
        self._pos = pos + nbits
        return value & ((1 << nbits) - 1)

    def read_bit(self) -> int:
        """Read one bit (0 or 1)."""
        pos = self._pos
        if pos >= self._end:
            raise CorruptStreamError(f"stream ends: 1 bit wanted at bit {pos}, 0 left")
        byte = self._data[pos >> 3]
        self._pos = pos + 1
        if self.order == "msb":
            return (byte >> (7 - (pos & 7))) & 1
        return (byte >> (pos & 7)) & 1

    def align(self) -> None:
        """Skip to the next byte boundary (the padding written by :meth:`BitWriter.align`)."""
        self._pos = min(-(-self._pos // 8) * 8, self._end)


# ---- whole arrays at once ---------------------------------------------------------------


def pack_codes(codes, lengths, *, order: str = "msb", fill: int = 0) -> bytes:
    """Concatenate variable-length codes into bytes, vectorized.

    The result equals writing ``codes[i]`` with ``lengths[i]`` bits to a
    :class:`BitWriter` for every ``i`` in turn, then ``align(fill)``, but without a
    Python loop.

    Parameters
    ----------
    codes : array_like of int
        Codes; only the low ``lengths[i]`` bits of ``codes[i]`` are used.
    lengths : array_like of int
        Code lengths in bits, 0 to 32 (0 writes nothing), same shape as ``codes``.
    order : {"msb", "lsb"}
        Bit order, as in :class:`BitWriter`.
    fill : {0, 1}
        Bit value that pads the last byte (JPEG pads with 1-bits, T.81 F.1.2.3).

    Returns
    -------
    bytes
        ``ceil(sum(lengths) / 8)`` bytes.

    Notes
    -----
    Code ``i`` starts at bit offset :math:`s_i = \\sum_{j<i} \\ell_j` (an exclusive
    cumulative sum).  The stream is cut into 32-bit words; since
    :math:`\\ell_i \\le 32`, code ``i`` touches at most words
    :math:`w = \\lfloor s_i/32 \\rfloor` and :math:`w+1`, starting
    :math:`r = s_i \\bmod 32` bits into word :math:`w`.  All the work is in 32-bit
    integers:

    1. Keep the low :math:`\\ell_i` bits of :math:`c_i` by shifting them to the top
       of a 32-bit word (``"lsb"`` shifts them back down again).
    2. If every code has at most 16 bits, join neighbours: codes :math:`2j` and
       :math:`2j+1` become one code of at most 32 bits, and there are half as many
       codes left to place.  Repeat while that still fits.
    3. Split each code into its parts in words :math:`w` and :math:`w+1`.  For
       ``"msb"`` (big-endian words, the code at the top of its 32 bits) they are
       ``c >> r`` and ``c << (32 - r)``; for ``"lsb"`` (little-endian words, the
       code at the bottom) ``c << r`` and ``c >> (32 - r)``.  A shift by 32 bits
       gives 0 in NumPy, which is right for a code that ends inside word :math:`w`.
    4. Add the parts into their words with ``np.add.at`` (unbuffered, so repeated
       word indices all count).  Adding is the same as OR because no two codes
       share a bit, so it cannot carry or overflow.

    The array is processed in blocks of 32768 codes so that the temporaries stay
    small; a word straddling two blocks receives one part from each.

    Examples
    --------
    >>> pack_codes([0b101, 1], [3, 1]).hex(), pack_codes([0b101, 1], [3, 1], order="lsb").hex()
    ('b0', '0d')
    >>> pack_codes([0b101], [3], fill=1).hex()
    'bf'
    """
    codes, lengths, order, fill = _check_pack_args(codes, lengths, order, fill)
    total = int(lengths.sum(dtype=np.int64))
    if not total:
        return b""
    joins = 0  # how often neighbours can be joined (step 2): while they fit in 32 bits
    longest = int(lengths.max())
    while 2 * longest <= MAX_CODE_BITS:
        longest, joins = 2 * longest, joins + 1
    words = np.zeros(total // 32 + 2, dtype=np.uint32)  # room for word + 1 of the last code
    start = 0  # bit offset of the block's first code
    for i in range(0, lengths.size, _BLOCK):
        start = _pack_block(codes[i : i + _BLOCK], lengths[i : i + _BLOCK], start, words, order, joins)
    if (order == "msb") == (sys.byteorder == "little"):
        words.byteswap(inplace=True)  # to the stream's byte order: big-endian for "msb"
    out = words.view(np.uint8)[: (total + 7) // 8]
    _fill_last_byte(out, total, order, fill)
    return out.tobytes()


def pack_codes_loop(codes, lengths, *, order: str = "msb", fill: int = 0) -> bytes:
    """:func:`pack_codes` as a plain loop over a :class:`BitWriter` (teaching version).

    Same arguments and result as :func:`pack_codes`, 100 to 200 times slower.

    Examples
    --------
    >>> pack_codes_loop([0b101, 1], [3, 1]).hex()
    'b0'
    """
    codes, lengths, order, fill = _check_pack_args(codes, lengths, order, fill)
    writer = BitWriter(order)
    for code, length in zip(codes.tolist(), lengths.tolist()):
        writer.write(code & ((1 << length) - 1), length)  # the low `length` bits
    writer.align(fill)
    return writer.getvalue()


def unpack_bits(data, order: str = "msb") -> np.ndarray:
    """Split bytes into their bits, in stream order.

    Parameters
    ----------
    data : bytes-like
        The bytes.
    order : {"msb", "lsb"}
        ``"msb"`` lists each byte's bit 7 first, ``"lsb"`` its bit 0 first.

    Returns
    -------
    np.ndarray of uint8
        ``8 * len(data)`` values, each 0 or 1.

    Examples
    --------
    >>> unpack_bits(b"\\xb0").tolist()
    [1, 0, 1, 1, 0, 0, 0, 0]
    >>> unpack_bits(b"\\x0d", "lsb").tolist()
    [1, 0, 1, 1, 0, 0, 0, 0]
    """
    bitorder = "big" if _check_order(order) == "msb" else "little"
    return np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8), bitorder=bitorder)


def _pack_block(codes, lengths, start, words, order, joins) -> int:
    """Add one block of codes into ``words``; return the bit offset after it.

    The steps are those of :func:`pack_codes`'s Notes.
    """
    ell = lengths.astype(np.uint32)
    c = codes.astype(np.uint32)  # the low 32 bits, all a code may use
    # 1. keep the low `ell` bits (a shift by 32, for ell = 0, gives 0)
    shift = np.uint32(32) - ell
    c <<= shift  # "msb": the code at the top of the word
    if order == "lsb":
        c >>= shift  # "lsb": the code at the bottom
    # 2. join codes 2j and 2j+1 (the second follows the first in the stream)
    for _ in range(joins):
        if c.size % 2:  # pad with an empty code
            c, ell = np.append(c, np.uint32(0)), np.append(ell, np.uint32(0))
        first, second = c[0::2], c[1::2]  # views into the new `c`: safe to change
        if order == "msb":
            second >>= ell[0::2]
        else:
            second <<= ell[0::2]
        c, ell = first | second, ell[0::2] + ell[1::2]
    # 3. bit offsets within the block (< 2**32), counted from the start of word start >> 5
    pos = np.cumsum(ell, dtype=np.uint32)
    end = start + int(pos[-1])
    pos -= ell
    pos += np.uint32(start & 31)
    r = pos & np.uint32(31)
    word = pos >> np.uint32(5)
    if order == "msb":
        head = c >> r
        tail = c << (np.uint32(32) - r)
    else:
        head = c << r
        tail = c >> (np.uint32(32) - r)
    # 4. add (= OR) each code's parts into words w and w + 1
    block_words = words[start >> 5 :]  # a view: np.add.at writes through to `words`
    np.add.at(block_words, word, head)
    word += np.uint32(1)
    np.add.at(block_words, word, tail)
    return end


def _check_pack_args(codes, lengths, order, fill):
    _check_order(order)
    if fill not in (0, 1):
        raise ValueError(f"fill bit {fill} not in (0, 1)")
    codes, lengths = np.asarray(codes), np.asarray(lengths)
    if codes.shape != lengths.shape:
        raise ValueError(f"codes shape {codes.shape} != lengths shape {lengths.shape}")
    for name, arr in (("codes", codes), ("lengths", lengths)):
        if arr.size and arr.dtype.kind not in "iu":
            raise ValueError(f"{name} must be integers, got dtype {arr.dtype}")
    codes, lengths = codes.ravel(), lengths.ravel()
    if lengths.size and not 0 <= lengths.min() <= lengths.max() <= MAX_CODE_BITS:
        raise ValueError(
            f"code lengths must lie in [0, {MAX_CODE_BITS}], got [{lengths.min()}, {lengths.max()}]"
        )
    return codes, lengths, order, fill


def _fill_last_byte(out, total: int, order: str, fill: int) -> None:
    """Set the padding bits of the last byte of ``out`` (a bytearray or uint8 array)."""
    used = total % 8
    if fill and used:
        out[-1] |= (0xFF >> used) if order == "msb" else (0xFF << used) & 0xFF


# ---- varints (byte aligned) ---------------------------------------------------------------


def write_varint(n: int) -> bytes:
    """Encode a non-negative integer as unsigned LEB128.

    Parameters
    ----------
    n : int
        Value, ``0 <= n < 2**64``.

    Returns
    -------
    bytes
        1 to 10 bytes, low 7-bit group first, continuation bit 0x80.

    Examples
    --------
    >>> write_varint(300).hex()
    'ac02'
    """
    n = int(n)
    if not 0 <= n < 1 << 64:
        raise ValueError(f"varint value {n} out of range [0, 2**64)")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data: bytes, pos: int = 0) -> tuple[int, int]:
    """Decode an unsigned LEB128 integer starting at ``data[pos]``.

    Parameters
    ----------
    data : bytes
        The buffer.
    pos : int
        Offset of the first byte of the varint.

    Returns
    -------
    value, next_pos : int, int
        The integer and the offset just past it.

    Raises
    ------
    CorruptStreamError
        If the buffer ends inside the varint or it is longer than 10 bytes.

    Examples
    --------
    >>> read_varint(bytes([0xAC, 0x02, 0xFF]))
    (300, 2)
    """
    value = 0
    for i in range(MAX_VARINT_BYTES):
        if pos + i >= len(data):
            raise CorruptStreamError("stream ends inside a varint")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, pos + i + 1
    raise CorruptStreamError(f"varint longer than {MAX_VARINT_BYTES} bytes")
