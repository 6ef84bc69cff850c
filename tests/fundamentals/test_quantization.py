"""Tests of fundamentals.quantization: uniform quantizer, bit depth, dithering, Lloyd-Max."""

import itertools
from importlib import resources

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from fundamentals.quantization import dequantize, lloyd_max, quantize, reduce_bit_depth

MODES = ["midtread", "midrise"]
values_0_255 = arrays(
    np.float64, array_shapes(min_dims=1, max_dims=2, min_side=0), elements=st.floats(0, 255)
)


def _roundtrip(x, **kw):
    return dequantize(quantize(x, **kw), **kw)


# ---- uniform quantizer ------------------------------------------------------------


@given(values_0_255, st.floats(0.01, 300), st.sampled_from(MODES))
@example(np.array([0.0, 255.0, 127.5]), 10.0, "midtread")
@example(np.array([0.0, 255.0]), 300.0, "midrise")
def test_step_error_bound_within_range(x, step, mode):
    err = np.abs(x - _roundtrip(x, step=step, mode=mode))
    assert np.all(err <= step / 2 * (1 + 1e-12))


@given(values_0_255, st.integers(2, 300), st.sampled_from(MODES))
def test_levels_error_bound_within_range(x, levels, mode):
    step = 255 / (levels - 1 if mode == "midtread" else levels)
    q = quantize(x, levels=levels, mode=mode)
    assert q.size == 0 or (q.min() >= 0 and q.max() <= levels - 1)
    err = np.abs(x - dequantize(q, levels=levels, mode=mode))
    assert np.all(err <= step / 2 * (1 + 1e-12))


@given(
    arrays(np.float64, st.integers(0, 20), elements=st.floats(-1e4, 1e4)),
    st.floats(0.01, 500),
    st.sampled_from(MODES),
    st.sampled_from([(0, 255), (-1024, 1023), None]),
)
def test_step_idempotent(x, step, mode, data_range):
    kw = {"step": step, "mode": mode, "data_range": data_range}
    q = quantize(x, **kw)
    assert np.array_equal(quantize(dequantize(q, **kw), **kw), q)


@given(values_0_255, st.integers(2, 300), st.sampled_from(MODES))
def test_levels_idempotent(x, levels, mode):
    kw = {"levels": levels, "mode": mode}
    once = _roundtrip(x, **kw)
    np.testing.assert_array_equal(_roundtrip(once, **kw), once)


@pytest.mark.parametrize(
    ("x", "kw", "q", "x_hat"),
    [
        # mid-tread: zero is a level, ties round away from zero (libjpeg)
        (
            [-15, -5, -4.9, 0, 4.9, 5, 15],
            {"step": 10, "data_range": None},
            [-2, -1, 0, 0, 0, 1, 2],
            [-20, -10, 0, 0, 0, 10, 20],
        ),
        # mid-rise: zero is a threshold, levels at half steps
        (
            [-0.1, 0, 9.9, 10],
            {"step": 10, "mode": "midrise", "data_range": None},
            [-1, 0, 0, 1],
            [-5, 5, 5, 15],
        ),
        # clipping to data_range bounds the indices
        ([-100, 300], {"step": 10}, [0, 26], [0, 260]),
        # 4 mid-rise levels on 0..255: cells of 63.75, levels at their centres
        (
            [0, 63.7, 63.75, 255],
            {"levels": 4, "mode": "midrise"},
            [0, 0, 1, 3],
            [31.875, 31.875, 95.625, 223.125],
        ),
        # 3 mid-tread levels on 0..255: both ends are levels
        ([0, 63.7, 63.75, 255], {"levels": 3}, [0, 0, 1, 2], [0, 0, 127.5, 255]),
        # a signed range with levels: the grid starts at lo
        ([-1, 0, 1], {"levels": 3, "data_range": (-1, 1)}, [0, 1, 2], [-1, 0, 1]),
    ],
)
def test_known_values(x, kw, q, x_hat):
    got = quantize(np.array(x, dtype=float), **kw)
    assert got.dtype == np.int64
    assert got.tolist() == q
    np.testing.assert_allclose(dequantize(got, **kw), x_hat)


