"""Canonical, length-limited Huffman coding of bytes and of symbol arrays.

A static (two-pass) order-0 coder: count the symbols, give each a prefix-free code
whose length is close to :math:`-\\log_2 p`, store the code lengths, then the codes.

* :func:`code_lengths` finds optimal code lengths no longer than ``max_len`` bits with
  the package-merge algorithm (Larmore & Hirschberg 1990) instead of Huffman's tree
  (Huffman 1952), because formats cap the length: 15 bits here and in DEFLATE, 16 in
  JPEG (T.81 Annex C / K.2).  Without a binding cap the total is the same as Huffman's.
* :func:`canonical_codes` turns lengths into the canonical code of DEFLATE
  (RFC 1951 3.2.2): shorter codes first, equal lengths in symbol order, so the
  lengths alone describe the code.
* :func:`encode_symbols` / :func:`decode_symbols` code any integer array with an
  alphabet of up to 65,536 symbols (other codecs reuse them);
  :func:`compress` / :func:`decompress` are the bytes -> bytes pair (alphabet 256),
  and :func:`encode` / :func:`decode` the image codec (samples in the container).
* :func:`decode_symbols_slow` walks the code tree bit by bit: the teaching version
  and the test oracle of the table-driven :func:`decode_symbols`.

What it does NOT do: adaptive codes, several tables per stream (zlib changes its table
every block, which is why ``zlib`` Huffman-only can be a little smaller on mixed
files), an end-of-block symbol (the count is stored instead), or DEFLATE/JPEG syntax.

Stream layout (varints are unsigned LEB128, :func:`fundamentals.bitio.write_varint`)

===============  ==========  ==========================================================
field            size        meaning
===============  ==========  ==========================================================
format byte      1           :data:`MAGIC` (``0xC8``): this layout, version 1
alphabet size m  varint      1 .. :data:`MAX_ALPHABET`
symbol count n   varint      at most :data:`MAX_SYMBOLS` and at most 8 x payload bytes
code lengths     variable    the m lengths as 4-bit nibbles, MSB-first: a nibble 1..15
                             is the next symbol's length; nibble 0 and an 8-bit r
                             are r+1 zero lengths; 0-bits pad to a byte
chunk size C     varint      1 .. :data:`MAX_CHUNK` symbols per chunk
chunk lengths    varints     bit length of chunks 0 .. K-2, K = ceil(n / C); chunk k
                             starts where chunk k-1 ends (no gaps)
payload          the rest    the n codes back to back, MSB-first (each code's first
                             bit is its most significant), 0-bits pad the last byte
===============  ==========  ==========================================================

The chunk lengths are an index: they let :func:`decode_symbols` start every chunk
at once and decode all chunks in lockstep with NumPy.  A decoder that ignores them
(:func:`decode_symbols_slow`) reads the same payload straight through.

References
----------
D. A. Huffman, "A method for the construction of minimum-redundancy codes",
Proc. IRE 40(9), 1952.  L. L. Larmore and D. S. Hirschberg, "A fast algorithm for
optimal length-limited Huffman codes", J. ACM 37(3), 1990.  P. Deutsch, RFC 1951
(DEFLATE), section 3.2.2 (canonical codes).

Examples
--------
>>> packed = compress(b"mississippi")
>>> decompress(packed)
b'mississippi'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundamentals.bitio import BitReader, BitWriter, pack_codes, read_varint, write_varint
from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError
from fundamentals.imageio import check_image

__all__ = [
    "canonical_codes",
    "code_lengths",
    "compress",
    "decode",
    "decode_symbols",
    "decode_symbols_slow",
    "decompress",
    "encode",
    "encode_symbols",
]

MAGIC = 0xC8
#: Longest code a stream may use (the lengths are stored as 4-bit nibbles).
MAX_LEN = 15
#: Largest alphabet (symbols ``0 .. MAX_ALPHABET - 1``).
MAX_ALPHABET = 1 << 16
#: Most symbols one stream may hold (checked before the output is allocated).
MAX_SYMBOLS = 1 << 31
#: Largest chunk size accepted.
MAX_CHUNK = 1 << 20
#: Default chunk size: the fast decoder runs ``C`` NumPy steps over ``n / C`` lanes.
CHUNK = 1024

_INVALID = 1 << 30  # decode-table "length" of a bit pattern that starts no code: it throws
# the lane far past the payload, which the end-of-chunk checks then catch


# ---- bytes -> bytes ------------------------------------------------------------------------


def compress(data: bytes) -> bytes:
    """Huffman-code a byte string (alphabet of 256 byte values).

    Examples
    --------
    >>> len(compress(b"")), decompress(compress(b""))
    (8, b'')
    """
    return encode_symbols(np.frombuffer(bytes(data), dtype=np.uint8), 256)


def decompress(data: bytes) -> bytes:
    """Invert :func:`compress`.

    Raises
    ------
    CorruptStreamError
        If ``data`` is not a Huffman stream of bytes (alphabet 256) or is damaged.
    """
    return decode_symbols(data, alphabet_size=256).tobytes()


# ---- images --------------------------------------------------------------------------------


def encode(img: np.ndarray) -> bytes:
    """Huffman-code the samples of an image (order 0, one table for all planes).

    The samples are taken in C order (row, column, channel) and coded by
    :func:`encode_symbols` with the 256 byte values as alphabet; the stream is
    wrapped in the container (codec id ``huffman``) so the shape travels with it.
    The rate is close to the order-0 entropy of the samples: the yardstick that
    predictive and transform coders beat by removing the correlation first.

    Examples
    --------
    >>> img = np.array([[0, 0, 0, 255]], np.uint8)
    >>> decode(encode(img)).tolist()
    [[0, 0, 0, 255]]
    """
    img = check_image(img)
    return pack("huffman", encode_symbols(img.reshape(-1), 256), shape=img.shape)


def decode(data: bytes) -> np.ndarray:
    """Invert :func:`encode`.

    Raises
    ------
    CorruptStreamError
        Not a ``huffman`` image stream, or damaged.
    """
    header, payload = unpack(data, codec="huffman")
    shape = header.shape
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3) or header.dtype != "uint8":
        raise CorruptStreamError(f"huffman stream has an impossible image shape {shape}")
    samples = decode_symbols(payload, alphabet_size=256)
    if samples.size != int(np.prod(shape)):
        raise CorruptStreamError(f"{samples.size} samples decoded, the shape {shape} needs {int(np.prod(shape))}")
    return samples.astype(np.uint8).reshape(shape)


# ---- symbol arrays -------------------------------------------------------------------------


def encode_symbols(symbols, alphabet_size: int, *, max_len: int = MAX_LEN, chunk_size: int = CHUNK) -> bytes:
    """Huffman-code an array of integer symbols; the stream is self-contained.

    Parameters
    ----------
    symbols : array_like of int
        Values in ``[0, alphabet_size)``; flattened (the shape is not stored).
    alphabet_size : int
        Number of possible symbols, 1 to 65,536.
    max_len : int
        Longest code allowed, 1 to 15; at most ``2**max_len`` distinct symbols.
    chunk_size : int
        Symbols per chunk (see the module docstring), 1 to 2**20.

    Returns
    -------
    bytes
        The stream laid out as in the module docstring.

    Examples
    --------
    >>> blob = encode_symbols([3, 3, 0, 3, 1000], 1024)
    >>> decode_symbols(blob).tolist()
    [3, 3, 0, 3, 1000]
    """
    symbols = _check_symbols(symbols, alphabet_size)
    if not 1 <= max_len <= MAX_LEN:
        raise ValueError(f"max_len {max_len} out of range [1, {MAX_LEN}]")
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk_size {chunk_size} out of range [1, {MAX_CHUNK}]")
    lengths = code_lengths(np.bincount(symbols, minlength=alphabet_size), max_len)
    codes = canonical_codes(lengths)
    bits = np.take(lengths, symbols)  # code length of every symbol, one gather
    chunk_bits = np.add.reduceat(bits, np.arange(0, symbols.size, chunk_size), dtype=np.int64)
    header = bytearray([MAGIC])
    header += write_varint(alphabet_size) + write_varint(symbols.size)
    header += _write_lengths(lengths)
    header += write_varint(chunk_size)
    for nbits in chunk_bits[:-1].tolist():
        header += write_varint(nbits)
    return bytes(header) + pack_codes(np.take(codes, symbols), bits)


def decode_symbols(data: bytes, *, alphabet_size: int | None = None) -> np.ndarray:
    """Decode a stream of :func:`encode_symbols`, all chunks in lockstep (table-driven).

    With ``maxlen`` the longest code in the stream, a table of :math:`2^{maxlen}`
    entries maps the next ``maxlen`` bits to (symbol, code length): a code ``c`` of
    length ``l`` owns the :math:`2^{maxlen - l}` entries that start with ``c``.
    Each chunk is a lane with its own bit position ``p``; one step peeks ``maxlen``
    bits at every lane's ``p``, looks them up, stores the symbols and advances every
    ``p`` by its code length.  ``C`` steps over ``n / C`` lanes decode the stream.

    Parameters
    ----------
    data : bytes
        The stream.
    alphabet_size : int, optional
        If given, the stream's alphabet size must equal it.

    Returns
    -------
    np.ndarray
        The ``n`` symbols, 1-D; ``uint8`` if the alphabet has at most 256 symbols,
        else ``uint16``.

    Raises
    ------
    CorruptStreamError
        Truncated or damaged stream, wrong format byte, over-full code, chunk lengths
        that do not match the payload, a bit pattern that is no code.

    Examples
    --------
    >>> decode_symbols(encode_symbols([1, 0, 1], 2)).tolist()
    [1, 0, 1]
    """
    head = _read_header(data, alphabet_size)
    out = np.zeros(head.n, dtype=head.dtype)
    if head.n == 0:
        return out
    maxlen = int(head.lengths.max())
    table = _decode_table(head.lengths, maxlen)
    payload = np.frombuffer(head.payload, dtype=np.uint8).astype(np.int64)
    padded = np.concatenate([payload, np.zeros(3, dtype=np.int64)])
    # window[i] = payload bytes i..i+3 as a big-endian 32-bit number
    window = (padded[:-3] << 24) | (padded[1:-2] << 16) | (padded[2:-1] << 8) | padded[3:]
    k = head.offsets.size
    lanes = np.zeros((min(head.chunk_size, head.n), k), dtype=head.dtype)  # lanes[step, chunk]
    pos = head.offsets.copy()
    n_last = head.n - (k - 1) * head.chunk_size  # symbols in the last chunk
    _run_lanes(window, table, maxlen, pos, lanes[:n_last])
    if k > 1:  # the other chunks hold chunk_size symbols each
        _run_lanes(window, table, maxlen, pos[:-1], lanes[n_last:, :-1])
    _check_chunk_ends(pos[:-1], head.offsets[1:])
    _check_payload_end(int(pos[-1]), len(head.payload))
    out[: (k - 1) * head.chunk_size] = lanes[:, :-1].T.ravel()
    out[(k - 1) * head.chunk_size :] = lanes[:n_last, -1]
    return out


def decode_symbols_slow(data: bytes, *, alphabet_size: int | None = None) -> np.ndarray:
    """Decode a stream of :func:`encode_symbols` bit by bit down the code tree.

    The teaching version of :func:`decode_symbols` (same result, same errors, about
    100x slower): start at the root, follow the branch of each bit read (0 left,
    1 right) until a leaf, emit its symbol, start again at the root.

    Examples
    --------
    >>> decode_symbols_slow(encode_symbols([1, 0, 1], 2)).tolist()
    [1, 0, 1]
    """
    head = _read_header(data, alphabet_size)
    out = np.zeros(head.n, dtype=head.dtype)
    if head.n == 0:
        return out
    root = _code_tree(head.lengths)
    reader = BitReader(head.payload)
    for i in range(head.n):
        if i % head.chunk_size == 0 and reader.position != head.offsets[i // head.chunk_size]:
            k = i // head.chunk_size
            raise CorruptStreamError(f"chunk {k - 1} ends at bit {reader.position}, the index says {head.offsets[k]}")
        node = root
        while isinstance(node, list):
            node = node[reader.read_bit()]
        if node is None:
            raise CorruptStreamError(f"bits before bit {reader.position} form no code")
        out[i] = node
    _check_payload_end(reader.position, len(head.payload))
    return out


# ---- code construction -----------------------------------------------------------------


def code_lengths(freqs, max_len: int) -> np.ndarray:
    """Optimal prefix-code lengths of at most ``max_len`` bits (package-merge).

    Parameters
    ----------
    freqs : array_like of int
        Count of every symbol, ``freqs[s] >= 0``; symbols with count 0 get no code.
    max_len : int
        Longest code allowed, >= 1; needs ``2**max_len`` >= number of used symbols.

    Returns
    -------
    np.ndarray of uint8
        ``lengths[s]``: 0 for unused symbols.  One used symbol gets length 1.

    Notes
    -----
    The lengths minimize the total :math:`\\sum_s f_s \\ell_s` subject to
    :math:`\\ell_s \\le` ``max_len`` and the Kraft inequality
    :math:`\\sum_s 2^{-\\ell_s} \\le 1`, which every prefix code obeys (it holds with
    equality here: the code is complete).

    Package-merge (Larmore & Hirschberg 1990): a leaf (symbol) at depth ``l`` is
    ``l`` "coins", one of width :math:`2^{-d}` for each depth ``d = 1..l``, worth
    its frequency.  Start with the list of leaves sorted by frequency (the coins of
    depth ``max_len``).  ``max_len - 1`` times: pair up neighbours into "packages"
    (worth the sum of the pair) and merge them into a fresh copy of the leaves,
    sorted.  The first ``2n - 2`` items of the last list are the cheapest coin set
    of total width ``n - 1``; a symbol's code length is the number of those items,
    unpacked down through every list, that contain its leaf.

    Ties (a deterministic rule, so the same counts always give the same bytes):
    leaves are sorted by (frequency, symbol) and a leaf precedes a package of
    equal weight.

    Examples
    --------
    >>> code_lengths([4, 1, 2, 4], 15).tolist()   # 'i', 'm', 'p', 's' in "mississippi"
    [2, 3, 3, 1]
    >>> code_lengths([1, 1, 2, 3, 5, 8, 13, 21], 15).tolist()   # Fibonacci: the deepest tree
    [7, 7, 6, 5, 4, 3, 2, 1]
    >>> code_lengths([1, 1, 2, 3, 5, 8, 13, 21], 4).tolist()   # the same, capped at 4 bits
    [4, 4, 4, 4, 3, 3, 2, 2]
    """
    freqs = np.asarray(freqs)
    if freqs.ndim != 1 or (freqs.size and freqs.dtype.kind not in "iu"):
        raise ValueError(f"freqs must be a 1-D integer array, got shape {freqs.shape} dtype {freqs.dtype}")
    if freqs.size and freqs.min() < 0:
        raise ValueError(f"frequencies must be >= 0, got {freqs.min()}")
    lengths = np.zeros(freqs.size, dtype=np.uint8)
    used = np.flatnonzero(freqs)
    if max_len < 1:
        raise ValueError(f"max_len {max_len} must be >= 1")
    if used.size <= 1:
        lengths[used] = 1
        return lengths
    if used.size > 1 << max_len:
        raise ValueError(f"{used.size} symbols need max_len >= {int(np.ceil(np.log2(used.size)))}, got {max_len}")
    order = used[np.lexsort((used, freqs[used]))]  # by frequency, then by symbol
    leaf_counts = _package_merge(freqs[order].astype(np.int64), max_len)
    lengths[order] = leaf_counts
    return lengths


def canonical_codes(lengths) -> np.ndarray:
    """Canonical prefix codes for the given code lengths (RFC 1951 3.2.2).

    Symbols are sorted by (length, symbol); the first gets code 0, and each next code
    is the previous code plus one, shifted left by the length increase.

    Parameters
    ----------
    lengths : array_like of int
        ``lengths[s]`` in 0..32 (0: no code).

    Returns
    -------
    np.ndarray of uint32
        ``codes[s]``, to be written in ``lengths[s]`` bits, MSB first (0 if unused).

    Raises
    ------
    ValueError
        If the lengths are over-full: :math:`\\sum_s 2^{-\\ell_s} > 1` (no prefix
        code has them).  Under-full lengths are accepted (some bit patterns are
        then no code).

    Notes
    -----
    With the used symbols sorted by (length, symbol) and :math:`L` the longest
    length, code ``i`` is the Kraft sum of the codes before it, written in
    :math:`\\ell_i` bits:

    .. math:: c_i = \\Big(\\sum_{j<i} 2^{L-\\ell_j}\\Big) / 2^{L-\\ell_i}

    (exact, because :math:`\\ell_j \\le \\ell_i`).  Sorted by (length, symbol) the
    codes are also sorted as bit strings, which the table decoder relies on.

    Examples
    --------
    >>> [format(int(c), f"0{n}b") for c, n in zip(canonical_codes([2, 3, 3, 1]), [2, 3, 3, 1])]
    ['10', '110', '111', '0']
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or (lengths.size and lengths.dtype.kind not in "iu"):
        raise ValueError(f"lengths must be a 1-D integer array, got shape {lengths.shape}")
    if lengths.size and not 0 <= lengths.min() <= lengths.max() <= 32:
        raise ValueError(f"code lengths must lie in [0, 32], got [{lengths.min()}, {lengths.max()}]")
    codes = np.zeros(lengths.size, dtype=np.uint32)
    used = np.flatnonzero(lengths)
    if used.size == 0:
        return codes
    order = used[np.lexsort((used, lengths[used]))]  # by length, then by symbol
    ell = lengths[order].astype(np.int64)
    longest = int(ell[-1])
    width = np.int64(1) << (longest - ell)  # 2**(L - l_i): share of the code space
    start = np.cumsum(width) - width
    if int(start[-1] + width[-1]) > 1 << longest:
        raise ValueError("over-full code lengths: Kraft sum sum(2**-l) > 1")
    codes[order] = start >> (longest - ell)
    return codes


