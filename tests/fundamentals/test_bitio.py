"""Tests of fundamentals.bitio: bit order, round trips, vectorized packing, varints."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from fundamentals.bitio import (
    _BLOCK,
    BitReader,
    BitWriter,
    pack_codes,
    pack_codes_loop,
    read_varint,
    unpack_bits,
    write_varint,
)
from fundamentals.errors import CorruptStreamError

ORDERS = ["msb", "lsb"]


@st.composite
def fields(draw, max_bits=64):
    """A list of (value, nbits) pairs, each value fitting its width."""
    widths = draw(st.lists(st.integers(0, max_bits), max_size=60))
    return [(draw(st.integers(0, (1 << n) - 1)), n) for n in widths]


# ---- known bytes ----------------------------------------------------------------------------


@pytest.mark.parametrize(("order", "expected"), [("msb", 0xB0), ("lsb", 0x0D)])
def test_worked_byte(order, expected):
    writer = BitWriter(order)
    writer.write(0b101, 3)
    writer.write(0b1, 1)
    assert writer.getvalue() == bytes([expected])
    assert writer.nbits == 4


@pytest.mark.parametrize(("order", "expected"), [("msb", "abcd"), ("lsb", "cdab")])
def test_multi_byte_value(order, expected):
    # msb: big-endian bit string; lsb: low byte first, as .Z and DEFLATE store codes
    writer = BitWriter(order)
    writer.write(0xABCD, 16)
    assert writer.getvalue().hex() == expected


def test_nayuki_deflate_byte():
    # "0x87 reads as 1,1,1,0,0,0,0,1" (Nayuki, DEFLATE's bit order)
    reader = BitReader(b"\x87", "lsb")
    assert [reader.read_bit() for _ in range(8)] == [1, 1, 1, 0, 0, 0, 0, 1]
    assert unpack_bits(b"\x87", "lsb").tolist() == [1, 1, 1, 0, 0, 0, 0, 1]


@pytest.mark.parametrize(("order", "fill", "expected"), [
    ("msb", 0, "a0"), ("msb", 1, "bf"), ("lsb", 0, "05"), ("lsb", 1, "fd"),
])
def test_align_fill(order, fill, expected):
    writer = BitWriter(order)
    writer.write(0b101, 3)
    writer.align(fill)
    assert writer.nbits == 8
    assert writer.getvalue().hex() == expected
    writer.align(fill)  # already aligned: nothing
    assert writer.nbits == 8


def test_getvalue_does_not_change_state():
    writer = BitWriter()
    writer.write(1, 1)
    assert writer.getvalue() == b"\x80"
    writer.write(1, 1)
    assert writer.getvalue() == b"\xc0"
    assert writer.nbits == 2


# ---- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
@given(items=fields())
@example(items=[])
@example(items=[(0, 0), ((1 << 64) - 1, 64), (1, 1)])
def test_writer_reader_round_trip(order, items):
    writer = BitWriter(order)
    for value, nbits in items:
        writer.write(value, nbits)
    total = sum(n for _, n in items)
    assert writer.nbits == total
    data = writer.getvalue()
    assert len(data) == (total + 7) // 8
    reader = BitReader(data, order)
    assert [reader.read(n) for _, n in items] == [v for v, _ in items]
    assert reader.position == total
    assert reader.bits_left == 8 * len(data) - total


@pytest.mark.parametrize("order", ORDERS)
@given(items=fields(), fill=st.sampled_from([0, 1]))
def test_align_round_trip(order, items, fill):
    writer = BitWriter(order)
    for value, nbits in items:
        writer.write(value, nbits)
        writer.align(fill)
    reader = BitReader(writer.getvalue(), order)
    for value, nbits in items:
        assert reader.read(nbits) == value
        reader.align()
    assert reader.bits_left == 0


@pytest.mark.parametrize("order", ORDERS)
@given(items=fields())
def test_read_bit_agrees_with_unpack_bits(order, items):
    writer = BitWriter(order)
    for value, nbits in items:
        writer.write(value, nbits)
    data = writer.getvalue()
    reader = BitReader(data, order)
    assert [reader.read_bit() for _ in range(8 * len(data))] == unpack_bits(data, order).tolist()


# ---- vectorized packing -----------------------------------------------------------------


@st.composite
def code_arrays(draw):
    n = draw(st.integers(0, 300))
    lengths = draw(st.lists(st.integers(0, 32), min_size=n, max_size=n))
    codes = draw(st.lists(st.integers(0, (1 << 64) - 1), min_size=n, max_size=n))
    dtype = draw(st.sampled_from([np.uint64, np.uint32, np.int64]))
    codes = np.array(codes, dtype=np.uint64)
    if dtype is np.uint32:
        codes = codes & np.uint64(0xFFFFFFFF)
    return codes.astype(dtype), np.array(lengths, dtype=np.int64)


@pytest.mark.parametrize("order", ORDERS)
@given(arrays=code_arrays(), fill=st.sampled_from([0, 1]))
def test_pack_codes_equals_loop_and_writer(order, arrays, fill):
    codes, lengths = arrays
    fast = pack_codes(codes, lengths, order=order, fill=fill)
    assert fast == pack_codes_loop(codes, lengths, order=order, fill=fill)
    writer = BitWriter(order)
    for code, length in zip(codes.tolist(), lengths.tolist()):
        writer.write(int(code) % (1 << length), length)
    writer.align(fill)
    assert fast == writer.getvalue()


@pytest.mark.parametrize("order", ORDERS)
def test_pack_codes_across_blocks(order):
    # more codes than one NumPy block: words straddle the block boundaries
    rng = np.random.default_rng(0)
    n = 2 * _BLOCK + 1000
    lengths = rng.integers(0, 33, n)
    codes = rng.integers(0, 1 << 32, n, dtype=np.uint64)
    assert pack_codes(codes, lengths, order=order) == pack_codes_loop(codes, lengths, order=order)


def _arrays(n, lo, hi, seed=0, code_dtype=np.uint64, length_dtype=np.int64):
    """`n` random codes (all 64 bits set at random) with lengths drawn from lo..hi."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 1 << 64, n, dtype=np.uint64, endpoint=False)
    return codes.astype(code_dtype), rng.integers(lo, hi + 1, n).astype(length_dtype)


