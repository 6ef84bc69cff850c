"""Stream layout of :mod:`classical.huffman`: writing and reading the header (private).

The layout itself is documented as a table in the :mod:`classical.huffman` docstring;
this module holds the ``write_*``/``read_*`` pairs that produce and check it, so that
the codec module keeps to the coding.  Every read checks a size before anything of
that size is allocated, and raises :class:`~fundamentals.errors.CorruptStreamError`
on truncation, impossible counts or over-full code lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fundamentals.bitio import read_varint, write_varint
from fundamentals.errors import CorruptStreamError

MAGIC = 0xC9
#: Longest code a stream may use (the lengths are stored as 4-bit nibbles).
MAX_LEN = 15
#: Largest alphabet (symbols ``0 .. MAX_ALPHABET - 1``).
MAX_ALPHABET = 1 << 16
#: Most symbols one stream may hold (checked before the output is allocated).
MAX_SYMBOLS = 1 << 31
#: Largest chunk size accepted.
MAX_CHUNK = 1 << 20

NEW_TABLE, SAME_TABLE = 0, 1  # the table flag byte of every block


@dataclass(frozen=True)
class Header:
    """Everything before the payload, parsed and checked."""

    alphabet_size: int
    n: int
    chunk_size: int
    block_chunks: int  # chunks per block; block j holds chunks j*b .. j*b + b - 1
    tables: list  # the distinct code-length tables, in stream order
    block_table: np.ndarray  # index into ``tables`` of every block
    offsets: np.ndarray  # first bit of every chunk in the payload
    payload: bytes

    @property
    def dtype(self):
        return np.uint8 if self.alphabet_size <= 256 else np.uint16

    @property
    def block_size(self) -> int:
        return self.block_chunks * self.chunk_size


def write_header(alphabet_size: int, n: int, chunk_size: int, block_chunks: int,
                 block_tables: list, chunk_bits: np.ndarray) -> bytes:
    """The header of a stream; ``block_tables[j]`` is block j's lengths, or None to reuse."""
    out = bytearray([MAGIC])
    out += write_varint(alphabet_size) + write_varint(n) + write_varint(chunk_size) + write_varint(block_chunks)
    index, ends = _varints(chunk_bits[:-1])  # the last chunk's length is implied by the payload size
    for j, lengths in enumerate(block_tables):
        if lengths is None:
            out.append(SAME_TABLE)
        else:
            out.append(NEW_TABLE)
            out += write_lengths(lengths)
        out += index[ends[min(j * block_chunks, ends.size - 1)] : ends[min((j + 1) * block_chunks, ends.size - 1)]]
    return bytes(out)