def test_quantize_returns_same_shape_for_scalars_and_images():
    assert quantize(7.0, step=5).shape == ()
    assert quantize(np.zeros((3, 4, 3), dtype=np.uint8), levels=8).shape == (3, 4, 3)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: quantize([1.0], step=1, levels=2), "exactly one of"),
        (lambda: quantize([1.0]), "exactly one of"),
        (lambda: quantize([1.0], step=0), "step must be"),
        (lambda: quantize([1.0], step=-2), "step must be"),
        (lambda: quantize([1.0], levels=1), "levels must be an integer >= 2"),
        (lambda: quantize([1.0], levels=2.5), "levels must be an integer"),
        (lambda: quantize([1.0], levels=4, data_range=None), "needs a data_range"),
        (lambda: quantize([1.0], step=1, data_range=(5, 5)), "lo < hi"),
        (lambda: quantize([1.0], step=1, mode="deadzone"), "mode must be one of"),
        (lambda: quantize([np.nan], step=1), "finite"),
        (lambda: dequantize([0.5], step=1), "indices must be integers"),
        (lambda: dequantize([4], levels=4), "outside 0..3"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- bit-depth reduction ----------------------------------------------------------

uint8_images = arrays(np.uint8, array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=12))


@given(uint8_images, st.booleans())
@example(np.arange(256, dtype=np.uint8).reshape(16, 16), True)
def test_eight_bits_is_identity(img, dither):
    np.testing.assert_array_equal(reduce_bit_depth(img, 8, dither=dither), img)


