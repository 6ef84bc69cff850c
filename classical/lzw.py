"""LZW in the Unix ``compress`` (``.Z``) format, byte-identical to ncompress.

Lempel-Ziv-Welch coding (Welch 1984) replaces the longest string already in a
dictionary by its code and adds that string plus the next byte as a new entry;
the decoder rebuilds the same dictionary from the codes alone, one entry
behind.  :func:`compress` writes exactly the bytes of ncompress 4.2.4 /
``ncompress.compress`` (16 bits, block mode) for every input, so ``uncompress``,
``gzip -d`` and ``ncompress.decompress`` read it; :func:`decompress` reads
every ``.Z`` stream of 9 to 16 bits, block mode or not.

One known disagreement between readers: a header that says ``maxbits = 9`` is read
here as ncompress 4.2.4 writes it (codes stay 9 bits wide); gzip and unlzw3 read
it as 10 bits, as compress 4.0 wrote it, so they cannot read ``maxbits=9`` output.

What it does NOT do: streams of more than 16 bits (:class:`UnsupportedError`, as
in ncompress), the TIFF/GIF flavours of LZW (MSB-first codes, "early change",
EOI code), or any detection of truncation beyond the checks listed in
:func:`decompress` (``.Z`` has no length field and no checksum).

Byte layout (``.Z``)

==========  ====================================================================
bytes       meaning
==========  ====================================================================
0-1         magic ``1F 9D``
2           flags: bit 7 ``0x80`` block mode (code 256 is CLEAR), bits 0-4
            ``maxbits`` 9..16; bits 5-6 unused (ignored, as ncompress does)
3...        codes, LSB-first (bit 0 of a code goes to the lowest free bit of the
            current byte), ``n_bits`` = 9 at the start and after every CLEAR
==========  ====================================================================

Dictionary and code width (block mode): codes 0-255 are the bytes, 256 is CLEAR,
the first free code is ``FIRST = 257``.  The encoder writes a code with
``n_bits`` bits while the next free code ``free_ent`` is at most ``2**n_bits``
(so code ``2**n_bits`` is created while codes are still ``n_bits`` wide); then
``n_bits`` grows by one, up to ``maxbits``.  Codes are written in *groups of
eight*: eight ``n_bits``-bit codes fill exactly ``n_bits`` bytes.  When the width
changes, and after a CLEAR, the writer skips to the end of the current group
(zero bits), a quirk of the original implementation that every reader copies.
Once the table is full (``free_ent == 2**maxbits``) no entries are added; every
``CHECK_GAP = 10000`` input bytes the compression ratio, in 1/256 units,
``ratio = (bytes_in << 8) // bytes_out`` is compared with the previous one and a
CLEAR is written as soon as it drops.

Sources: T. A. Welch, "A Technique for High-Performance Data Compression", IEEE
Computer 17(6), 8-19, 1984; the ``compress`` 4.x sources (Thomas, McKie, Davies,
Turkowski, Woods, Orost; ncompress 4.2.4 by Jannesen and Frysinger,
``compress()``/``decompress()``), as packaged by ``ncompress`` 1.0 on PyPI.

Examples
--------
>>> z = compress(b"TOBEORNOTTOBEORTOBEORNOT")
>>> z[:3].hex()
'1f9d90'
>>> decompress(z)
b'TOBEORNOTTOBEORTOBEORNOT'
"""

from __future__ import annotations

import numpy as np

from fundamentals.bitio import pack_codes
from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError, UnsupportedError
from fundamentals.imageio import check_image

__all__ = ["compress", "decode", "decompress", "encode"]

CODEC_ID = "lzw"
MAGIC = b"\x1f\x9d"
BLOCK_MODE = 0x80  # flags bit 7: code 256 is CLEAR
BIT_MASK = 0x1F  # flags bits 0-4: maxbits
INIT_BITS = 9  # code width at the start and after a CLEAR
MAX_BITS = 16  # the largest maxbits ncompress accepts
CLEAR = 256  # block mode: "forget the table" code
FIRST = 257  # block mode: first free code
CHECK_GAP = 10000  # input bytes between two ratio checks once the table is full
_WINDOW = 8192  # codes unpacked at a time at the final width (a multiple of 8)


# ---- bytes <-> .Z ----


