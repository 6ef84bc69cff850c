"""Tests of fundamentals.color: T.871 YCbCr against Pillow, known values, RCT exactness."""

from importlib import resources

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from fundamentals.color import rct_to_rgb, rgb_to_rct, rgb_to_ycbcr, ycbcr_to_rgb

Image = pytest.importorskip("PIL.Image")


def _sample_rgb() -> np.ndarray:
    path = resources.files("fundamentals") / "data" / "kodim23.png"
    with resources.as_file(path) as p, Image.open(p) as im:
        return np.asarray(im.convert("RGB"))


def _all_colours() -> np.ndarray:
    """Every one of the 2**24 RGB colours, as an (N, 3) uint8 array."""
    v = np.arange(1 << 24, dtype=np.uint32)
    out = np.empty((v.size, 3), dtype=np.uint8)
    out[:, 0] = v >> 16
    out[:, 1] = (v >> 8) & 0xFF
    out[:, 2] = v & 0xFF
    return out


# ---- T.871 YCbCr ------------------------------------------------------------------

# (R, G, B) -> (Y, Cb, Cr) computed by hand from the T.871 clause 7 equations.
KNOWN_YCBCR = [
    ((0, 0, 0), (0.0, 128.0, 128.0)),
    ((255, 255, 255), (255.0, 128.0, 128.0)),
    ((128, 128, 128), (128.0, 128.0, 128.0)),
    ((255, 0, 0), (76.245, 84.97232, 255.5)),
    ((0, 255, 0), (149.685, 43.52768, 21.23456)),
    ((0, 0, 255), (29.07, 255.5, 107.26544)),
    ((255, 255, 0), (225.93, 0.5, 148.73456)),
]


@pytest.mark.parametrize(("rgb", "ycbcr"), KNOWN_YCBCR)
def test_known_values_forward(rgb, ycbcr):
    np.testing.assert_allclose(rgb_to_ycbcr(np.array(rgb, dtype=np.uint8)), ycbcr, atol=1e-9)


@pytest.mark.parametrize(("rgb", "ycbcr"), KNOWN_YCBCR)
def test_known_values_inverse(rgb, ycbcr):
    # The six-digit constants of T.871 invert each other to about 1e-6 relative.
    np.testing.assert_allclose(ycbcr_to_rgb(np.array(ycbcr)), rgb, atol=2e-3)


def test_output_dtypes():
    img = np.zeros((2, 3, 3), dtype=np.uint8)
    assert rgb_to_ycbcr(img).dtype == np.float64
    assert rgb_to_ycbcr(img, as_uint8=True).dtype == np.uint8
    assert ycbcr_to_rgb(img).dtype == np.float64
    assert ycbcr_to_rgb(img, as_uint8=True).dtype == np.uint8


def test_matches_pillow_on_random_image():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(64, 96, 3), dtype=np.uint8)
    ours = rgb_to_ycbcr(rgb, as_uint8=True).astype(int)
    pil = np.asarray(Image.fromarray(rgb).convert("YCbCr")).astype(int)
    assert np.abs(ours - pil).max() <= 1


def test_matches_pillow_on_sample_image():
    rgb = _sample_rgb()
    ours = rgb_to_ycbcr(rgb, as_uint8=True).astype(int)
    pil = np.asarray(Image.fromarray(rgb).convert("YCbCr")).astype(int)
    assert np.abs(ours - pil).max() <= 1


def test_inverse_matches_pillow_on_sample_image():
    ycbcr = rgb_to_ycbcr(_sample_rgb(), as_uint8=True)
    ours = ycbcr_to_rgb(ycbcr, as_uint8=True).astype(int)
    pil = np.asarray(Image.fromarray(ycbcr, mode="YCbCr").convert("RGB")).astype(int)
    assert np.abs(ours - pil).max() <= 1


def test_float_round_trip_spread_of_colours():
    rgb = _all_colours()[::4099]  # a spread of about 4000 colours
    back = ycbcr_to_rgb(rgb_to_ycbcr(rgb))
    np.testing.assert_allclose(back, rgb, atol=2e-3)


@given(arrays(np.uint8, array_shapes(min_dims=1, max_dims=3, min_side=0).map(lambda s: (*s, 3))))
@example(np.zeros((0, 3), dtype=np.uint8))
@example(np.full((1, 1, 3), 255, dtype=np.uint8))
def test_uint8_round_trip_within_one_level(rgb):
    back = ycbcr_to_rgb(rgb_to_ycbcr(rgb), as_uint8=True)
    assert back.shape == rgb.shape
    assert np.all(np.abs(back.astype(int) - rgb) <= 1)


@pytest.mark.parametrize("bad", [np.zeros((4, 4)), np.zeros((2, 2, 4)), 5.0])
def test_rejects_wrong_component_count(bad):
    with pytest.raises(ValueError, match="3 components"):
        rgb_to_ycbcr(bad)
    with pytest.raises(ValueError, match="3 components"):
        ycbcr_to_rgb(bad)


# ---- reversible colour transform --------------------------------------------------

# (R, G, B) -> (Y, Cb, Cr) from T.800 G-5 by hand.
KNOWN_RCT = [
    ((0, 0, 0), (0, 0, 0)),
    ((255, 255, 255), (255, 0, 0)),
    ((255, 0, 0), (63, 0, 255)),
    ((0, 255, 0), (127, -255, -255)),
    ((0, 0, 255), (63, 255, 0)),
    ((1, 2, 3), (2, 1, -1)),
    ((3, 0, 0), (0, 0, 3)),
]


@pytest.mark.parametrize(("rgb", "ycc"), KNOWN_RCT)
def test_rct_known_values_both_ways(rgb, ycc):
    fwd = rgb_to_rct(np.array(rgb, dtype=np.uint8))
    assert fwd.dtype == np.int16
    assert fwd.tolist() == list(ycc)
    assert rct_to_rgb(np.array(ycc)).tolist() == list(rgb)


def test_rct_round_trip_every_colour():
    rgb = _all_colours()
    ycc = rgb_to_rct(rgb)
    assert ycc.dtype == np.int16
    assert ycc[:, 0].min() == 0 and ycc[:, 0].max() == 255
    assert ycc[:, 1:].min() == -255 and ycc[:, 1:].max() == 255
    assert np.array_equal(rct_to_rgb(ycc), rgb)


@given(arrays(np.uint16, array_shapes(min_dims=1, max_dims=3, min_side=0).map(lambda s: (*s, 3))))
def test_rct_round_trip_16_bit(rgb):
    ycc = rgb_to_rct(rgb)
    assert ycc.dtype == np.int32
    assert np.array_equal(rct_to_rgb(ycc, dtype=np.uint16), rgb)


@given(st.integers(-(2**15), 2**15 - 1), st.integers(-(2**15), 2**15 - 1), st.integers(-(2**15), 2**15 - 1))
def test_rct_round_trip_signed(r, g, b):
    rgb = np.array([r, g, b], dtype=np.int16)
    assert np.array_equal(rct_to_rgb(rgb_to_rct(rgb), dtype=np.int16), rgb)


def test_rct_rejects_float_and_out_of_range():
    with pytest.raises(ValueError, match="integer dtype"):
        rgb_to_rct(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="does not fit uint8"):
        rct_to_rgb(np.array([0, 255, 255]))
