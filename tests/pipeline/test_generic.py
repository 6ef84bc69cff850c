"""Tests every registered codec gets for free: round trip, determinism, bad streams.

Parametrized over :func:`pipeline.registry.available`, so a codec registered
later is tested the moment it is registered.
"""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fundamentals.errors import CodecError, CorruptStreamError
from pipeline import registry
from tests.pipeline.badstreams import DecodeTimeout, check_decoder, decode_guarded

NAMES = registry.available()


def images(min_side=1, max_side=64):
    """Arbitrary uint8 gray or RGB images, sides ``min_side..max_side``."""
    shapes = st.one_of(
        st.tuples(st.integers(min_side, max_side), st.integers(min_side, max_side)),
        st.tuples(st.integers(min_side, max_side), st.integers(min_side, max_side), st.just(3)),
    )
    elements = st.one_of(st.integers(0, 255), st.sampled_from([0, 255]))
    return shapes.flatmap(lambda s: arrays(np.uint8, s, elements=elements))


def sample_image(rgb=True, h=24, w=20):
    """A small deterministic image with smooth and noisy parts."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:h, 0:w]
    base = (4 * x + 3 * y) % 256
    img = np.clip(base + rng.integers(-20, 21, (h, w)), 0, 255).astype(np.uint8)
    if rgb:
        img = np.stack([img, img[::-1], 255 - img], axis=-1)
    return np.ascontiguousarray(img)


@pytest.mark.parametrize("name", NAMES)
@given(img=images())
@example(img=np.zeros((1, 1), np.uint8))
@example(img=np.full((7, 13, 3), 255, np.uint8))
@example(img=np.arange(256, dtype=np.uint8).reshape(16, 16))
@example(img=np.full((17, 9), 128, np.uint8))
def test_round_trip(name, img):
    codec = registry.get(name)
    out = codec.decode(codec.compress(img))
    assert out.shape == img.shape and out.dtype == np.uint8
    if codec.lossless:
        np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize("name", NAMES)
def test_sweep_round_trip(name):
    codec = registry.get(name)
    img = sample_image()
    for params in codec.sweep:
        out = codec.decode(codec.compress(img, **params))
        assert out.shape == img.shape and out.dtype == np.uint8, params


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("rgb", [False, True])
def test_deterministic(name, rgb):
    codec = registry.get(name)
    img = sample_image(rgb)
    assert codec.compress(img) == codec.compress(img.copy())
    first = codec.compress(img)
    np.testing.assert_array_equal(codec.decode(first), codec.decode(first))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("rgb", [False, True])
def test_bad_streams(name, rgb):
    codec = registry.get(name)
    good = codec.compress(sample_image(rgb))
    problems = check_decoder(codec.decode, good, header_end=min(len(good), 32))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.float32), np.zeros((4, 4, 4), np.uint8),
                                 np.zeros((0, 3), np.uint8), [[1, 2]]])
def test_bad_images_are_value_errors(name, bad):
    with pytest.raises(ValueError):
        registry.get(name).compress(bad)


# ---- the checker itself must catch a broken codec ---------------------------------------------


def _toy_encode(img):
    return bytes([img.shape[0], img.shape[1]]) + img.tobytes()


def _toy_decode(data):
    """A careless decoder: indexes the stream without checking its length."""
    h, w = data[0], data[1]  # IndexError on short streams
    return np.frombuffer(data[2:], np.uint8).reshape(h, w)  # ValueError, not CodecError


def _careful_decode(data):
    if len(data) < 2 or len(data) != 2 + data[0] * data[1]:
        raise CorruptStreamError("bad length")
    return _toy_decode(data)


def _hanging_decode(data):
    while True:
        pass


def test_checker_catches_a_broken_decoder():
    good = _toy_encode(sample_image(False))
    problems = check_decoder(_toy_decode, good)
    assert problems and any("IndexError" in p for p in problems)


def test_checker_passes_a_careful_decoder():
    assert check_decoder(_careful_decode, _toy_encode(sample_image(False))) == []


def test_checker_catches_a_hang():
    with pytest.raises(DecodeTimeout):
        decode_guarded(_hanging_decode, b"", seconds=0.2)


def test_unknown_codec_names_the_choices():
    with pytest.raises(ValueError, match="available: raw"):
        registry.get("nope")


def test_codec_errors_are_value_errors():
    assert issubclass(CodecError, ValueError)