def compress(data: bytes, maxbits: int = MAX_BITS) -> bytes:
    """Compress bytes to a ``.Z`` stream, exactly as ncompress does.

    Parameters
    ----------
    data : bytes-like
        Any bytes, including none.
    maxbits : int
        Largest code width, 9..16 (``compress -b``); 16 is ncompress's default.

    Returns
    -------
    bytes
        The ``.Z`` stream: 3 header bytes, then the codes.  For ``maxbits=16``
        it equals ``ncompress.compress(data)``; the empty input gives the header
        alone.

    Notes
    -----
    The dictionary is a Python ``dict`` keyed by ``ent << 8 | c`` (the code of
    the current prefix string and the next byte), with values pre-shifted by 8
    bits so that the hit path of the loop is one lookup and one assignment.
    The loop runs over *chunks* of input, as ncompress does: while the table
    grows, a chunk of ``2**maxbits - free_ent`` bytes cannot overflow it (each
    byte adds at most one entry); once it is full, a chunk ends at the next
    check point, and the ratio test happens at the first code boundary at or
    after it (where the current prefix is a single byte).  Code widths and
    group padding do not depend on the loop: the ``j``-th code after a CLEAR
    has width :math:`\\max(9, \\min(maxbits, \\lfloor\\log_2(256 + j)\\rfloor + 1))`,
    which :func:`_segments` turns into runs of equal width.

    Examples
    --------
    >>> compress(b"").hex()
    '1f9d90'
    >>> compress(b"ab", maxbits=12).hex()  # 0x61, 0x62 as 9-bit codes, LSB first
    '1f9d8c61c400'
    """
    if not (isinstance(maxbits, (int, np.integer)) and INIT_BITS <= maxbits <= MAX_BITS):
        raise ValueError(f"maxbits must be an integer in {INIT_BITS}..{MAX_BITS}, got {maxbits!r}")
    maxbits = int(maxbits)
    data = bytes(data)
    header = MAGIC + bytes([BLOCK_MODE | maxbits])
    n = len(data)
    if n == 0:
        return header
    full = 1 << maxbits  # free_ent when the table is full
    codes: list[int] = []  # emitted codes, shifted left by 8 bits (CLEAR included)
    epochs: list[int] = [0]  # index in `codes` where each CLEAR-delimited epoch starts
    table: dict[int, int] = {}
    e8 = data[0] << 8  # ent << 8: code of the current prefix string
    pos = 1  # bytes read so far (ncompress's bytes_in at a code boundary)
    free_ent = FIRST
    ratio = 0  # last ratio, bytes_in / bytes_out in 1/256 units
    checkpoint = CHECK_GAP
    epoch_bit = 24  # bit offset where the current epoch starts (after the header)
    while pos < n:
        if free_ent < full:  # table growing: this chunk cannot overflow it
            end = min(n, pos + full - free_ent)
            e8, free8 = _walk_growing(data[pos:end], e8, table, codes, free_ent << 8)
            free_ent, pos = free8 >> 8, end
            if free_ent < full or pos >= n:
                continue
            # The table just filled at a code boundary; ncompress tests the ratio here too.
        else:  # table full: walk to the check point, then to the next code boundary
            end = min(n, max(pos, checkpoint))
            e8 = _walk_full(data[pos:end], e8, table, codes)
            pos = end
            while e8 > 0xFFFF and pos < n:  # inside a string: finish it
                c = data[pos]
                pos += 1
                nxt = table.get(e8 | c)
                if nxt is None:
                    codes.append(e8)
                    e8 = c << 8
                else:
                    e8 = nxt
            if pos >= n:
                break
        if pos >= checkpoint:  # ncompress: !stcode && bytes_in >= checkpoint && ent < FIRST
            checkpoint = pos + CHECK_GAP
            bytes_out = (epoch_bit + _epoch_bits(len(codes) - epochs[-1], maxbits)) >> 3
            if pos > 0x7FFFFF:  # ncompress avoids overflowing `bytes_in << 8` in a 32-bit long
                rat = bytes_out >> 8
                rat = 0x7FFFFFFF if rat == 0 else pos // rat
            else:
                rat = (pos << 8) // bytes_out  # 8 fractional bits
            if rat >= ratio:
                ratio = rat
            else:  # compression got worse: CLEAR and start a new table
                ratio = 0
                codes.append(CLEAR << 8)
                epoch_bit += _epoch_bits(len(codes) - epochs[-1], maxbits, pad=True)
                epochs.append(len(codes))
                table.clear()
                free_ent = FIRST
    # The last prefix.  (If the last byte ended a string and filled the current width,
    # ncompress writes this code before widening; it is then a single byte < 256 at a
    # group boundary, whose bytes are the same at either width, so nothing changes.)
    codes.append(e8)
    return header + _pack_epochs(np.asarray(codes, np.int64) >> 8, epochs, maxbits)


