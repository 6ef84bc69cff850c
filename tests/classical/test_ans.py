"""Tests for classical.ans: round trips, table quantization, size, bad input, golden bytes."""

import hashlib

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from classical import ans
from classical.ans import auto_lanes, decode, encode, ideal_bits, quantize_pmf
from fundamentals.bitio import read_varint
from fundamentals.errors import CodecError, CorruptStreamError


def _random_case(seed, A, precision, n_ctx, n, zero_unused):
    """Random tables (optionally with zero-frequency symbols) and symbols they can code."""
    rng = np.random.default_rng(seed)
    pmfs = rng.random((n_ctx, A)) ** rng.uniform(0.5, 8)  # from flat to very skewed
    if zero_unused and A > 1:
        pmfs[rng.random((n_ctx, A)) < 0.3] = 0
        pmfs[np.arange(n_ctx), rng.integers(0, A, n_ctx)] = 1.0  # keep each row usable
    cdfs = np.stack([quantize_pmf(p, precision, zero_unused=zero_unused) for p in pmfs])
    contexts = rng.integers(0, n_ctx, n)
    freq = np.diff(cdfs, axis=1)
    # draw each symbol from its own context's table, so zero-frequency symbols never occur
    u = rng.integers(0, 1 << precision, n)
    symbols = np.array([np.searchsorted(cdfs[c], v, side="right") - 1 for c, v in zip(contexts, u)],
                       dtype=np.int64).reshape(n)
    assert np.all(freq[contexts, symbols] > 0)
    return symbols, cdfs, contexts


# ---- round trips ----

@given(seed=st.integers(0, 2**32 - 1), A=st.integers(1, 300), precision=st.integers(12, 16),
       n_ctx=st.integers(1, 4), n=st.integers(0, 3000), lanes=st.integers(0, 80),
       zero_unused=st.booleans())
def test_round_trip_random_tables(seed, A, precision, n_ctx, n, lanes, zero_unused):
    symbols, cdfs, contexts = _random_case(seed, A, precision, n_ctx, n, zero_unused)
    lanes = None if lanes == 0 else lanes  # 0 stands for the automatic lane count
    data = encode(symbols, cdfs, contexts, lanes=lanes)
    out = decode(data, cdfs, contexts, n)
    assert out.dtype == np.int64 and out.shape == (n,)
    np.testing.assert_array_equal(out, symbols)
    assert read_varint(data)[0] == (auto_lanes(n) if lanes is None else min(lanes, max(1, n)))


@given(symbols=st.lists(st.integers(0, 255), max_size=600), lanes=st.integers(1, 40))
@example(symbols=[], lanes=1)
@example(symbols=[7], lanes=32)
@example(symbols=[0] * 500, lanes=3)
@example(symbols=list(range(256)), lanes=5)
def test_round_trip_byte_symbols_one_table(symbols, lanes):
    cdf = quantize_pmf(np.bincount(symbols, minlength=256) if symbols else np.ones(256), 12)
    data = encode(symbols, cdf, lanes=lanes)
    np.testing.assert_array_equal(decode(data, cdf, None, len(symbols), lanes=lanes), symbols)


def test_round_trip_searchsorted_path(monkeypatch):
    """Force the many-contexts decoder path (no slot->symbol table) and compare."""
    symbols, cdfs, contexts = _random_case(5, 40, 14, 6, 5000, zero_unused=True)
    data = encode(symbols, cdfs, contexts)
    monkeypatch.setattr(ans, "MAX_LOOKUP_ENTRIES", 0)
    np.testing.assert_array_equal(decode(data, cdfs, contexts, len(symbols)), symbols)


@pytest.mark.parametrize("precision", [12, 16])
def test_extreme_tables(precision):
    """Fibonacci frequencies, a frequency-1 symbol (2 renormalization bytes per step), A = 1."""
    M = 1 << precision
    fib = [1, 1]
    while len(fib) < 20:
        fib.append(fib[-1] + fib[-2])
    rare = np.concatenate([[0], np.cumsum([1, M - 1])])  # symbol 0 has frequency 1
    single = np.array([0, M])  # one symbol: costs 0 bits
    for cdf, symbols in [(quantize_pmf(fib, precision), np.arange(20).repeat(30)),
                         (rare, np.zeros(300, dtype=np.int64)),
                         (single, np.zeros(1000, dtype=np.int64))]:
        for lanes in (1, 7):
            data = encode(symbols, cdf, lanes=lanes)
            np.testing.assert_array_equal(decode(data, cdf, None, len(symbols)), symbols)
    assert len(encode(np.zeros(1000, dtype=np.int64), single, lanes=1)) == 5


def test_largest_alphabet():
    M = 1 << 12
    cdf = quantize_pmf(np.ones(M), 12)  # every symbol gets exactly 1
    assert np.all(np.diff(cdf) == 1)
    symbols = np.random.default_rng(0).integers(0, M, 2000)
    np.testing.assert_array_equal(decode(encode(symbols, cdf), cdf, None, 2000), symbols)