# ---- helpers: code construction ---------------------------------------------------------


def _package_merge(weights: np.ndarray, max_len: int) -> np.ndarray:
    """Code lengths for leaf ``weights`` (sorted ascending); see :func:`code_lengths`."""
    n = weights.size
    is_leaf = np.ones(n, dtype=bool)
    leaves_seen = [np.arange(1, n + 1)]  # per list: leaves among its first j+1 items
    items = weights
    for _ in range(max_len - 1):
        pairs = items[: items.size // 2 * 2]
        packages = pairs[0::2] + pairs[1::2]
        merged = np.concatenate([weights, packages])
        order = np.argsort(merged, kind="stable")  # stable: a leaf wins a tie
        items = merged[order]
        leaves_seen.append(np.cumsum(np.concatenate([is_leaf, np.zeros(packages.size, bool)])[order]))
    depth = np.zeros(n, dtype=np.uint8)
    take = 2 * n - 2  # items taken from the current list, last list first
    for seen in reversed(leaves_seen):
        leaves = int(seen[take - 1]) if take else 0
        depth[:leaves] += 1  # leaves are merged in sorted order: the first ones are taken
        take = 2 * (take - leaves)  # each package taken takes its two items below
    assert take == 0, "package-merge left items unassigned"
    return depth


def _code_tree(lengths: np.ndarray) -> list:
    """Binary tree of the canonical code: nested ``[zero, one]`` lists, symbols at leaves."""
    codes = canonical_codes(lengths)
    root: list = [None, None]
    for symbol in np.flatnonzero(lengths).tolist():
        node, length = root, int(lengths[symbol])
        for k in range(length - 1, 0, -1):
            bit = (int(codes[symbol]) >> k) & 1
            if node[bit] is None:
                node[bit] = [None, None]
            node = node[bit]
        node[int(codes[symbol]) & 1] = symbol
    return root


def _decode_table(lengths: np.ndarray, maxlen: int) -> np.ndarray:
    """``table[bits] = (length << 32) | symbol`` for every ``maxlen``-bit pattern."""
    used = np.flatnonzero(lengths)
    order = used[np.lexsort((used, lengths[used]))]  # canonical order = bit-string order
    span = np.int64(1) << (maxlen - lengths[order].astype(np.int64))  # entries per code
    entries = (lengths[order].astype(np.int64) << 32) | order
    table = np.full(1 << maxlen, _INVALID << 32, dtype=np.int64)
    table[: int(span.sum())] = np.repeat(entries, span)
    return table


def _run_lanes(window, table, maxlen, pos, lanes) -> None:
    """Decode ``lanes.shape[0]`` symbols in every lane; advances ``pos`` in place."""
    last = window.size - 1
    mask = (1 << maxlen) - 1
    shift = 32 - maxlen
    for row in lanes:  # one step: one symbol in every lane
        entry = table[(window[np.minimum(pos >> 3, last)] >> (shift - (pos & 7))) & mask]
        row[...] = entry  # the cast to uint8/uint16 keeps the symbol, the low bits
        pos += entry >> 32


def _check_chunk_ends(ends: np.ndarray, expected: np.ndarray) -> None:
    if not np.array_equal(ends, expected):
        bad = int(np.flatnonzero(ends != expected)[0])
        raise CorruptStreamError(f"chunk {bad} ends at bit {ends[bad]}, the index says {expected[bad]}")


def _check_payload_end(last_end: int, payload_bytes: int) -> None:
    if (last_end + 7) // 8 != payload_bytes:
        raise CorruptStreamError(f"codes end at bit {last_end} but the payload holds {payload_bytes} bytes")


# ---- helpers: stream header -------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    alphabet_size: int
    n: int
    lengths: np.ndarray
    chunk_size: int
    offsets: np.ndarray  # first bit of every chunk in the payload
    payload: bytes

    @property
    def dtype(self):
        return np.uint8 if self.alphabet_size <= 256 else np.uint16


def _write_lengths(lengths: np.ndarray) -> bytes:
    writer = BitWriter()
    values = lengths.tolist()
    i = 0
    while i < len(values):
        if values[i]:
            writer.write(values[i], 4)
            i += 1
            continue
        run = 1
        while run < 256 and i + run < len(values) and not values[i + run]:
            run += 1
        writer.write(0, 4)
        writer.write(run - 1, 8)
        i += run
    return writer.getvalue()


def _read_lengths(data: bytes, pos: int, m: int) -> tuple[np.ndarray, int]:
    reader = BitReader(data[pos : pos + 2 * m + 1])  # at most 12 bits per length
    lengths = np.zeros(m, dtype=np.uint8)
    i = 0
    while i < m:
        nibble = reader.read(4)
        if nibble:
            lengths[i] = nibble
            i += 1
            continue
        run = reader.read(8) + 1
        if i + run > m:
            raise CorruptStreamError(f"code-length table runs past the alphabet size {m}")
        i += run
    return lengths, pos + (reader.position + 7) // 8


def _read_header(data: bytes, alphabet_size: int | None) -> _Header:
    data = bytes(data)
    if not data or data[0] != MAGIC:
        raise CorruptStreamError(f"bad format byte {data[:1].hex() or 'none'} (expected {MAGIC:02x})")
    m, pos = read_varint(data, 1)
    if not 1 <= m <= MAX_ALPHABET:
        raise CorruptStreamError(f"alphabet size {m} out of range [1, {MAX_ALPHABET}]")
    if alphabet_size is not None and m != alphabet_size:
        raise CorruptStreamError(f"stream alphabet size {m}, expected {alphabet_size}")
    n, pos = read_varint(data, pos)
    if n > MAX_SYMBOLS or n > 8 * len(data):  # every symbol costs at least one bit
        raise CorruptStreamError(f"symbol count {n} impossible for a {len(data)}-byte stream")
    lengths, pos = _read_lengths(data, pos, m)
    _check_kraft(lengths, n)
    chunk_size, pos = read_varint(data, pos)
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise CorruptStreamError(f"chunk size {chunk_size} out of range [1, {MAX_CHUNK}]")
    k = -(-n // chunk_size)
    if k > len(data):
        raise CorruptStreamError(f"{k} chunks cannot be indexed in {len(data)} bytes")
    chunk_bits = []
    for _ in range(k - 1):
        nbits, pos = read_varint(data, pos)
        if not chunk_size <= nbits <= chunk_size * MAX_LEN:  # 1 to MAX_LEN bits per symbol
            raise CorruptStreamError(f"chunk of {chunk_size} symbols cannot take {nbits} bits")
        chunk_bits.append(nbits)
    offsets = np.cumsum([0] + chunk_bits, dtype=np.int64)[:k]
    payload = data[pos:]
    if k and offsets[-1] + n - (k - 1) * chunk_size > 8 * len(payload):
        raise CorruptStreamError(f"chunk index points past the {len(payload)}-byte payload")
    return _Header(m, n, lengths, chunk_size, offsets, payload)


def _check_kraft(lengths: np.ndarray, n: int) -> None:
    kraft = int(np.sum(np.int64(1) << (MAX_LEN - lengths[lengths > 0].astype(np.int64))))
    if kraft > 1 << MAX_LEN:
        raise CorruptStreamError(f"over-full code lengths: Kraft sum {kraft}/{1 << MAX_LEN} > 1")
    if n and not kraft:
        raise CorruptStreamError(f"{n} symbols but no symbol has a code")


def _check_symbols(symbols, alphabet_size: int) -> np.ndarray:
    if not 1 <= alphabet_size <= MAX_ALPHABET:
        raise ValueError(f"alphabet_size {alphabet_size} out of range [1, {MAX_ALPHABET}]")
    symbols = np.asarray(symbols)
    if symbols.size and symbols.dtype.kind not in "iu":
        raise ValueError(f"symbols must be integers, got dtype {symbols.dtype}")
    symbols = symbols.ravel()
    if symbols.dtype == np.uint64 or symbols.dtype.kind not in "iu":  # bincount wants intp-safe ints
        symbols = symbols.astype(np.intp)
    if symbols.size > MAX_SYMBOLS:
        raise ValueError(f"{symbols.size} symbols, at most {MAX_SYMBOLS} per stream")
    if symbols.size and not 0 <= symbols.min() <= symbols.max() < alphabet_size:
        raise ValueError(f"symbols must lie in [0, {alphabet_size}), got [{symbols.min()}, {symbols.max()}]")
    return symbols