@st.composite
def long_code_arrays(draw):
    """Long inputs (up to three of pack_codes' blocks) from a seeded NumPy generator.

    The codes carry junk above their lengths; narrow length ranges exercise the joining
    of neighbouring short codes (e.g. lengths 0..2 join four times).
    """
    n = draw(
        st.sampled_from([1, 2, 3, _BLOCK - 1, _BLOCK, _BLOCK + 1, 2 * _BLOCK + 1])
        | st.integers(0, 3 * _BLOCK)
    )
    lo = draw(st.integers(0, 32))
    hi = draw(st.integers(lo, 32))
    seed = draw(st.integers(0, 2**32 - 1))
    code_dtype = draw(st.sampled_from([np.uint64, np.int64, np.uint32, np.uint16]))
    length_dtype = draw(st.sampled_from([np.uint8, np.int64]))
    return _arrays(n, lo, hi, seed, code_dtype, length_dtype)


@pytest.mark.parametrize("order", ORDERS)
@given(arrays=long_code_arrays(), fill=st.sampled_from([0, 1]))
@example(arrays=_arrays(3 * _BLOCK, 0, 0), fill=1)  # all lengths 0: no bytes at all
@example(arrays=_arrays(1, 32, 32), fill=1)  # one 32-bit code
@example(arrays=_arrays(_BLOCK + 5, 32, 32), fill=0)  # every code a whole word
@example(arrays=_arrays(2 * _BLOCK + 7, 0, 1), fill=1)  # 1-bit codes, joined 5 times
@example(arrays=_arrays(_BLOCK + 3, 16, 16), fill=1)  # joined once into whole words
def test_pack_codes_long_equals_loop(order, arrays, fill):
    codes, lengths = arrays
    fast = pack_codes(codes, lengths, order=order, fill=fill)
    assert fast == pack_codes_loop(codes, lengths, order=order, fill=fill)
    assert len(fast) == (int(lengths.sum()) + 7) // 8