def read_header(data: bytes, alphabet_size: int | None) -> Header:
    """Parse and check the header of ``data``; the payload is what follows it."""
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
    chunk_size, pos = read_varint(data, pos)
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise CorruptStreamError(f"chunk size {chunk_size} out of range [1, {MAX_CHUNK}]")
    block_chunks, pos = read_varint(data, pos)
    if not 1 <= block_chunks <= MAX_SYMBOLS // chunk_size:
        raise CorruptStreamError(f"{block_chunks} chunks per block out of range [1, {MAX_SYMBOLS // chunk_size}]")
    k = -(-n // chunk_size)
    n_blocks = -(-k // block_chunks)
    if k > len(data):  # every chunk but the last has a varint, every block a flag byte
        raise CorruptStreamError(f"{k} chunks cannot be indexed in {len(data)} bytes")
    tables, block_table, chunk_bits = [], np.zeros(n_blocks, dtype=np.int64), []
    for j in range(n_blocks):
        flag, pos = _read_byte(data, pos)
        if flag == NEW_TABLE:
            lengths, pos = read_lengths(data, pos, m)
            check_kraft(lengths)
            tables.append(lengths)
        elif flag != SAME_TABLE or not tables:
            raise CorruptStreamError(f"block {j} has table flag {flag}" + ("" if tables else " but no table before it"))
        block_table[j] = len(tables) - 1
        for _ in range(min(block_chunks, k - 1 - j * block_chunks)):
            nbits, pos = read_varint(data, pos)
            if not chunk_size <= nbits <= chunk_size * MAX_LEN:  # 1 to MAX_LEN bits per symbol
                raise CorruptStreamError(f"chunk of {chunk_size} symbols cannot take {nbits} bits")
            chunk_bits.append(nbits)
    offsets = np.cumsum([0] + chunk_bits, dtype=np.int64)[:k]
    payload = data[pos:]
    if k and offsets[-1] + n - (k - 1) * chunk_size > 8 * len(payload):
        raise CorruptStreamError(f"chunk index points past the {len(payload)}-byte payload")
    return Header(m, n, chunk_size, block_chunks, tables, block_table, offsets, payload)


def write_lengths(lengths: np.ndarray) -> bytes:
    """The code lengths as 4-bit nibbles; a run of r <= 256 zeros is nibble 0, then r-1 in 8 bits."""
    lengths = np.asarray(lengths, dtype=np.int64)
    zero = lengths == 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], zero.view(np.int8), [0]])))
    starts, ends = edges[0::2], edges[1::2]  # zero runs: lengths[starts[k]:ends[k]] == 0
    pieces = -(-(ends - starts) // 256)  # a run of r zeros is ceil(r / 256) tokens
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    k = np.arange(first.size) - first  # piece k of its run
    run_start = np.repeat(starts, pieces) + 256 * k
    run = np.minimum(np.repeat(ends, pieces) - run_start, 256)
    at = np.flatnonzero(~zero)
    tokens = np.zeros((at.size + run.size, 3), dtype=np.uint8)  # up to 3 nibbles per token
    size = np.ones(tokens.shape[0], dtype=np.int64)
    order = np.argsort(np.concatenate([at, run_start]), kind="stable")  # tokens in symbol order
    where = np.empty_like(order)
    where[order] = np.arange(order.size)
    tokens[where[: at.size], 0] = lengths[at]
    tokens[where[at.size :], 1] = (run - 1) >> 4
    tokens[where[at.size :], 2] = (run - 1) & 15
    size[where[at.size :]] = 3
    nibbles = tokens[np.arange(3) < size[:, None]]  # row-major: token by token
    if nibbles.size % 2:
        nibbles = np.append(nibbles, 0)  # pad to a byte
    return (nibbles[0::2] << 4 | nibbles[1::2]).astype(np.uint8).tobytes()


def read_lengths(data: bytes, pos: int, m: int) -> tuple[np.ndarray, int]:
    """Invert :func:`write_lengths` at ``data[pos]``; returns the lengths and the next offset."""
    size = min(2 * m + 1, m // 2 + 64)  # bytes looked at, doubled while the table runs on
    while True:
        piece = np.frombuffer(data, dtype=np.uint8, count=max(0, min(size, len(data) - pos)), offset=pos)
        nibbles = np.stack([piece >> 4, piece & 15], axis=1).ravel()
        zeros = np.flatnonzero(nibbles == 0).tolist()  # where a run token may start
        nibbles = nibbles.tolist()
        values, i, q, z = [], 0, 0, 0  # i: lengths read, q: next nibble, zeros[z]: next 0 >= q
        while True:
            while z < len(zeros) and zeros[z] < q:
                z += 1
            stop = min(zeros[z] if z < len(zeros) else len(nibbles), q + m - i)
            values += nibbles[q:stop]  # nonzero nibbles: lengths as they are
            i, q = i + stop - q, stop
            if i == m or q + 3 > len(nibbles):
                break
            run = (nibbles[q + 1] << 4 | nibbles[q + 2]) + 1  # nibble 0, then r-1 in 8 bits
            if i + run > m:
                raise CorruptStreamError(f"code-length table runs past the alphabet size {m}")
            values += [0] * run
            i, q = i + run, q + 3
        if i == m:
            return np.array(values, dtype=np.uint8), pos + (q + 1) // 2
        if pos + size >= len(data) or size > 2 * m:
            raise CorruptStreamError("stream ends inside a code-length table")
        size *= 2


def lengths_bits(counts: np.ndarray) -> int:
    """Bits :func:`write_lengths` takes for a table whose used symbols are ``counts > 0``."""
    used = counts > 0
    zero_starts = np.count_nonzero(~used[1:] & used[:-1]) + (not used[0])
    return 4 * int(np.count_nonzero(used)) + 12 * zero_starts  # runs over 256 zeros: rare, ignored


def check_kraft(lengths: np.ndarray) -> None:
    """Reject over-full lengths and a table with no code (every block holds symbols)."""
    kraft = int(np.sum(np.int64(1) << (MAX_LEN - lengths[lengths > 0].astype(np.int64))))
    if kraft > 1 << MAX_LEN:
        raise CorruptStreamError(f"over-full code lengths: Kraft sum {kraft}/{1 << MAX_LEN} > 1")
    if not kraft:
        raise CorruptStreamError("a block's code-length table: no symbol has a code")


def _varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """All ``values`` as LEB128 varints back to back, and where each one starts (and the end)."""
    values = np.asarray(values, dtype=np.uint64)
    size = np.ones(values.size, dtype=np.int64)  # bytes per varint: 7 bits each
    for k in range(1, 10):
        size += values >= np.uint64(1) << np.uint64(7 * k)
    width = int(size.max(initial=1))
    groups = (values[:, None] >> (np.uint64(7) * np.arange(width, dtype=np.uint64))) & np.uint64(0x7F)
    more = np.arange(width) < size[:, None] - 1  # continuation bit on every byte but the last
    groups = (groups | (more.astype(np.uint64) << np.uint64(7))).astype(np.uint8)
    ends = np.concatenate([[0], np.cumsum(size)])
    return groups[np.arange(width) < size[:, None]].tobytes(), ends


def _read_byte(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise CorruptStreamError("stream ends inside the block headers")
    return data[pos], pos + 1
