"""Tests of classical.rle: PackBits round trips, the TN1023 example, imagecodecs interoperability."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from classical import rle
from fundamentals.container import pack
from fundamentals.errors import CorruptStreamError

TN1023_UNPACKED = bytes.fromhex("AAAAAA80002AAAAAAAAA80002A22AAAAAAAAAAAAAAAAAAAA")
TN1023_PACKED = bytes.fromhex("FEAA0280002AFDAA0380002A22F7AA")

runs = st.lists(
    st.tuples(st.sampled_from(b"\x00\x01\xff"), st.sampled_from([1, 1, 2, 2, 3, 4, 127, 128, 129, 130, 257])),
    max_size=30,
).map(lambda rs: b"".join(bytes([v]) * k for v, k in rs))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=2000) | runs)
@example(data=b"")
@example(data=bytes(range(256)))
@example(data=b"\x07" * 1000)
@example(data=TN1023_UNPACKED)
def test_round_trip_and_size_bound(data):
    packed = rle.packbits_encode(data)
    assert rle.packbits_decode(packed) == data
    assert len(packed) <= len(data) + -(-len(data) // 128)  # worst case: literals only


def test_golden_tn1023():
    assert rle.packbits_encode(TN1023_UNPACKED) == TN1023_PACKED
    assert rle.packbits_decode(TN1023_PACKED) == TN1023_UNPACKED


@pytest.mark.parametrize(
    ("data", "packed"),
    [
        (b"", ""),
        (b"a", "0061"),
        (b"aa", "ff61"),  # 2-run at the start: repeat
        (b"aab", "ff610062"),
        (b"baa", "02626161"),  # 2-run after a literal: stays literal
        (b"aaabb", "fe61ff62"),  # 2-run after a repeat: repeat
        (b"aaabbcc", "fe61ff62ff63"),  # the chain follows its first 2-run
        (b"abbcc", "046162626363"),
        (b"a" * 128, "8161"),
        (b"a" * 129, "8261ff61"),  # 127 + 2, never a 1-byte remainder
        (bytes(range(130)), "7f" + bytes(range(128)).hex() + "01" + "8081"),
    ],
)
def test_encoder_rule(data, packed):
    assert rle.packbits_encode(data).hex() == packed


def test_noop_header_is_skipped():
    assert rle.packbits_decode(b"\x80\x00a\x80\xfeb\x80") == b"abbb"


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=3000) | runs)
def test_interoperates_with_imagecodecs(data):
    imagecodecs = pytest.importorskip("imagecodecs")
    assert imagecodecs.packbits_decode(rle.packbits_encode(data)) == data
    assert rle.packbits_decode(imagecodecs.packbits_encode(data)) == data


@pytest.mark.parametrize(
    ("stream", "match"),
    [
        (b"\x02ab", "needs 3 bytes"),
        (b"\x00", "needs 1 bytes"),
        (b"\xfe", "no data byte"),
        (b"\x00a\x81", "no data byte"),
    ],
)
def test_truncated_packets(stream, match):
    with pytest.raises(CorruptStreamError, match=match):
        rle.packbits_decode(stream)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_decode_or_raise(data):
    try:
        out = rle.packbits_decode(data)
    except CorruptStreamError:
        return
    assert len(out) <= 128 * len(data)


# ---- image codec ----

images = arrays(np.uint8, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40)) | arrays(
    np.uint8, st.tuples(st.integers(1, 20), st.integers(1, 300), st.just(3)), elements=st.integers(0, 2)
)


@settings(max_examples=80, deadline=None)
@given(img=images)
@example(img=np.zeros((1, 1), np.uint8))
@example(img=np.full((3, 1000, 3), 255, np.uint8))
@example(img=np.arange(256, dtype=np.uint8).reshape(16, 16))
def test_image_round_trip(img):
    out = rle.decode(rle.encode(img))
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert (out == img).all()


def test_rows_are_packed_separately():
    img = np.full((2, 4), 9, np.uint8)  # one run of 8 in memory, two runs of 4 by rows
    assert rle.encode(img).endswith(bytes.fromhex("fd09fd09"))
    rgb = np.zeros((1, 2, 3), np.uint8)
    rgb[..., 1] = 1
    rgb[..., 2] = 2
    assert rle.encode(rgb).endswith(bytes.fromhex("ff00ff01ff02"))  # plane after plane


@pytest.mark.parametrize(
    ("img", "match"),
    [
        (np.zeros((4, 4), np.int16), "dtype uint8"),
        (np.zeros((4, 4, 2), np.uint8), r"shape \(H, W\)"),
        (np.zeros((2, 2, 3, 1), np.uint8), r"shape \(H, W\)"),
    ],
)
def test_image_validation(img, match):
    with pytest.raises(ValueError, match=match):
        rle.encode(img)


def test_image_bad_payloads():
    with pytest.raises(CorruptStreamError, match="needs 6"):
        rle.decode(pack("rle", bytes.fromhex("fc00"), shape=(2, 3)))
    with pytest.raises(CorruptStreamError, match="needs"):
        rle.decode(pack("rle", b"\x05ab", shape=(2, 3)))
    with pytest.raises(CorruptStreamError, match="impossible"):
        rle.decode(pack("rle", b"", shape=(2, 3, 4)))
    with pytest.raises(CorruptStreamError, match="too long"):
        rle.decode(pack("rle", b"\x80" * 100, shape=(2, 3)))
