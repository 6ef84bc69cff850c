"""Tests of fundamentals.sampling: resize, chroma subsample / upsample."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fundamentals.sampling import SUBSAMPLING_MODES, resize, subsample, upsample

ODD_SHAPES = [(1, 1), (7, 13), (17, 9), (2, 2), (1, 8), (8, 1)]
MODES = list(SUBSAMPLING_MODES)


def _expected_small_shape(shape, mode):
    fy, fx = SUBSAMPLING_MODES[mode]
    return math.ceil(shape[0] / fy), math.ceil(shape[1] / fx)


# ---- subsample / upsample ---------------------------------------------------------


@pytest.mark.parametrize("shape", ODD_SHAPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ["replicate", "fancy"])
def test_shapes(shape, mode, method):
    plane = np.random.default_rng(1).random(shape)
    small = subsample(plane, mode)
    assert small.shape == _expected_small_shape(shape, mode)
    assert small.dtype == np.float64
    assert upsample(small, mode, shape, method=method).shape == shape


def test_4_2_2_and_4_2_0_known_values():
    plane = np.array([[0, 2, 4], [6, 8, 10], [12, 14, 16]], dtype=np.uint8)
    np.testing.assert_array_equal(subsample(plane, "4:2:2"), [[1, 4], [7, 10], [13, 16]])
    # Odd sides replicate the last row/column: the corner sample is its own mean.
    np.testing.assert_array_equal(subsample(plane, "4:2:0"), [[4, 7], [13, 16]])
    np.testing.assert_array_equal(subsample(plane, "4:4:4"), plane)


@pytest.mark.parametrize("shape", ODD_SHAPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ["replicate", "fancy"])
def test_constant_planes_stay_constant(shape, mode, method):
    plane = np.full(shape, 77, dtype=np.uint8)
    small = subsample(plane, mode)
    np.testing.assert_array_equal(small, 77.0)
    np.testing.assert_allclose(upsample(small, mode, shape, method=method), 77.0, rtol=0, atol=1e-12)


@given(
    st.sampled_from(MODES),
    arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9))),
    st.integers(0, 1),
    st.integers(0, 1),
)
def test_block_constant_image_round_trips_exactly(mode, blocks, crop_h, crop_w):
    fy, fx = SUBSAMPLING_MODES[mode]
    full = np.repeat(np.repeat(blocks, fy, axis=0), fx, axis=1)
    # Crop one row/column (if there are spare ones) to exercise odd sizes.
    h = max(1, full.shape[0] - crop_h * (fy - 1))
    w = max(1, full.shape[1] - crop_w * (fx - 1))
    full = full[:h, :w]
    back = upsample(subsample(full, mode), mode, full.shape)
    np.testing.assert_array_equal(back, full)


def test_fancy_matches_libjpeg_weights_for_4_2_0():
    # An impulse shows the 2-D weights: 9/16, 3/16, 3/16, 1/16 around each sample.
    small = np.zeros((3, 3))
    small[1, 1] = 16.0
    up = upsample(small, "4:2:0", (6, 6), method="fancy")
    np.testing.assert_allclose(
        up[1:5, 1:5],
        [[1, 3, 3, 1], [3, 9, 9, 3], [3, 9, 9, 3], [1, 3, 3, 1]],
    )
    assert up.sum() == pytest.approx(64.0)  # each input sample spreads into 4 outputs


def test_fancy_upsample_of_linear_ramp_is_linear_inside():
    # A ramp sampled at chroma centres is reconstructed exactly away from the edges.
    full = np.arange(16, dtype=float)[None, :]
    small = subsample(full, "4:2:2")
    up = upsample(small, "4:2:2", full.shape, method="fancy")
    np.testing.assert_allclose(up[:, 1:-1], full[:, 1:-1])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: subsample(np.zeros((4, 4)), "4:1:1"), "mode must be one of"),
        (lambda: subsample(np.zeros((0, 4)), "4:2:0"), "both sides >= 1"),
        (lambda: subsample(np.zeros((4, 4, 3)), "4:2:0"), "2-D array"),
        (lambda: upsample(np.zeros((2, 2)), "4:2:0", (5, 5)), "expected \\(3, 3\\)"),
        (lambda: upsample(np.zeros((2, 2)), "4:2:0", (4, 4), method="cubic"), "method must be"),
        (lambda: resize(np.zeros((4, 4)), (0, 3)), "sides must be >= 1"),
        (lambda: resize(np.zeros((4, 4)), (2, 2), method="lanczos"), "method must be one of"),
        (lambda: resize(np.zeros(4), (2, 2)), "H x W"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- resize -----------------------------------------------------------------------


def test_box_integer_factor_is_block_mean():
    x = np.random.default_rng(2).random((12, 18, 3))
    expected = x.reshape(4, 3, 6, 3, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(resize(x, (4, 6)), expected)


def _area_average_by_supersampling(x, out_shape):
    """Brute-force reference: replicate each pixel n times, then take block means."""
    (h, w), (big_h, big_w) = out_shape, x.shape
    big = np.repeat(np.repeat(x, h, axis=0), w, axis=1)  # (big_h*h, big_w*w)
    return big.reshape(h, big_h, w, big_w).mean(axis=(1, 3))


@pytest.mark.parametrize("out_shape", [(10, 21), (37, 7), (5, 49), (1, 3)])
def test_box_non_integer_factor_is_exact_area_average(out_shape):
    # Pillow's BOX filter point-samples pixel centres, so it is not exact area
    # averaging for non-integer factors; compare with brute-force supersampling.
    x = np.random.default_rng(3).random((37, 50)) * 255
    np.testing.assert_allclose(resize(x, out_shape), _area_average_by_supersampling(x, out_shape))


def test_box_integer_factor_matches_pillow():
    image = pytest.importorskip("PIL.Image")
    x = np.random.default_rng(3).random((36, 50)).astype(np.float32) * 255
    pil = np.asarray(image.fromarray(x).resize((25, 12), image.Resampling.BOX))
    np.testing.assert_allclose(resize(x, (12, 25)), pil, atol=1e-3)


@pytest.mark.parametrize("out_shape", [(20, 7), (4, 27), (9, 13), (1, 1)])
def test_bilinear_matches_scikit_image(out_shape):
    transform = pytest.importorskip("skimage.transform")
    x = np.random.default_rng(4).random((9, 13))
    ours = resize(x, out_shape, method="bilinear")
    ref = transform.resize(x, out_shape, order=1, mode="edge", anti_aliasing=False)
    np.testing.assert_allclose(ours, ref, atol=1e-12)


@given(
    st.tuples(st.integers(1, 12), st.integers(1, 12)),
    st.tuples(st.integers(1, 12), st.integers(1, 12)),
    st.sampled_from(["box", "bilinear"]),
    st.floats(-1e3, 1e3),
)
def test_resize_keeps_constants_and_shape(in_shape, out_shape, method, value):
    out = resize(np.full(in_shape, value), out_shape, method=method)
    assert out.shape == out_shape
    np.testing.assert_allclose(out, value, rtol=1e-12, atol=1e-9)


@given(st.tuples(st.integers(1, 12), st.integers(1, 12)), st.sampled_from(["box", "bilinear"]))
def test_resize_to_same_shape_is_identity(shape, method):
    x = np.random.default_rng(5).integers(0, 256, size=shape).astype(np.uint8)
    np.testing.assert_allclose(resize(x, shape, method=method), x, atol=1e-9)


def test_box_preserves_mean():
    x = np.random.default_rng(6).random((30, 40))
    assert resize(x, (7, 9)).mean() == pytest.approx(x.mean())
