import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundamentals import container
from fundamentals.bitio import read_varint, write_varint
from fundamentals.errors import CodecError, CorruptStreamError, UnsupportedError

json_scalars = st.one_of(st.integers(-(2**40), 2**40), st.booleans(), st.text(max_size=8),
                         st.floats(allow_nan=False, allow_infinity=False))


@given(payload=st.binary(max_size=300),
       shape=st.lists(st.integers(0, 600), min_size=0, max_size=3),
       params=st.dictionaries(st.text(max_size=6), json_scalars, max_size=4))
def test_round_trip(payload, shape, params):
    blob = container.pack("x-1.b_c", payload, shape=shape, params=params)
    header, out = container.unpack(blob, codec="x-1.b_c")
    assert out == payload
    assert header.shape == tuple(shape) and header.params == params and header.dtype == "uint8"
    assert blob[header.size:] == payload


def test_layout_golden():
    blob = container.pack("rle", b"hi", shape=(2, 3), params={"a": 1})
    assert blob.hex() == (
        "8943504b" "01" "03" "726c65" "01" "02" "02" "03" "07" + b'{"a":1}'.hex() + "02"
        + zlib.crc32(b"hi").to_bytes(4, "big").hex() + b"hi".hex()
    )


def test_every_truncation_and_mutation_is_refused():
    blob = container.pack("demo", b"payload bytes", shape=(3, 4, 3), params={"q": 7})
    for cut in range(len(blob)):
        with pytest.raises(CorruptStreamError):
            container.unpack(blob[:cut])
    for pos in range(len(blob)):
        bad = bytearray(blob)
        bad[pos] ^= 0x41
        try:
            _, payload = container.unpack(bytes(bad))
        except CodecError:
            continue
        # the only undetectable change is one inside the params JSON that stays valid JSON
        assert payload == b"payload bytes"


def test_wrong_codec_and_version():
    blob = container.pack("demo", b"", shape=(1, 1))
    with pytest.raises(CorruptStreamError, match="expected 'other'"):
        container.unpack(blob, codec="other")
    with pytest.raises(UnsupportedError):
        container.unpack(blob[:4] + b"\x02" + blob[5:])
    with pytest.raises(CorruptStreamError, match="magic"):
        container.unpack(b"GIF89a" + blob)


def test_bomb_limit_checked_before_allocation():
    side = 1 << 15  # 2^30 pixels > 2^28
    with pytest.raises(ValueError):
        container.pack("demo", b"", shape=(side, side))
    blob = bytearray(container.pack("demo", b"", shape=(1, 1)))
    # hand-edit the header: shape varints (1, 1) -> (2^15, 2^15)
    i = blob.index(b"\x01\x02\x01\x01")  # dtype=1, ndim=2, 1, 1
    forged = bytes(blob[: i + 2]) + write_varint(side) * 2 + bytes(blob[i + 4 :])
    with pytest.raises(CorruptStreamError, match="limit"):
        container.unpack(forged)


def test_trailing_bytes_and_crc():
    blob = container.pack("demo", b"abc", shape=(3,))
    with pytest.raises(CorruptStreamError):
        container.unpack(blob + b"\x00")
    with pytest.raises(CorruptStreamError, match="CRC"):
        container.unpack(blob[:-1] + b"d")


def test_caller_mistakes():
    with pytest.raises(ValueError, match="codec id"):
        container.pack("Bad Name", b"", shape=(1,))
    with pytest.raises(ValueError, match="dtype"):
        container.pack("demo", b"", shape=(1,), dtype="float32")


@given(st.integers(0, 2**64 - 1))
def test_varint_round_trip(n):
    data = write_varint(n)
    assert read_varint(data) == (n, len(data))


def test_varint_errors():
    with pytest.raises(CorruptStreamError):
        read_varint(b"\x80\x80")
    with pytest.raises(CorruptStreamError):
        read_varint(b"\xff" * 11)
    with pytest.raises(ValueError):
        write_varint(-1)