def test_pack_codes_known_bytes():
    assert pack_codes([0b101, 1], [3, 1]) == b"\xb0"
    assert pack_codes([0b101, 1], [3, 1], order="lsb") == b"\x0d"
    assert pack_codes([0xFF, 0b1], [0, 1]) == b"\x80"  # length 0 writes nothing
    assert pack_codes([0xFFFFFFFF, 0], [32, 1], fill=1) == b"\xff\xff\xff\xff\x7f"
    assert pack_codes([], []) == b""


def test_unpack_bits_orders():
    assert unpack_bits(b"\xb0").tolist() == [1, 0, 1, 1, 0, 0, 0, 0]
    assert unpack_bits(b"\xb0", "lsb").tolist() == [0, 0, 0, 0, 1, 1, 0, 1]
    assert unpack_bits(b"").dtype == np.uint8


# ---- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
def test_read_past_end(order):
    reader = BitReader(b"\xff", order)
    assert reader.read(5) == 31
    with pytest.raises(CorruptStreamError, match="5 bits wanted"):
        reader.read(5)
    assert reader.read(3) == 7
    with pytest.raises(CorruptStreamError):
        reader.read_bit()
    with pytest.raises(CorruptStreamError):
        BitReader(b"").read(1)
    assert BitReader(b"").read(0) == 0


def test_caller_mistakes():
    writer = BitWriter()
    with pytest.raises(ValueError, match="does not fit"):
        writer.write(8, 3)
    with pytest.raises(ValueError, match="does not fit"):
        writer.write(-1, 8)
    with pytest.raises(ValueError, match="nbits"):
        writer.write(0, 65)
    with pytest.raises(ValueError, match="fill"):
        writer.align(2)
    with pytest.raises(ValueError, match="bit order"):
        BitWriter("big")
    with pytest.raises(ValueError, match="bit order"):
        BitReader(b"", "little")
    with pytest.raises(ValueError, match="lengths must lie"):
        pack_codes([1], [33])
    with pytest.raises(ValueError, match="shape"):
        pack_codes([1, 2], [1])
    with pytest.raises(ValueError, match="integers"):
        pack_codes([1.0], [1])
    with pytest.raises(ValueError, match="fill"):
        pack_codes([1], [1], fill=3)


def test_writer_accepts_numpy_integers():
    writer = BitWriter()
    writer.write(np.uint8(5), np.int64(3))
    assert writer.getvalue() == b"\xa0"


# ---- varints --------------------------------------------------------------------------------


@given(st.integers(0, (1 << 64) - 1))
@example(0)
@example(127)
@example(128)
def test_varint_round_trip(n):
    data = write_varint(n)
    assert read_varint(data + b"\x55") == (n, len(data))


@pytest.mark.parametrize(("n", "hexed"), [(0, "00"), (127, "7f"), (128, "8001"), (300, "ac02")])
def test_varint_known_bytes(n, hexed):
    assert write_varint(n).hex() == hexed


@pytest.mark.parametrize("data", [b"", b"\x80", b"\xff\xff", b"\x80" * 10 + b"\x01"])
def test_bad_varints(data):
    with pytest.raises(CorruptStreamError):
        read_varint(data)


@pytest.mark.parametrize("n", [-1, 1 << 64])
def test_varint_out_of_range(n):
    with pytest.raises(ValueError, match="out of range"):
        write_varint(n)