def decompress(data: bytes, *, max_length: int | None = None) -> bytes:
    """Decompress a ``.Z`` stream (any writer, 9..16 bits, block mode or not).

    Parameters
    ----------
    data : bytes-like
        The ``.Z`` stream.
    max_length : int, optional
        Refuse to produce more than this many bytes (a guard against
        decompression bombs: a ``.Z`` stream can expand several thousand times).
        Checked after each run of at most 16384 codes, so work stops soon after
        the limit is crossed.

    Returns
    -------
    bytes
        The original bytes.

    Raises
    ------
    CorruptStreamError
        Bad magic, fewer than 3 bytes, ``maxbits`` below 9, a first code that is
        not a literal, a code beyond the next free code, a stream that ends after
        a CLEAR or with 8 or more unused bits (truncated), nonzero bits after the
        last code, or an output longer than ``max_length``.
    UnsupportedError
        ``maxbits`` above 16.

    Notes
    -----
    The string table is a list of ``bytes``: entry ``k`` is entry ``prefix(k)``
    plus one byte, stored whole so that a code costs one list lookup (the
    classic prefix/suffix arrays, walked backwards per code, are what
    ncompress does in C).  The decoder adds entry ``free_ent`` = previous
    string + first byte of the current one; the one code it can receive that is
    not yet in its table is ``free_ent`` itself (the "KwKwK" case), whose string
    is previous + its own first byte.  Codes of one width are unpacked at once
    with NumPy; the width grows when ``free_ent`` exceeds ``2**n_bits - 1``.

    Examples
    --------
    >>> decompress(bytes.fromhex("1f9d90") + bytes.fromhex("61c400"))
    b'ab'
    """
    data = bytes(data)
    if len(data) < 3:
        raise CorruptStreamError(f"stream of {len(data)} bytes is too short for a .Z header")
    if data[:2] != MAGIC:
        raise CorruptStreamError(f"bad magic {data[:2]!r} (expected {MAGIC!r})")
    maxbits = data[2] & BIT_MASK
    block_mode = bool(data[2] & BLOCK_MODE)
    if maxbits > MAX_BITS:
        raise UnsupportedError(f"stream uses {maxbits}-bit codes; only up to {MAX_BITS} are supported")
    if maxbits < INIT_BITS:
        raise CorruptStreamError(f"maxbits {maxbits} in the header is below {INIT_BITS}")
    buf = np.frombuffer(data + b"\0\0\0", np.uint8)  # 3 spare bytes for 24-bit reads
    total = 8 * len(data)
    maxmaxcode = 1 << maxbits
    strings = [bytes((i,)) for i in range(256)] + ([b""] if block_mode else [])  # 256 = CLEAR
    prev = None  # string of the previous code (ncompress's oldcode); None before the first
    out: list[bytes] = []
    produced = 0
    n_bits = INIT_BITS
    bitpos = 24  # start of the current group-aligned run of codes
    last_end = 24  # bit just after the last code read
    ended_on_clear = False
    while True:
        if n_bits == maxbits:
            want = _WINDOW
        else:  # codes until free_ent > 2**n_bits - 1 (the first code adds no entry)
            want = (1 << n_bits) - len(strings) + (prev is None)
        count = min(want, (total - bitpos) // n_bits)
        if count <= 0:
            break
        run = _unpack(buf, bitpos, count, n_bits)
        cut = count
        if block_mode:
            hits = np.flatnonzero(run == CLEAR)
            if hits.size:
                cut = int(hits[0])
        lst = run[:cut].tolist()
        before = len(out)
        if prev is None:  # the first code has no predecessor and adds no entry
            first = int(run[0])
            if first > 255:
                raise CorruptStreamError(f"first code {first} is not a literal byte")
            prev = strings[first]
            out.append(prev)
            lst = lst[1:]
        room = maxmaxcode - len(strings)  # entries that can still be added
        prev = _expand_growing(lst[:room], strings, prev, out)
        if len(lst) > room:
            prev = _expand_full(lst[room:], strings, out)
        produced += sum(map(len, out[before:]))
        if max_length is not None and produced > max_length:
            raise CorruptStreamError(f"output exceeds max_length={max_length} bytes")
        if cut < count:  # CLEAR: back to 9 bits, after the end of its group
            last_end = bitpos + (cut + 1) * n_bits
            bitpos += -(-(cut + 1) // 8) * 8 * n_bits
            del strings[256:]  # the next code re-creates entry 256 (never used), as ncompress does
            n_bits = INIT_BITS
            ended_on_clear = True
            continue
        ended_on_clear = False
        last_end = bitpos + count * n_bits
        if count < want:  # no more whole codes
            break
        if n_bits < maxbits:  # width grows; skip to the end of the group
            bitpos += -(-count // 8) * 8 * n_bits
            n_bits += 1
        else:
            bitpos = last_end
    _check_tail(data, last_end, total, ended_on_clear)
    return b"".join(out)


# ---- images ----


def encode(img: np.ndarray, *, maxbits: int = MAX_BITS) -> bytes:
    """LZW-compress an image: planes in order, rows top to bottom, through :func:`compress`.

    Parameters
    ----------
    img : numpy.ndarray
        ``uint8``, ``(H, W)`` or ``(H, W, 3)``.
    maxbits : int
        Largest code width, 9..16.

    Returns
    -------
    bytes
        Container (codec id ``lzw``, params ``{"maxbits": maxbits}``) whose
        payload is a ``.Z`` stream of the plane-ordered samples: for RGB all of
        R, then all of G, then all of B (planes compress better than
        interleaved pixels, whose repeats are 3 bytes apart).

    Examples
    --------
    >>> img = np.zeros((4, 6, 3), np.uint8)
    >>> bool((decode(encode(img)) == img).all())
    True
    """
    img = check_image(img)
    planes = img if img.ndim == 2 else img.transpose(2, 0, 1)  # (C, H, W): plane order
    payload = compress(np.ascontiguousarray(planes).tobytes(), maxbits)
    return pack(CODEC_ID, payload, shape=img.shape, params={"maxbits": int(maxbits)})


def decode(data: bytes) -> np.ndarray:
    """Invert :func:`encode`.

    Raises
    ------
    CorruptStreamError
        Not an ``lzw`` container, an impossible shape, a bad ``.Z`` payload or
        one that does not decode to ``H * W * C`` bytes.
    """
    header, payload = unpack(data, codec=CODEC_ID)
    shape = header.shape
    if header.dtype != "uint8" or len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3):
        raise CorruptStreamError(f"lzw stream has an impossible image {header.dtype} {shape}")
    size = int(np.prod(shape))
    raw = decompress(payload, max_length=size)
    if len(raw) != size:
        raise CorruptStreamError(f"payload decodes to {len(raw)} bytes, shape {shape} needs {size}")
    samples = np.frombuffer(raw, np.uint8)
    if len(shape) == 2:
        return samples.reshape(shape).copy()
    return samples.reshape(3, shape[0], shape[1]).transpose(1, 2, 0).copy()


# ---- encoder helpers ----


def _walk_growing(chunk: bytes, e8: int, table: dict, codes: list, free8: int) -> tuple[int, int]:
    """The LZW loop while the table grows: extend the prefix, or emit it and add an entry.

    ``e8`` is the current prefix code shifted left by 8 and the table's values are
    shifted too, so a hit is ``e8 = table[e8 | c]``.  Returns the new ``e8`` and
    ``free8`` (next free code << 8).
    """
    get = table.get
    emit = codes.append
    for c in chunk:
        nxt = get(e8 | c)
        if nxt is None:  # prefix + c is new: output the prefix, remember prefix + c
            emit(e8)
            table[e8 | c] = free8
            free8 += 256
            e8 = c << 8
        else:
            e8 = nxt
    return e8, free8


def _walk_full(chunk: bytes, e8: int, table: dict, codes: list) -> int:
    """:func:`_walk_growing` once the table is full: no entries are added."""
    get = table.get
    emit = codes.append
    for c in chunk:
        nxt = get(e8 | c)
        if nxt is None:
            emit(e8)
            e8 = c << 8
        else:
            e8 = nxt
    return e8


def _segments(count: int, maxbits: int) -> list[tuple[int, int]]:
    """Split the ``count`` codes of one epoch into runs ``(n_codes, n_bits)`` of equal width.

    Width 9 holds 256 codes, width ``b`` (10 <= b < maxbits) holds ``2**(b-1)``,
    the last width holds the rest.  All but the last run are whole groups of 8.
    """
    runs = []
    n_bits, room = INIT_BITS, 256
    while count > 0:
        take = count if n_bits == maxbits else min(count, room)
        runs.append((take, n_bits))
        count -= take
        n_bits, room = n_bits + 1, 1 << n_bits  # the next width b = n_bits + 1 holds 2**(b-1)
    return runs


def _epoch_bits(count: int, maxbits: int, pad: bool = False) -> int:
    """Bits taken by the first ``count`` codes of an epoch (padded to a whole group if ``pad``)."""
    bits = 0
    for take, n_bits in _segments(count, maxbits):
        bits += (-(-take // 8) * 8 if pad else take) * n_bits
    return bits


def _pack_epochs(codes: np.ndarray, epochs: list[int], maxbits: int) -> bytes:
    """Pack all codes LSB-first with their widths, padding each CLEAR's group with zero codes."""
    values, widths = [], []
    bounds = epochs + [len(codes)]
    for k in range(len(epochs)):
        part = codes[bounds[k] : bounds[k + 1]]
        runs = _segments(len(part), maxbits)
        last_epoch = k == len(epochs) - 1
        start = 0
        for take, n_bits in runs:
            values.append(part[start : start + take])
            widths.append(np.full(take, n_bits, np.int64))
            start += take
        if not last_epoch:  # after CLEAR: zero codes up to the end of the group of 8
            pad = -len(values[-1]) % 8
            values.append(np.zeros(pad, np.int64))
            widths.append(np.full(pad, runs[-1][1], np.int64))
    return pack_codes(np.concatenate(values), np.concatenate(widths), order="lsb")


# ---- decoder helpers ----


def _unpack(buf: np.ndarray, bitpos: int, count: int, n_bits: int) -> np.ndarray:
    """Read ``count`` codes of ``n_bits`` bits, LSB-first, starting at bit ``bitpos``.

    A code of at most 16 bits starting at bit offset ``s`` lies within the 3 bytes
    from ``s // 8``: value ``= (b0 | b1 << 8 | b2 << 16) >> (s % 8) & (2**n_bits - 1)``.
    """
    s = bitpos + n_bits * np.arange(count, dtype=np.int64)
    i = s >> 3
    word = buf[i].astype(np.int64) | buf[i + 1].astype(np.int64) << 8 | buf[i + 2].astype(np.int64) << 16
    return (word >> (s & 7)) & ((1 << n_bits) - 1)


def _expand_growing(codes: list, strings: list, prev: bytes, out: list) -> bytes:
    """Decode codes while the table grows; returns the last string."""
    free_ent = len(strings)
    emit = out.append
    add = strings.append
    for code in codes:
        if code < free_ent:
            s = strings[code]
        elif code == free_ent:  # KwKwK: the entry being defined right now
            s = prev + prev[:1]
        else:
            raise CorruptStreamError(f"code {code} is beyond the next free code {free_ent}")
        emit(s)
        add(prev + s[:1])  # entry free_ent = previous string + first byte of this one
        free_ent += 1
        prev = s
    return prev


def _expand_full(codes: list, strings: list, out: list) -> bytes:
    """Decode codes once the table is full (every code of ``maxbits`` bits is defined)."""
    out.extend(map(strings.__getitem__, codes))
    return out[-1]


def _check_tail(data: bytes, last_end: int, total: int, ended_on_clear: bool) -> None:
    """A writer ends right after its last code, padding with fewer than 8 zero bits."""
    if ended_on_clear:
        raise CorruptStreamError("stream ends right after a CLEAR code (truncated?)")
    left = total - last_end
    if left >= 8:
        raise CorruptStreamError(f"{left} bits after the last whole code (truncated stream?)")
    if left > 0 and data[-1] >> (8 - left):
        raise CorruptStreamError("nonzero padding bits after the last code")
