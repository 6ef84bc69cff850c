"""Canonical, length-limited Huffman coding of bytes and of symbol arrays.

A static (two-pass) order-0 coder: count the symbols, give each a prefix-free code
whose length is close to :math:`-\\log_2 p`, store the code lengths, then the codes.

* :func:`code_lengths` finds optimal code lengths no longer than ``max_len`` bits:
  Huffman's (Huffman 1952) when they fit, else the package-merge algorithm (Larmore
  & Hirschberg 1990), because formats cap the length: 15 bits here and in DEFLATE, 16
  in JPEG (T.81 Annex C / K.2).
* :func:`canonical_codes` turns lengths into the canonical code of DEFLATE
  (RFC 1951 3.2.2): shorter codes first, equal lengths in symbol order, so the
  lengths alone describe the code.
* :func:`encode_symbols` / :func:`decode_symbols` code any integer array with an
  alphabet of up to 65,536 symbols (other codecs reuse them);
  :func:`compress` / :func:`decompress` are the bytes -> bytes pair (alphabet 256),
  and :func:`encode` / :func:`decode` the image codec (samples in the container).
* :func:`decode_symbols_slow` walks the code tree bit by bit: the teaching version
  and the test oracle of the table-driven :func:`decode_symbols`.

The code construction (:func:`code_lengths`, :func:`canonical_codes`) lives in
:mod:`classical.huffman_codes` and is re-exported here.

Blocks: statistics drift inside a file (``kennedy.xls`` alternates kinds of records),
so the symbols are cut into blocks of ``B`` symbols (default 16,384) and a block may
bring its own code table, as DEFLATE does (RFC 1951 3.2.3: every block has its own
Huffman codes).  A greedy plan starts a new table only where it pays for itself;
otherwise the block reuses the previous one (a flag byte).

What it does NOT do: adaptive codes, choosing block boundaries freely (they fall every
``B`` symbols), going back to a table older than the previous block, an end-of-block
symbol (the counts are stored instead), or DEFLATE/JPEG syntax.

Stream layout (varints are unsigned LEB128, :func:`fundamentals.bitio.write_varint`;
written and read by :mod:`classical._huffman_stream`)

===============  ==========  ==========================================================
field            size        meaning
===============  ==========  ==========================================================
format byte      1           ``0xC9``: this layout, version 2 (``0xC8``, version 1, had
                             one table and no block fields)
alphabet size m  varint      1 .. 65,536
symbol count n   varint      at most 2**31 and at most 8 x stream bytes
chunk size C     varint      1 .. 2**20 symbols per chunk; K = ceil(n / C) chunks
chunks/block b   varint      block size B = b x C symbols; J = ceil(K / b) blocks
J blocks, each:
  table flag     1           0: code lengths follow; 1: same code as the block before
                             (not for block 0)
  code lengths   variable    only after flag 0: the m lengths as 4-bit nibbles,
                             MSB-first: a nibble 1..15 is the next symbol's length;
                             nibble 0 and an 8-bit r are r+1 zero lengths; 0-bits pad
                             to a byte.  Not over-full; at least one code
  chunk lengths  varints     bit length of each of the block's chunks, except the
                             stream's last chunk (the payload's end implies it)
payload          the rest    the n codes back to back, MSB-first (each code's first
                             bit is its most significant), chunk k+1 right after chunk
                             k, block after block; 0-bits pad the last byte
===============  ==========  ==========================================================

The chunk lengths are an index: they let :func:`decode_symbols` start every chunk
at once and decode all chunks of all blocks in lockstep with NumPy, each lane looking
up its block's table in one stacked array.  A decoder that ignores them
(:func:`decode_symbols_slow`) reads the payload straight through, block by block.

References
----------
D. A. Huffman, "A method for the construction of minimum-redundancy codes",
Proc. IRE 40(9), 1952.  L. L. Larmore and D. S. Hirschberg, "A fast algorithm for
optimal length-limited Huffman codes", J. ACM 37(3), 1990.  P. Deutsch, RFC 1951
(DEFLATE), sections 3.2.2 (canonical codes) and 3.2.3 (blocks).  J. van Leeuwen,
"On the construction of Huffman trees", ICALP 1976 (two queues).

Examples
--------
>>> packed = compress(b"mississippi")
>>> decompress(packed)
b'mississippi'
"""

from __future__ import annotations

import numpy as np