def test_contexts_none_is_row_zero():
    cdfs = np.stack([quantize_pmf([1, 2, 3], 12), quantize_pmf([3, 2, 1], 12)])
    symbols = np.array([0, 1, 2, 2, 1])
    assert encode(symbols, cdfs) == encode(symbols, cdfs, np.zeros(5, dtype=int))


# ---- quantize_pmf ----

@given(pmf=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=300).filter(lambda p: sum(p) > 0),
       precision=st.integers(12, 16), zero_unused=st.booleans())
@example(pmf=[1.0] + [1e-9] * 299, precision=12, zero_unused=False)
@example(pmf=[0.0, 1.0], precision=16, zero_unused=True)
def test_quantize_pmf_properties(pmf, precision, zero_unused):
    p = np.asarray(pmf)
    cdf = quantize_pmf(p, precision, zero_unused=zero_unused)
    freq = np.diff(cdf)
    assert cdf.dtype == np.int64 and cdf.shape == (len(p) + 1,)
    assert cdf[0] == 0 and cdf[-1] == 1 << precision and np.all(freq >= 0)
    assert np.all(freq[p > 0] >= 1)
    if zero_unused:
        assert np.all(freq[p == 0] == 0)
    else:
        assert np.all(freq >= 1)
    np.testing.assert_array_equal(quantize_pmf(p, precision, zero_unused=zero_unused), cdf)  # deterministic


def test_quantize_pmf_is_close_to_proportional():
    rng = np.random.default_rng(3)
    for _ in range(20):
        p = rng.random(200) ** 6
        p /= p.sum()
        freq = np.diff(quantize_pmf(p, 16))
        # cost of coding data from p with the quantized table, beyond the entropy
        excess = float(np.sum(p * np.log2(p / (freq / 65536))))
        assert excess < 0.002  # bits per symbol


def test_quantize_pmf_exact_when_representable():
    np.testing.assert_array_equal(quantize_pmf([2, 1, 1], 12), [0, 2048, 3072, 4096])


@pytest.mark.parametrize("pmf, precision, match", [
    ([], 12, "non-empty"), ([[1, 2]], 12, "non-empty"), ([0, 0], 12, "positive sum"),
    ([1, -1], 12, "non-negative"), ([1, np.nan], 12, "finite"), ([1, 1], 11, "precision"),
    ([1, 1], 17, "precision"), (np.ones(4097), 12, "4097 symbols"),
])
def test_quantize_pmf_rejects(pmf, precision, match):
    with pytest.raises(ValueError, match=match):
        quantize_pmf(pmf, precision)


# ---- size ----

def _skewed_source(n, seed=0):
    rng = np.random.default_rng(seed)
    cdf = quantize_pmf(np.exp(-np.arange(64) / 6.0), 16)
    return rng.choice(64, size=n, p=np.diff(cdf) / 65536), cdf


def test_ideal_bits_by_hand():
    cdfs = np.array([[0, 2048, 3072, 4096], [0, 1024, 2048, 4096]])
    assert ideal_bits([0, 1, 2, 2], cdfs, [0, 0, 0, 1]) == 1 + 2 + 2 + 1


def test_size_one_lane_within_half_percent():
    symbols, cdf = _skewed_source(20000)
    ideal = ideal_bits(symbols, cdf) / 8
    assert len(encode(symbols, cdf, lanes=1)) <= ideal * 1.005 + 16


@pytest.mark.parametrize("lanes", [32, None])
def test_size_many_lanes(lanes):
    symbols, cdf = _skewed_source(100000)
    ideal = ideal_bits(symbols, cdf) / 8
    n_lanes = auto_lanes(len(symbols)) if lanes is None else lanes
    assert len(encode(symbols, cdf, lanes=lanes)) <= ideal * 1.005 + 16 + 5 * n_lanes


def test_auto_lanes():
    assert [auto_lanes(n) for n in (0, 1, 256, 257, 8192, 131072, 131073, 10**6)] == \
        [1, 1, 1, 2, 32, 32, 33, 245]


# ---- bad input (caller mistakes) ----

CDF = [0, 2048, 3072, 4096]


@pytest.mark.parametrize("symbols, cdfs, contexts, lanes, match", [
    ([3], CDF, None, 4, r"\[0, 2\]"),
    ([-1], CDF, None, 4, r"\[0, 2\]"),
    ([1.0], CDF, None, 4, "integers"),
    ([[1]], CDF, None, 4, "1-D"),
    ([1], [0, 4096, 4096], None, 4, "frequency 0"),
    ([1], [0, 2048, 5000], None, 4, "2\\*\\*12"),
    ([1], [0, 1024, 2048], None, 4, "2\\*\\*12"),
    ([1], [0, 1 << 16, 1 << 17], None, 4, "2\\*\\*12"),
    ([1], [[0, 1, 4096], [0, 1, 8192]], None, 4, "same M"),
    ([1], [5, 2048, 4096], None, 4, "start at 0"),
    ([1], [0, 3000, 2048, 4096], None, 4, "non-decreasing"),
    ([1], [0.0, 2048.0, 4096.0], None, 4, "integers"),
    ([1], [4096], None, 4, "A >= 1"),
    ([1, 1], CDF, [0], 4, "shape"),
    ([1], CDF, [1], 4, "contexts must lie"),
    ([1], CDF, None, 0, "lanes"),
])
def test_encode_rejects(symbols, cdfs, contexts, lanes, match):
    with pytest.raises(ValueError, match=match):
        encode(symbols, cdfs, contexts, lanes=lanes)