def test_rule_on_all_256_values():
    x = np.arange(256, dtype=np.uint8).reshape(1, 256)
    for bits in range(1, 9):
        delta = 2 ** (8 - bits)
        out = reduce_bit_depth(x, bits)
        np.testing.assert_array_equal(out[0], (np.arange(256) // delta) * delta + delta // 2)
        assert np.unique(out).size == 2**bits
        # reduce_bit_depth is the mid-rise quantizer with step 2**(8-bits), floored
        np.testing.assert_array_equal(
            out[0], np.floor(_roundtrip(x[0], step=delta, mode="midrise")).astype(np.uint8)
        )
        assert np.abs(out.astype(int) - x).max() <= delta // 2


def test_one_bit_binarizes():
    x = np.array([[0, 127, 128, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(reduce_bit_depth(x, 1), [[64, 64, 192, 192]])


@given(uint8_images, st.integers(1, 8))
def test_idempotent(img, bits):
    once = reduce_bit_depth(img, bits)
    np.testing.assert_array_equal(reduce_bit_depth(once, bits), once)


def _floyd_steinberg_raster(img, bits):
    """Plain raster-scan Floyd-Steinberg, the reference for the wavefront version."""
    delta = 2 ** (8 - bits)
    half = delta // 2
    x = img.astype(np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    h, w, _ = x.shape
    err = np.zeros((h + 1, w + 2, x.shape[2]))
    out = np.empty(x.shape, dtype=np.uint8)
    for yy in range(h):
        for xx in range(w):
            v = np.clip(x[yy, xx] + err[yy, xx + 1], 0.0, 255.0)
            level = np.clip(np.floor((v - half) / delta + 0.5) * delta + half, half, 256 - delta + half)
            out[yy, xx] = level.astype(np.uint8)
            e = v - level
            err[yy + 1, xx] += e * (3 / 16)
            err[yy + 1, xx + 1] += e * (5 / 16)
            err[yy + 1, xx + 2] += e * (1 / 16)
            err[yy, xx + 2] += e * (7 / 16)
    return out.reshape(img.shape)


@given(uint8_images, st.integers(1, 7))
@example(np.full((5, 7), 128, dtype=np.uint8), 1)
@example(np.zeros((3, 3, 3), dtype=np.uint8), 2)
def test_dither_equals_raster_scan(img, bits):
    np.testing.assert_array_equal(
        reduce_bit_depth(img, bits, dither=True), _floyd_steinberg_raster(img, bits)
    )


def test_dither_preserves_local_mean_on_sample_image():
    image = pytest.importorskip("PIL.Image")
    path = resources.files("fundamentals") / "data" / "kodim23.png"
    with resources.as_file(path) as p, image.open(p) as im:
        gray = np.asarray(im.convert("L"))
    plain = reduce_bit_depth(gray, 1)
    dithered = reduce_bit_depth(gray, 1, dither=True)
    assert dithered.shape == gray.shape and set(np.unique(dithered)) <= {64, 192}

    def block_mean(a):  # 16x16 block means: what the eye sees from afar
        h, w = (s // 16 * 16 for s in a.shape)
        return a[:h, :w].reshape(h // 16, 16, w // 16, 16).mean(axis=(1, 3))

    # Means are compared inside the levels' reach (64..192), where diffusion can match them.
    target = np.clip(block_mean(gray.astype(float)), 64, 192)
    err_dither = np.abs(block_mean(dithered.astype(float)) - target).mean()
    err_plain = np.abs(block_mean(plain.astype(float)) - target).mean()
    assert err_dither < 0.25 * err_plain


@pytest.mark.parametrize(
    ("img", "bits", "match"),
    [
        (np.zeros((2, 2), dtype=np.uint16), 4, "must be uint8"),
        (np.zeros((2, 2), dtype=np.float64), 4, "must be uint8"),
        (np.zeros(4, dtype=np.uint8), 4, "H x W"),
        (np.zeros((2, 2), dtype=np.uint8), 0, "1..8"),
        (np.zeros((2, 2), dtype=np.uint8), 9, "1..8"),
        (np.zeros((2, 2), dtype=np.uint8), 2.0, "1..8"),
    ],
)
def test_reduce_bit_depth_bad_arguments(img, bits, match):
    with pytest.raises(ValueError, match=match):
        reduce_bit_depth(img, bits)


# ---- Lloyd-Max ----------------------------------------------------------------------


def _mse(hist, thresholds, levels):
    p = np.asarray(hist, dtype=float)
    v = np.arange(p.size)
    y = levels[np.searchsorted(thresholds, v, side="right")]
    return float((p * (v - y) ** 2).sum() / p.sum())


def _peaked_hist():
    v = np.arange(256)
    return np.round(1e5 * np.exp(-0.5 * ((v - 100) / 12.0) ** 2)) + np.round(
        2e4 * np.exp(-0.5 * ((v - 190) / 6.0) ** 2)
    )


def _sample_hist():
    image = pytest.importorskip("PIL.Image")
    path = resources.files("fundamentals") / "data" / "kodim23.png"
    with resources.as_file(path) as p, image.open(p) as im:
        return np.bincount(np.asarray(im.convert("L")).ravel(), minlength=256)


@pytest.mark.parametrize("n_levels", [2, 4, 8, 16])
@pytest.mark.parametrize("hist_fn", [_peaked_hist, _sample_hist])
def test_mse_never_increases(hist_fn, n_levels):
    hist = hist_fn()
    mses = [_mse(hist, *lloyd_max(hist, n_levels, iters=k)) for k in range(30)]
    assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(mses))


@pytest.mark.parametrize("n_levels", [2, 4, 8])
def test_beats_uniform_on_peaked_histogram(n_levels):
    hist = _peaked_hist()
    t0, y0 = lloyd_max(hist, n_levels, iters=0)  # iteration 0 is the uniform quantizer
    np.testing.assert_allclose(y0, (np.arange(n_levels) + 0.5) * 256 / n_levels - 0.5)
    t, y = lloyd_max(hist, n_levels)
    assert _mse(hist, t, y) < 0.7 * _mse(hist, t0, y0)
    assert np.all(np.diff(y) > 0) and np.all((t > y[:-1]) & (t < y[1:]))


def test_one_level_is_the_mean():
    hist = _peaked_hist()
    t, y = lloyd_max(hist, 1)
    assert t.shape == (0,)
    assert y[0] == pytest.approx((hist * np.arange(256)).sum() / hist.sum())


def test_converged_result_is_a_fixed_point():
    hist = _sample_hist()
    t, y = lloyd_max(hist, 8, iters=1000)
    t2, y2 = lloyd_max(hist, 8, iters=1001)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(t, t2)


def test_empty_cells_keep_their_level():
    hist = np.zeros(256)
    hist[0] = 5  # all mass in one bin: three of the four cells stay empty
    t, y = lloyd_max(hist, 4)
    np.testing.assert_array_equal(y, [0.0, 95.5, 159.5, 223.5])
    np.testing.assert_array_equal(t, (y[:-1] + y[1:]) / 2)


@pytest.mark.parametrize(
    ("hist", "levels", "kw", "match"),
    [
        (np.zeros(256), 4, {}, "not all zero"),
        (-np.ones(256), 4, {}, "non-negative"),
        (np.ones((16, 16)), 4, {}, "1-D"),
        (np.ones(256), 0, {}, "1..256"),
        (np.ones(256), 257, {}, "1..256"),
        (np.ones(256), 4, {"iters": -1}, "iters must be"),
    ],
)
def test_lloyd_max_bad_arguments(hist, levels, kw, match):
    with pytest.raises(ValueError, match=match):
        lloyd_max(hist, levels, **kw)