from classical._huffman_stream import (
    MAX_ALPHABET,
    MAX_CHUNK,
    MAX_LEN,
    MAX_SYMBOLS,
    lengths_bits,
    read_header,
    write_header,
)
from classical.huffman_codes import canonical_codes, code_lengths, code_tree
from fundamentals.bitio import BitReader, pack_codes
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

#: Default chunk size: the fast decoder runs ``C`` NumPy steps over ``n / C`` lanes.
CHUNK = 1024
#: Default block size: symbols per block, each block may bring its own code table.
BLOCK = 16384
#: Most decode-table entries stacked at once (8 bytes each); more tables are decoded in groups.
TABLE_ENTRIES = 1 << 22

_INVALID = 1 << 30  # decode-table "length" of a bit pattern that starts no code: it throws
# the lane far past the payload, which the end-of-chunk checks then catch


# ---- bytes -> bytes ------------------------------------------------------------------------


def compress(data: bytes, *, block_size: int | None = BLOCK) -> bytes:
    """Huffman-code a byte string (alphabet of 256 byte values).

    ``block_size`` (bytes per block, see :func:`encode_symbols`) lets the code
    change where the statistics change, as zlib does; ``None`` gives one table.

    Examples
    --------
    >>> len(compress(b"")), decompress(compress(b""))
    (7, b'')
    """
    return encode_symbols(np.frombuffer(bytes(data), dtype=np.uint8), 256, block_size=block_size)


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


def encode_symbols(symbols, alphabet_size: int, *, max_len: int = MAX_LEN, chunk_size: int = CHUNK,
                   block_size: int | None = BLOCK) -> bytes:
    """Huffman-code an array of integer symbols; the stream is self-contained.

    The symbols are cut into blocks of ``block_size``.  Runs of adjacent blocks share
    one code-length table, built from the run's counts; a block starts a new run (and
    pays for a new table) only when that is estimated to save bits (see Notes).

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
    block_size : int or None
        Symbols per block, rounded up to a whole number of chunks (a chunk never
        straddles two blocks); ``None``: one block, one table.  The default, 16,384
        (16 chunks), is the granularity at which the Canterbury corpus gains most;
        it is safe for any alphabet because a new table is only written when it
        pays, so a stationary source costs one flag byte per block.

    Returns
    -------
    bytes
        The stream laid out as in the module docstring.

    Notes
    -----
    The table plan is greedy, block by block.  With :math:`H(c) = \\sum_s c_s
    \\log_2 (N / c_s)` the ideal size in bits of counts ``c`` (``N = sum(c)``) and
    :math:`T(c)` the bits of its code-length table, block ``c`` joins the current run
    ``r`` when

    .. math:: H(r + c) + T(r + c) \\le H(r) + T(r) + H(c) + T(c),

    i.e. when one table for both is no worse than a table each.

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
    if block_size is not None and not 1 <= block_size <= MAX_SYMBOLS:
        raise ValueError(f"block_size {block_size} out of range [1, {MAX_SYMBOLS}] (or None)")
    n = symbols.size
    whole = max(1, -(-n // chunk_size))  # chunks in the stream: one block holds them all
    block_chunks = whole if block_size is None else min(whole, -(-block_size // chunk_size))
    b = block_chunks * chunk_size  # symbols per block
    bits = np.empty(n, dtype=np.uint8)  # code length of every symbol
    codes = np.empty(n, dtype=np.uint32)
    block_tables = []  # per block: its lengths, or None where it reuses the previous table
    for first, stop, counts in _plan_tables(symbols, alphabet_size, b):
        lengths = code_lengths(counts, max_len)
        span = slice(first * b, min(n, stop * b))
        np.take(lengths, symbols[span], out=bits[span])  # one gather per run
        np.take(canonical_codes(lengths), symbols[span], out=codes[span])
        block_tables += [lengths] + [None] * (stop - first - 1)
    chunk_bits = np.add.reduceat(bits, np.arange(0, n, chunk_size), dtype=np.int64) if n else bits
    header = write_header(alphabet_size, n, chunk_size, block_chunks, block_tables, chunk_bits)
    return header + pack_codes(codes, bits)


def decode_symbols(data: bytes, *, alphabet_size: int | None = None) -> np.ndarray:
    """Decode a stream of :func:`encode_symbols`, all chunks in lockstep (table-driven).

    With ``maxlen`` the longest code in the stream, a table of :math:`2^{maxlen}`
    entries maps the next ``maxlen`` bits to (symbol, code length): a code ``c`` of
    length ``l`` owns the :math:`2^{maxlen - l}` entries that start with ``c``.
    The tables of all blocks are stacked into one array, table ``t`` at offset
    :math:`t \\cdot 2^{maxlen}`.  Each chunk is a lane with its own bit position
    ``p`` and the offset of its block's table; one step peeks ``maxlen`` bits at
    every lane's ``p``, adds the lane's offset, looks the sum up, stores the symbols
    and advances every ``p`` by its code length.  ``C`` steps over ``n / C`` lanes
    decode the stream, whatever the number of blocks.

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
    head = read_header(data, alphabet_size)
    out = np.zeros(head.n, dtype=head.dtype)
    if head.n == 0:
        return out
    maxlen = max(int(lengths.max()) for lengths in head.tables)
    padded = head.payload + bytes(3)
    # window[i] = payload bytes i..i+3 as a big-endian 32-bit number (a view, one step apart)
    window = np.ndarray(len(head.payload), dtype=">u4", buffer=padded, strides=(1,)).astype(np.int64)
    c, k = head.chunk_size, head.offsets.size
    lane_table = np.repeat(head.block_table, head.block_chunks)[:k]  # table of every chunk (lane)
    for first, stop in _lane_groups(lane_table, maxlen):  # one group unless the tables are huge
        t0, t1 = int(lane_table[first]), int(lane_table[stop - 1]) + 1
        table, shift = _decode_tables(head.tables[t0:t1], maxlen)
        base = (lane_table[first:stop] - t0) << maxlen if t1 - t0 > 1 else None  # lane's table offset
        pos = head.offsets[first:stop].copy()
        lanes = np.zeros((min(c, head.n), stop - first), dtype=head.dtype)  # lanes[step, chunk]
        n_last = head.n - (k - 1) * c if stop == k else c  # symbols in the group's last lane
        _run_lanes(window, table, shift, maxlen, pos, base, lanes[:n_last])
        if n_last < lanes.shape[0]:  # the stream's last chunk is short: the others go on
            _run_lanes(window, table, shift, maxlen, pos[:-1], None if base is None else base[:-1], lanes[n_last:, :-1])
        ends = head.offsets[first + 1 : stop + 1]  # where each lane must stop (the next chunk)
        _check_chunk_ends(pos[: ends.size], ends, first)
        if stop == k:
            _check_payload_end(int(pos[-1]), len(head.payload))
        count = min(head.n, stop * c) - first * c
        out[first * c : first * c + count] = lanes.T.ravel()[:count]
    return out