def test_ideal_bits_rejects_zero_frequency():
    with pytest.raises(ValueError, match="frequency 0"):
        ideal_bits([1], [0, 4096, 4096])


def test_decode_rejects_bad_arguments():
    data = encode([0, 1, 2], CDF)
    with pytest.raises(ValueError, match="2\\*\\*28"):
        decode(data, CDF, None, (1 << 28) + 1)  # refused before allocating anything
    with pytest.raises(ValueError, match="2\\*\\*28"):
        decode(data, CDF, None, -1)
    with pytest.raises(ValueError, match="shape"):
        decode(data, CDF, [0, 0], 3)
    with pytest.raises(CorruptStreamError, match="lanes"):
        decode(encode(np.zeros(100, dtype=int), CDF, lanes=4), CDF, None, 100, lanes=5)


# ---- corrupt streams ----

def _small_stream():
    symbols, cdfs, contexts = _random_case(11, 20, 12, 3, 300, zero_unused=False)
    return symbols, cdfs, contexts, encode(symbols, cdfs, contexts, lanes=4)


def test_every_truncation_raises():
    symbols, cdfs, contexts, data = _small_stream()
    assert len(data) > 40  # renormalization bytes exist, not just states
    for cut in range(len(data)):
        with pytest.raises(CorruptStreamError):
            decode(data[:cut], cdfs, contexts, len(symbols))


def test_extra_bytes_raise():
    symbols, cdfs, contexts, data = _small_stream()
    with pytest.raises(CorruptStreamError, match="final state mismatch"):
        decode(data + b"\x00", cdfs, contexts, len(symbols))


def test_bad_headers_raise():
    n = 10
    with pytest.raises(CorruptStreamError, match="lane count"):
        decode(bytes([11]) + bytes(44), CDF, None, n)  # more lanes than symbols
    with pytest.raises(CorruptStreamError, match="lane count"):
        decode(bytes([0]), CDF, None, n)
    with pytest.raises(CorruptStreamError, match="outside"):
        decode(bytes([1, 0, 0, 0, 0]), CDF, None, n)  # state 0 < L
    with pytest.raises(CorruptStreamError):
        decode(b"", CDF, None, 0)
    with pytest.raises(CorruptStreamError, match="final state mismatch"):
        decode(encode([0] * 50, CDF, lanes=2), CDF, None, 49)  # wrong n


@given(seed=st.integers(0, 2**32 - 1), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)),
                                                     min_size=1, max_size=4))
def test_byte_flips_decode_or_raise_codec_error(seed, flips):
    symbols, cdfs, contexts = _random_case(seed, 30, 12, 2, 400, zero_unused=True)
    data = bytearray(encode(symbols, cdfs, contexts, lanes=8))
    for pos, xor in flips:
        data[pos % len(data)] ^= xor
    try:
        out = decode(bytes(data), cdfs, contexts, len(symbols))
    except CodecError:
        return
    assert out.shape == symbols.shape and out.min(initial=0) >= 0 and out.max(initial=0) < 30


@given(data=st.binary(max_size=200), n=st.integers(0, 300))
def test_garbage_decodes_or_raises_codec_error(data, n):
    try:
        out = decode(data, CDF, None, n)
    except CodecError:
        return
    assert out.shape == (n,)


# ---- golden bytes: the format must not drift silently ----

def test_golden_stream():
    """Plain arithmetic inputs (no RNG), two tables, 3 lanes, 1000 symbols."""
    k = np.arange(1000)
    cdfs = np.stack([quantize_pmf(1.0 / (np.arange(50) + 1), 14), quantize_pmf(np.ones(50), 14)])
    symbols = (k * k * 31 + 7) % 97 % 50
    contexts = (k // 10) % 2
    data = encode(symbols, cdfs, contexts, lanes=3)
    assert data[:5].hex() == GOLDEN_HEAD
    assert hashlib.sha256(data).hexdigest() == GOLDEN_SHA256
    assert len(data) == GOLDEN_LEN


GOLDEN_HEAD = "03f6e40304"  # 3 lanes, then lane 0's state 0x0403e4f6 (little-endian)
GOLDEN_SHA256 = "e0c7de3a5b7d87c02c689d29745c26cc61330706d546f93383e8fc0c20179508"
GOLDEN_LEN = 750  # ideal 737.96 bytes + 3 lanes * 4 state bytes + 1
