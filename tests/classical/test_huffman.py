"""Tests of classical.huffman: code construction, round trips, golden bytes, bad streams."""

import heapq
import itertools
import os
import time
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from classical import _huffman_stream as layout
from classical import huffman
from classical.huffman import (
    canonical_codes,
    code_lengths,
    compress,
    decode_symbols,
    decode_symbols_slow,
    decompress,
    encode_symbols,
)
from fundamentals.bitio import write_varint
from fundamentals.errors import CodecError, CorruptStreamError

FIB = [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 4181, 6765]
FIB_BYTES = b"".join(bytes([s]) * f for s, f in enumerate(FIB))  # deepest tree: 19 levels unlimited
DATA = Path(os.environ.get("COMPRESS_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


def kraft(lengths):
    """Kraft sum as an exact fraction numerator over 2**32."""
    used = np.asarray(lengths)[np.asarray(lengths) > 0].astype(np.int64)
    return int(np.sum(np.int64(1) << (32 - used)))


def heap_huffman_cost(freqs):
    """Total bits of a plain Huffman code (Huffman 1952), the unlimited optimum."""
    heap = [f for f in freqs if f > 0]
    if len(heap) == 1:
        return heap[0]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged  # every symbol below the new node gets one bit longer
        heapq.heappush(heap, merged)
    return cost


def brute_force_cost(freqs, max_len):
    """Cheapest complete code with lengths <= max_len, by enumeration (tiny alphabets)."""
    best = None
    for lengths in itertools.product(range(1, max_len + 1), repeat=len(freqs)):
        if sum(2.0 ** -n for n in lengths) == 1.0:
            cost = sum(f * n for f, n in zip(freqs, lengths))
            best = cost if best is None else min(best, cost)
    return best


def stream(m, n, lengths, chunk_size, chunk_bits, payload, magic=layout.MAGIC):
    """Build a one-block stream field by field (for hand-made bad streams)."""
    out = bytes([magic]) + write_varint(m) + write_varint(n) + write_varint(chunk_size)
    out += write_varint(max(1, -(-n // max(1, chunk_size)))) + bytes([layout.NEW_TABLE])  # one block
    out += layout.write_lengths(np.asarray(lengths, dtype=np.uint8))
    return out + b"".join(write_varint(b) for b in chunk_bits) + payload


def blocks_stream(m, n, chunk_size, block_chunks, blocks, payload):
    """Build a stream of several blocks; ``blocks``: (lengths or None to reuse, chunk bits)."""
    out = bytes([layout.MAGIC]) + b"".join(write_varint(v) for v in (m, n, chunk_size, block_chunks))
    for lengths, chunk_bits in blocks:
        if lengths is None:
            out += bytes([layout.SAME_TABLE])
        else:
            out += bytes([layout.NEW_TABLE]) + layout.write_lengths(np.asarray(lengths, dtype=np.uint8))
        out += b"".join(write_varint(b) for b in chunk_bits)
    return out + payload


# ---- code construction ----------------------------------------------------------------------


def test_golden_mississippi():
    counts = Counter(b"mississippi")  # i:4, m:1, p:2, s:4
    lengths = code_lengths(np.bincount(list(b"mississippi"), minlength=256), 15)
    assert {chr(s): int(lengths[s]) for s in counts} == {"i": 2, "m": 3, "p": 3, "s": 1}
    codes = canonical_codes(lengths)
    assert {chr(s): format(int(codes[s]), f"0{lengths[s]}b") for s in counts} == {
        "s": "0", "i": "10", "m": "110", "p": "111"}
    # format byte, m = 256, n = 11, C = 1024, 1 chunk per block, one block: new-table flag,
    # lengths table, no chunk index (the last chunk's length is implied); 21 bits of codes
    assert compress(b"mississippi").hex() == "c980020b80080100068200230013001108b0d117f0"


def test_rfc1951_canonical_example():
    # RFC 1951 3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) for A..H
    codes = canonical_codes([3, 3, 3, 3, 3, 2, 4, 4])
    assert codes.tolist() == [0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111]


def test_fibonacci_lengths():
    assert code_lengths(FIB[:8], 15).tolist() == [7, 7, 6, 5, 4, 3, 2, 1]
    lengths = code_lengths(FIB, 15)  # unlimited depth would be 19
    assert lengths.max() == 15 and kraft(lengths) == 1 << 32
    assert code_lengths(FIB, 19).max() == 19
    assert int(np.dot(code_lengths(FIB, 19), FIB)) == heap_huffman_cost(FIB)


@pytest.mark.parametrize("freqs", [[], [0, 0], [0, 7, 0], [5]])
def test_degenerate_lengths(freqs):
    lengths = code_lengths(freqs, 15)
    assert lengths.tolist() == [1 if f else 0 for f in freqs]  # one symbol: a 1-bit code


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=300), st.integers(9, 16))
@example([1] * 256, 8)
def test_code_lengths_properties(freqs, max_len):
    lengths = code_lengths(freqs, max_len)
    used = np.flatnonzero(freqs)
    assert lengths.dtype == np.uint8 and lengths.shape == (len(freqs),)
    assert (lengths[np.asarray(freqs) == 0] == 0).all()
    assert lengths.max() <= max_len
    if used.size >= 2:
        assert kraft(lengths) == 1 << 32  # complete: Kraft sum exactly 1
        cost = int(np.dot(lengths.astype(np.int64), freqs))
        assert cost >= heap_huffman_cost(freqs)  # never better than unlimited Huffman
        if code_lengths(freqs, 32).max() <= max_len:  # the cap does not bind
            assert cost == heap_huffman_cost(freqs)


@given(st.lists(st.integers(1, 1000), min_size=2, max_size=6), st.integers(2, 4))
def test_code_lengths_optimal_under_limit(freqs, max_len):
    if len(freqs) > 1 << max_len:
        return
    lengths = code_lengths(freqs, max_len)
    assert int(np.dot(lengths, freqs)) == brute_force_cost(freqs, max_len)


@given(st.lists(st.integers(0, 1000), min_size=1, max_size=300))
def test_unlimited_equals_huffman_cost(freqs):
    lengths = code_lengths(freqs, 32)
    assert int(np.dot(lengths.astype(np.int64), freqs)) == (heap_huffman_cost(freqs) if any(freqs) else 0)


def test_code_lengths_deterministic_ties():
    # ties by (frequency, symbol): among equal counts the lower symbol sorts as the rarer
    # one, is merged first and so gets the longer code (as 'i' vs 's' in "mississippi")
    assert code_lengths([1, 1, 1], 15).tolist() == [2, 2, 1]
    assert code_lengths([3, 3, 3, 3, 3], 15).tolist() == [3, 3, 2, 2, 2]


@given(st.lists(st.integers(0, 15), min_size=1, max_size=300))
def test_canonical_codes_prefix_free(lengths):
    if kraft(lengths) > 1 << 32:
        with pytest.raises(ValueError, match="over-full"):
            canonical_codes(lengths)
        return
    codes = canonical_codes(lengths)
    words = [format(int(codes[s]), f"0{n}b") for s, n in enumerate(lengths) if n]
    for a, b in itertools.permutations(words, 2):
        assert not b.startswith(a)
    # canonical: sorted by (length, symbol) the codes are sorted as bit strings
    ordered = [w for _, _, w in sorted((len(w), i, w) for i, w in enumerate(words))]
    assert ordered == sorted(words)


# ---- round trips ----------------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(st.binary(max_size=65536))
@example(b"")
@example(b"a")
@example(b"\x00" * 5000)
@example(bytes(range(256)))
@example(bytes(range(256)) * 9)
@example(FIB_BYTES)
def test_round_trip_bytes(data):
    packed = compress(data)
    assert decompress(packed) == data
    if len(data) <= 4096:
        assert decode_symbols_slow(packed).tobytes() == data


@st.composite
def symbol_arrays(draw):
    m = draw(st.integers(1, 4096))
    n = draw(st.integers(0, 3000))
    skew = draw(st.integers(1, m))  # draw from a sub-range to get a mix of codes
    symbols = draw(st.lists(st.integers(0, skew - 1), min_size=n, max_size=n))
    return np.array(symbols, dtype=np.int64), m


@settings(deadline=None, max_examples=60)
@given(symbol_arrays(), st.sampled_from([1, 7, 64, 1024]), st.integers(12, 15),
       st.sampled_from([1, 10, 100, 2048, None]))
def test_round_trip_symbols(arrays, chunk_size, max_len, block_size):
    symbols, m = arrays
    blob = encode_symbols(symbols, m, max_len=max_len, chunk_size=chunk_size, block_size=block_size)
    fast = decode_symbols(blob, alphabet_size=m)
    assert fast.dtype == (np.uint8 if m <= 256 else np.uint16)
    np.testing.assert_array_equal(fast, symbols)
    np.testing.assert_array_equal(decode_symbols_slow(blob), symbols)


def changing_source(n, block=16, seed=0):
    """Symbols whose statistics change every ``block``: block j draws from its own range."""
    rng = np.random.default_rng(seed)
    j = np.arange(n) // block
    return (rng.integers(0, 1 + j % 5, n) * 7 + 13 * (j % 3)) % 50


@pytest.mark.parametrize("n", [0, 1, 3, 4, 15, 16, 17, 32, 48, 52, 49, 200])
def test_multi_block_round_trips(n):
    # chunks of 4 symbols, blocks of 16 (4 chunks): n = 16, 32, 48 end exactly on a block
    symbols = changing_source(n)
    blob = encode_symbols(symbols, 50, chunk_size=4, block_size=16)
    head = layout.read_header(blob, 50)
    assert head.block_table.size == -(-n // 16)  # (a stream shorter than a block has one)
    np.testing.assert_array_equal(decode_symbols(blob), symbols)
    np.testing.assert_array_equal(decode_symbols_slow(blob), symbols)


def test_tables_change_with_the_source():
    symbols = changing_source(20_000, block=1000)
    blob = encode_symbols(symbols, 50, chunk_size=100, block_size=1000)
    head = layout.read_header(blob, 50)
    assert 1 < len(head.tables) <= head.block_table.size == 20  # new tables where the source changes
    assert len(blob) < len(encode_symbols(symbols, 50, chunk_size=100, block_size=None))
    np.testing.assert_array_equal(decode_symbols(blob), decode_symbols_slow(blob))
    np.testing.assert_array_equal(decode_symbols(blob), symbols)


def test_stationary_source_keeps_one_table():
    symbols = np.random.default_rng(1).integers(0, 40, 100_000)
    blob = encode_symbols(symbols, 40, block_size=4096)
    head = layout.read_header(blob, 40)
    assert head.block_table.size == 25 and len(head.tables) == 1  # a new table would not pay
    assert len(blob) <= len(encode_symbols(symbols, 40, block_size=None)) + 25  # one flag byte per block


def test_one_symbol_blocks():
    # every block holds one symbol: each gets a 1-bit under-full code (the 64-bit table path)
    symbols = np.repeat([3, 0, 3, 9, 9], 1024)
    blob = encode_symbols(symbols, 10, chunk_size=256, block_size=1024)
    head = layout.read_header(blob, 10)
    assert [int(t.max()) for t in head.tables] == [1, 1, 1, 1] and head.block_table.tolist() == [0, 1, 2, 3, 3]
    assert len(head.payload) == 5 * 1024 // 8
    np.testing.assert_array_equal(decode_symbols(blob), symbols)
    np.testing.assert_array_equal(decode_symbols_slow(blob), symbols)


@pytest.mark.parametrize("block_size", [1, 16384, None])
def test_empty_streams(block_size):
    blob = encode_symbols([], 300, block_size=block_size)
    assert decode_symbols(blob).size == decode_symbols_slow(blob).size == 0
    assert decompress(compress(b"", block_size=block_size)) == b""


def test_block_size_rounds_up_to_chunks():
    blob = encode_symbols(np.arange(100) % 7, 7, chunk_size=7, block_size=20)
    assert layout.read_header(blob, 7).block_chunks == 3  # 21 symbols per block


def test_lane_groups(monkeypatch):
    # with room for one table at a time, the lanes are decoded group by group
    symbols = changing_source(5000, block=500)
    blob = encode_symbols(symbols, 50, chunk_size=50, block_size=500)
    assert len(layout.read_header(blob, 50).tables) > 2
    monkeypatch.setattr(huffman, "TABLE_ENTRIES", 1)
    np.testing.assert_array_equal(decode_symbols(blob), symbols)


def test_one_symbol_costs_one_bit():
    blob = compress(b"z" * 1000)
    assert decompress(blob) == b"z" * 1000
    assert len(layout.read_header(blob, 256).payload) == 125  # 1000 bits


def test_large_alphabet_and_uint_dtypes():
    rng = np.random.default_rng(0)
    symbols = rng.zipf(1.3, 50_000) % 65536
    for dtype in (np.uint16, np.uint32, np.uint64, np.int32):
        blob = encode_symbols(symbols.astype(dtype), 65536)
        np.testing.assert_array_equal(decode_symbols(blob), symbols)


@pytest.mark.parametrize("data", [b"", b"x", FIB_BYTES, bytes(range(256)) * 4])
def test_payload_bits_equal_sum_of_code_lengths(data):
    packed = compress(data)
    head = layout.read_header(packed, 256)
    symbols = np.frombuffer(data, np.uint8)
    bits = 0
    for j, t in enumerate(head.block_table.tolist()):  # each block under its own table
        block = symbols[j * head.block_size : (j + 1) * head.block_size]
        bits += int(np.dot(head.tables[t].astype(np.int64), np.bincount(block, minlength=256)))
        assert head.tables[t].max() <= 15
    assert len(head.payload) == (bits + 7) // 8


def test_deterministic():
    data = b"the same input gives the same bytes " * 50
    assert compress(data) == compress(bytes(data))


def _text():
    """About 60 KB of English: lcet10.txt if the data folder exists, else our own docs."""
    path = DATA / "canterbury" / "lcet10.txt"
    if path.exists():
        return path.read_bytes()
    root = Path(__file__).resolve().parents[2]
    return b"".join(p.read_bytes() for p in sorted(root.glob("*/*.py")))


def test_size_close_to_zlib_huffman_only():
    text = _text()
    zobj = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_HUFFMAN_ONLY)
    reference = len(zobj.compress(text) + zobj.flush())
    assert len(compress(text)) <= 1.01 * reference + 64


@pytest.mark.skipif("COMPRESS_DATA" not in os.environ, reason="set COMPRESS_DATA to the shared data folder")
def test_corpus_size_close_to_zlib_huffman_only():
    files = [p for p in sorted((DATA / "canterbury").iterdir()) if p.name not in ("SOURCES.md", "MANIFEST.tsv")]
    ours = reference = 0
    for path in files:
        data = path.read_bytes()
        zobj = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_HUFFMAN_ONLY)
        reference += len(zobj.compress(data) + zobj.flush())
        packed = compress(data)
        assert decompress(packed) == data
        ours += len(packed)
    assert len(files) == 11
    assert ours <= 1.01 * reference + 64  # every table, flag and chunk index included


# ---- bad streams ----------------------------------------------------------------------------


DECODERS = [decode_symbols, decode_symbols_slow]


@pytest.mark.parametrize("decode", DECODERS)
def test_every_truncation_raises(decode):
    packed = compress(b"abracadabra, " * 40)
    for cut in range(len(packed)):
        with pytest.raises(CorruptStreamError):
            decode(packed[:cut])


@pytest.mark.parametrize("decode", DECODERS)
def test_bad_format_byte(decode):
    packed = compress(b"hello")
    with pytest.raises(CorruptStreamError, match="format byte"):
        decode(b"\x00" + packed[1:])
    with pytest.raises(CorruptStreamError, match="format byte"):
        decode(b"")


@pytest.mark.parametrize("decode", DECODERS)
def test_over_full_lengths(decode):
    bad = stream(3, 2, [1, 1, 1], 1024, [], b"\x00")
    with pytest.raises(CorruptStreamError, match="over-full"):
        decode(bad)


@pytest.mark.parametrize("decode", DECODERS)
@pytest.mark.parametrize(("fields", "match"), [
    ((4, 8, [0, 0, 0, 0], 1024, [], b"\x00"), "no symbol has a code"),
    ((4, 10**9, [2, 2, 2, 2], 1024, [], b"\x00"), "symbol count"),
    ((4, 16, [2, 2, 2, 2], 8, [9999], b"\x00" * 4), "cannot take"),
    ((4, 16, [2, 2, 2, 2], 8, [16], b"\x00" * 2), "past the"),
    ((4, 16, [2, 2, 2, 2], 0, [], b"\x00" * 4), "chunk size"),
    ((0, 0, [], 1024, [], b""), "alphabet size"),
    ((4, 8, [2, 2, 2, 2], 1024, [], b"\x00" * 3), "payload holds"),  # trailing bytes
    ((4, 8, [2, 2, 2, 2], 4, [9], b"\x00" * 3), "chunk 0"),  # index disagrees with the codes
])
def test_bad_headers(decode, fields, match):
    with pytest.raises(CorruptStreamError, match=match):
        decode(stream(*fields))


@pytest.mark.parametrize("decode", DECODERS)
def test_invalid_code(decode):
    # lengths (1, 2, 0): codes 0 and 10; the pattern 11 is no code
    with pytest.raises(CorruptStreamError):
        decode(stream(3, 2, [1, 2, 0], 1024, [], b"\xc0"))
    with pytest.raises(CorruptStreamError):  # the same, in a chunk that is not the last
        decode(stream(3, 4, [1, 2, 0], 2, [3], b"\x0c"))


@pytest.mark.parametrize("decode", DECODERS)
def test_every_truncation_raises_multi_block(decode):
    packed = encode_symbols(changing_source(300), 50, chunk_size=8, block_size=32)
    assert len(layout.read_header(packed, 50).tables) > 1
    for cut in range(len(packed)):
        with pytest.raises(CorruptStreamError):
            decode(packed[:cut])


@pytest.mark.parametrize("decode", DECODERS)
@pytest.mark.parametrize(("blocks", "match"), [
    ([(None, [4, 4]), (None, [4])], "no table before"),
    ([([2, 2, 2, 2], [4, 4]), ([1, 1, 1, 0], [4])], "over-full"),
    ([([2, 2, 2, 2], [4, 4]), ([0, 0, 0, 0], [4])], "no symbol has a code"),
    ([([2, 2, 2, 2], [4, 4]), ([1, 2, 2, 0], [99])], "chunk of 2 symbols cannot take 99"),
    ([([2, 2, 2, 2], [4, 4])], "ends inside the block headers"),  # block 1 is cut off
    ([([2, 2, 2, 2], [4, 4]), ([1, 2, 2, 0], [3])], "ends at bit"),  # chunk 2 takes 2 bits, not 3
])
def test_bad_multi_block_headers(decode, blocks, match):
    # m = 4, n = 8, chunks of 2, 2 chunks per block: 2 blocks of 4 symbols, 3 chunk lengths
    payload = b"\x00\x00\x00" if len(blocks) == 2 else b""
    with pytest.raises(CorruptStreamError, match=match):
        decode(blocks_stream(4, 8, 2, 2, blocks, payload))


@pytest.mark.parametrize("decode", DECODERS)
def test_bad_table_flag(decode):
    blob = bytearray(encode_symbols(changing_source(64), 50, chunk_size=4, block_size=16))
    head = layout.read_header(bytes(blob), 50)
    assert head.block_table.size == 4
    flag_at = 1 + len(write_varint(50)) + len(write_varint(64)) + 2  # after m, n, C = 4, b = 4
    blob[flag_at] = 7
    with pytest.raises(CorruptStreamError, match="table flag 7"):
        decode(bytes(blob))


def test_alphabet_mismatch():
    blob = encode_symbols([1, 2, 3], 300)
    with pytest.raises(CorruptStreamError, match="alphabet size 300"):
        decompress(blob)


@settings(deadline=None, max_examples=100)
@given(st.binary(min_size=1, max_size=2000), st.data())
def test_corruption_never_crashes(data, draw):
    packed = bytearray(compress(data))
    for _ in range(draw.draw(st.integers(1, 4))):
        i = draw.draw(st.integers(0, len(packed) - 1))
        packed[i] = draw.draw(st.integers(0, 255))
    for decode in DECODERS:
        try:
            decode(bytes(packed))
        except CodecError:
            pass


def test_caller_mistakes():
    with pytest.raises(ValueError, match="symbols must lie"):
        encode_symbols([0, 5], 5)
    with pytest.raises(ValueError, match="symbols must lie"):
        encode_symbols([-1], 5)
    with pytest.raises(ValueError, match="alphabet_size"):
        encode_symbols([0], 0)
    with pytest.raises(ValueError, match="max_len"):
        encode_symbols([0], 2, max_len=16)
    with pytest.raises(ValueError, match="chunk_size"):
        encode_symbols([0], 2, chunk_size=0)
    with pytest.raises(ValueError, match="block_size"):
        encode_symbols([0], 2, block_size=0)
    with pytest.raises(ValueError, match="integers"):
        encode_symbols([0.5], 2)
    with pytest.raises(ValueError, match="need max_len"):
        code_lengths([1] * 5, 2)
    with pytest.raises(ValueError, match=">= 0"):
        code_lengths([1, -1], 15)


# ---- speed (printed, not asserted: run with -m slow -s) -----------------------------------


@pytest.mark.slow
def test_speed_against_dahuffman():
    dahuffman = pytest.importorskip("dahuffman")
    text = _text()

    def best(fn, repeat=5):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        return min(times), result

    t_enc, packed = best(lambda: compress(text))
    t_dec, _ = best(lambda: decompress(packed))
    codec = dahuffman.HuffmanCodec.from_data(text)
    t_denc, theirs = best(lambda: codec.encode(text), 2)
    t_ddec, _ = best(lambda: codec.decode(theirs), 2)
    mb = len(text) / 1e6
    print(f"\n{len(text)} bytes -> {len(packed)} (dahuffman {len(theirs)})")
    print(f"ours      enc {mb / t_enc:6.1f} MB/s  dec {mb / t_dec:6.1f} MB/s")
    print(f"dahuffman enc {mb / t_denc:6.1f} MB/s  dec {mb / t_ddec:6.1f} MB/s")