def decode_symbols_slow(data: bytes, *, alphabet_size: int | None = None) -> np.ndarray:
    """Decode a stream of :func:`encode_symbols` bit by bit down the code tree.

    The teaching version of :func:`decode_symbols` (same result, same errors, about
    100x slower): block by block, build the tree of the block's code (or keep the
    previous one), then for each symbol start at the root, follow the branch of each
    bit read (0 left, 1 right) until a leaf, and emit its symbol.

    Examples
    --------
    >>> decode_symbols_slow(encode_symbols([1, 0, 1], 2)).tolist()
    [1, 0, 1]
    """
    head = read_header(data, alphabet_size)
    out = np.zeros(head.n, dtype=head.dtype)
    reader = BitReader(head.payload)
    for j, t in enumerate(head.block_table.tolist()):
        if j == 0 or t != head.block_table[j - 1]:
            root = code_tree(head.tables[t])
        for i in range(j * head.block_size, min(head.n, (j + 1) * head.block_size)):
            if i % head.chunk_size == 0 and reader.position != head.offsets[i // head.chunk_size]:
                k = i // head.chunk_size
                raise CorruptStreamError(f"chunk {k - 1} ends at bit {reader.position}, the index says {head.offsets[k]}")
            node = root
            while isinstance(node, list):
                node = node[reader.read_bit()]
            if node is None:
                raise CorruptStreamError(f"bits before bit {reader.position} form no code")
            out[i] = node
    if head.n:
        _check_payload_end(reader.position, len(head.payload))
    return out


# ---- helpers: blocks and tables ---------------------------------------------------------


def _plan_tables(symbols: np.ndarray, m: int, b: int):
    """Yield ``(first_block, stop_block, counts)`` for every run of blocks sharing a table."""
    n_blocks = -(-symbols.size // b)
    run = None  # [first, stop, counts, H + T of the run]
    for j in range(n_blocks):
        c = np.bincount(symbols[j * b : (j + 1) * b], minlength=m)
        cost = _ideal_bits(c) + lengths_bits(c)
        if run is not None:
            merged = run[2] + c
            merged_cost = _ideal_bits(merged) + lengths_bits(merged)
            if merged_cost <= run[3] + cost:  # one table for both is no worse: extend the run
                run[1:] = [j + 1, merged, merged_cost]
                continue
            yield tuple(run[:3])
        run = [j, j + 1, c, cost]
    if run is not None:
        yield tuple(run[:3])


def _ideal_bits(counts: np.ndarray) -> float:
    """:math:`\\sum_s c_s \\log_2(N / c_s)`: the order-0 entropy of ``counts`` in bits."""
    c = counts[counts > 0].astype(np.float64)
    total = c.sum()
    return float(total * np.log2(total) - np.dot(c, np.log2(c))) if total else 0.0


def _decode_tables(tables: list, maxlen: int) -> tuple[np.ndarray, int]:
    """Stack the decode tables of ``tables``: ``(length << shift) | symbol`` per pattern.

    Row ``t`` of the (flattened) result maps every ``maxlen``-bit pattern to the code of
    table ``t`` it starts with.  Complete codes fill every row, so 32-bit entries
    (``shift`` 16) do; an under-full one leaves patterns that start no code, which get
    the length ``_INVALID`` and need 64-bit entries (``shift`` 32).
    """
    complete = all(_kraft(lengths, maxlen) == 1 << maxlen for lengths in tables)
    dtype, shift = (np.int32, 16) if complete else (np.int64, 32)
    out = np.empty((len(tables), 1 << maxlen), dtype=dtype)
    for row, lengths in zip(out, tables):
        used = np.flatnonzero(lengths)
        order = used[np.lexsort((used, lengths[used]))]  # canonical order = bit-string order
        ell = lengths[order].astype(np.int64)
        span = np.int64(1) << (maxlen - ell)  # entries per code
        filled = int(span.sum())
        row[:filled] = np.repeat((ell << shift) | order, span)
        if filled < row.size:  # under-full (only with 64-bit entries)
            row[filled:] = _INVALID << shift
    return out.ravel(), shift


def _kraft(lengths: np.ndarray, maxlen: int) -> int:
    """:math:`2^{maxlen} \\sum_s 2^{-\\ell_s}`: equals ``2**maxlen`` for a complete code."""
    used = lengths[lengths > 0].astype(np.int64)
    return int(np.sum(np.int64(1) << (maxlen - used)))


def _lane_groups(lane_table: np.ndarray, maxlen: int):
    """Split the lanes so that each group's stacked tables hold at most ``TABLE_ENTRIES``."""
    per_group = max(1, TABLE_ENTRIES >> maxlen)  # tables per group
    first = 0
    while first < lane_table.size:  # lane_table never decreases: a group is a range of tables
        stop = int(np.searchsorted(lane_table, lane_table[first] + per_group))
        yield first, stop
        first = stop


def _run_lanes(window, table, shift, maxlen, pos, base, lanes) -> None:
    """Decode ``lanes.shape[0]`` symbols in every lane; advances ``pos`` in place.

    ``base[i]`` is the offset of lane ``i``'s table in ``table`` (None: one table);
    an entry is ``(length << shift) | symbol``.
    """
    last = window.size - 1
    mask = (1 << maxlen) - 1
    top = 32 - maxlen  # window >> (top - pos % 8): the maxlen bits at pos, in the low bits
    for row in lanes:  # one step: one symbol in every lane
        bits = (window[np.minimum(pos >> 3, last)] >> (top - (pos & 7))) & mask
        entry = table[bits] if base is None else table[bits + base]
        row[...] = entry  # the cast to uint8/uint16 keeps the symbol, the low bits
        pos += entry >> shift


def _check_chunk_ends(ends: np.ndarray, expected: np.ndarray, first: int = 0) -> None:
    if not np.array_equal(ends, expected):
        bad = int(np.flatnonzero(ends != expected)[0])
        raise CorruptStreamError(f"chunk {first + bad} ends at bit {ends[bad]}, the index says {expected[bad]}")


def _check_payload_end(last_end: int, payload_bytes: int) -> None:
    if (last_end + 7) // 8 != payload_bytes:
        raise CorruptStreamError(f"codes end at bit {last_end} but the payload holds {payload_bytes} bytes")


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
