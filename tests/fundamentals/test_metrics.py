"""Tests of fundamentals.metrics against scikit-image and scipy, plus known values."""

import math
from importlib import resources

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from fundamentals.metrics import bd_psnr, bd_rate, bpp, compression_ratio, entropy, mse, psnr, ssim

skm = pytest.importorskip("skimage.metrics")


def _sample_rgb() -> np.ndarray:
    image = pytest.importorskip("PIL.Image")
    path = resources.files("fundamentals") / "data" / "kodim23.png"
    with resources.as_file(path) as p, image.open(p) as im:
        return np.asarray(im.convert("RGB"))


def _noisy(img, sigma, seed=0):
    rng = np.random.default_rng(seed)
    return np.clip(np.rint(img + rng.normal(0, sigma, img.shape)), 0, 255).astype(np.uint8)


def _skimage_ssim(a, b, data_range=255):
    return skm.structural_similarity(
        a,
        b,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=data_range,
        channel_axis=-1 if a.ndim == 3 else None,
    )


# ---- MSE / PSNR -------------------------------------------------------------------


def test_mse_and_psnr_known_values():
    a = np.zeros((2, 2), dtype=np.uint8)
    b = np.array([[0, 0], [0, 20]], dtype=np.uint8)  # no uint8 wrap-around: float64 math
    assert mse(b, a) == 100.0
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 100))
    assert isinstance(mse(a, b), float) and isinstance(psnr(a, b), float)


def test_psnr_identical_is_inf():
    img = _sample_rgb()
    assert psnr(img, img) == math.inf
    assert mse(img, img) == 0.0


def test_psnr_peak_mistake_is_48_db():
    a = np.random.default_rng(0).random((8, 8))
    b = a + 0.01
    assert psnr(a, b, data_range=255.0) - psnr(a, b, data_range=1.0) == pytest.approx(20 * math.log10(255))


def test_psnr_matches_scikit_image_on_sample_image():
    img = _sample_rgb()
    noisy = _noisy(img, 8.0)
    ref = skm.peak_signal_noise_ratio(img, noisy, data_range=255)
    assert psnr(img, noisy) == pytest.approx(ref, abs=1e-4)
    assert mse(img, noisy) == pytest.approx(skm.mean_squared_error(img, noisy), rel=1e-12)


@given(
    arrays(np.uint8, array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=16)),
    st.integers(0, 2**32 - 1),
)
def test_psnr_matches_scikit_image_random(a, seed):
    b = np.random.default_rng(seed).integers(0, 256, a.shape, dtype=np.uint8)
    if np.array_equal(a, b):
        assert psnr(a, b) == math.inf
    else:
        assert psnr(a, b) == pytest.approx(skm.peak_signal_noise_ratio(a, b, data_range=255), abs=1e-9)


# ---- SSIM -------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [2.0, 10.0, 40.0])
def test_ssim_matches_scikit_image_on_sample_image(sigma):
    img = _sample_rgb()
    noisy = _noisy(img, sigma)
    assert ssim(img, noisy) == pytest.approx(_skimage_ssim(img, noisy), abs=1e-4)
    gray, gray_noisy = img[..., 1], noisy[..., 1]
    assert ssim(gray, gray_noisy) == pytest.approx(_skimage_ssim(gray, gray_noisy), abs=1e-4)


@pytest.mark.parametrize("shape", [(11, 11), (11, 40), (23, 17, 3), (64, 64, 3), (50, 31)])
def test_ssim_matches_scikit_image_on_random_images(shape):
    rng = np.random.default_rng(sum(shape))
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    b = _noisy(a, 25.0, seed=1)
    assert ssim(a, b) == pytest.approx(_skimage_ssim(a, b), abs=1e-4)


def test_ssim_float_data_range():
    rng = np.random.default_rng(7)
    a = rng.random((32, 32))
    b = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1)
    assert ssim(a, b, data_range=1.0) == pytest.approx(_skimage_ssim(a, b, data_range=1.0), abs=1e-4)


def test_ssim_identical_is_one_and_symmetric():
    img = _sample_rgb()[:64, :64]
    noisy = _noisy(img, 20.0)
    assert ssim(img, img) == pytest.approx(1.0, abs=1e-12)
    assert ssim(img, noisy) == pytest.approx(ssim(noisy, img), abs=1e-12)
    assert ssim(img, noisy) < 1.0


def test_ssim_rejects_small_images():
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(np.zeros((10, 20)), np.zeros((10, 20)))


# ---- shapes and arguments -----------------------------------------------------------


@pytest.mark.parametrize("fn", [mse, psnr, ssim])
def test_shape_mismatch(fn):
    with pytest.raises(ValueError, match="Input images must have the same dimensions"):
        fn(np.zeros((12, 12)), np.zeros((12, 13)))


@pytest.mark.parametrize("fn", [psnr, ssim])
@pytest.mark.parametrize("bad", [0, -1.0, math.inf, math.nan])
def test_bad_data_range(fn, bad):
    with pytest.raises(ValueError, match="data_range must be"):
        fn(np.zeros((12, 12)), np.ones((12, 12)), data_range=bad)


# ---- entropy ----------------------------------------------------------------------


def test_entropy_known_values():
    assert entropy(bytes(range(256))) == 8.0
    assert entropy(np.arange(256, dtype=np.uint8)) == 8.0
    assert entropy(np.repeat(np.arange(256), 7)) == pytest.approx(8.0)
    assert entropy(b"") == 0.0
    assert entropy(b"aaaa") == 0.0
    assert entropy(np.array([-5, 70000, -5, 70000])) == 1.0  # any integers, not only bytes
    assert entropy(b"aaab") == pytest.approx(-(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)))


@given(st.binary(max_size=300))
def test_entropy_bytes_equals_array_and_is_bounded(data):
    h = entropy(data)
    assert h == pytest.approx(entropy(np.frombuffer(data, dtype=np.uint8)))
    assert 0.0 <= h <= math.log2(max(1, len(set(data)))) + 1e-12


def test_entropy_rejects_floats():
    with pytest.raises(ValueError, match="integer array"):
        entropy(np.array([0.5, 1.5]))


# ---- compression ratio and bpp ----------------------------------------------------


def test_compression_ratio_and_bpp():
    img = np.zeros((512, 768, 3), dtype=np.uint8)
    stream = bytes(49152)  # 1 bpp
    assert bpp(stream, img) == 1.0
    assert bpp(stream, img.shape) == 1.0
    assert bpp(len(stream), (512, 768)) == 1.0
    assert compression_ratio(img, stream) == 24.0
    assert compression_ratio(img.nbytes, memoryview(stream)) == 24.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: compression_ratio(100, b""), "undefined"),
        (lambda: compression_ratio(-1, b"x"), "non-negative integer"),
        (lambda: bpp(b"x", (0, 5)), "no pixels"),
        (lambda: bpp(b"x", (5,)), "\\(H, W\\)"),
        (lambda: bpp(1.5, (4, 4)), "non-negative integer"),
    ],
)
def test_rate_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- Bjontegaard ------------------------------------------------------------------

# Pillow JPEG on Kodak (DESIGN.md, measured facts): bpp and PSNR at q10..q90.
JPEG_BPP = [0.327, 0.508, 0.660, 0.906, 1.368, 2.346]
JPEG_PSNR = [26.67, 29.15, 30.49, 32.17, 34.52, 38.03]
# CompressAI bmshj2018-factorized q1..q4 (DESIGN.md).
FACT_BPP = [0.123, 0.189, 0.288, 0.440]
FACT_PSNR = [26.91, 28.22, 29.62, 31.28]


def _scipy_bd(x_a, y_a, x_b, y_b):
    interpolate = pytest.importorskip("scipy.interpolate")
    ia, ib = np.argsort(x_a), np.argsort(x_b)
    xa, ya, xb, yb = (np.asarray(v, float)[i] for v, i in ((x_a, ia), (y_a, ia), (x_b, ib), (y_b, ib)))
    lo, hi = max(xa[0], xb[0]), min(xa[-1], xb[-1])
    int_a = interpolate.PchipInterpolator(xa, ya).integrate(lo, hi)
    int_b = interpolate.PchipInterpolator(xb, yb).integrate(lo, hi)
    return (int_b - int_a) / (hi - lo)


def test_bd_rate_of_rates_times_0_9_is_minus_10_percent():
    assert bd_rate(JPEG_BPP, JPEG_PSNR, [0.9 * r for r in JPEG_BPP], JPEG_PSNR) == pytest.approx(
        -10.0, abs=1e-6
    )
    assert bd_rate(JPEG_BPP, JPEG_PSNR, JPEG_BPP, JPEG_PSNR) == pytest.approx(0.0, abs=1e-12)


def test_bd_psnr_of_shifted_curve():
    shifted = [p + 0.75 for p in JPEG_PSNR]
    assert bd_psnr(JPEG_BPP, JPEG_PSNR, JPEG_BPP, shifted) == pytest.approx(0.75, abs=1e-9)


def test_bd_rate_and_bd_psnr_match_scipy_pchip():
    log_a, log_b = np.log10(JPEG_BPP), np.log10(FACT_BPP)
    expected_rate = (10 ** _scipy_bd(JPEG_PSNR, log_a, FACT_PSNR, log_b) - 1) * 100
    expected_psnr = _scipy_bd(log_a, JPEG_PSNR, log_b, FACT_PSNR)
    assert bd_rate(JPEG_BPP, JPEG_PSNR, FACT_BPP, FACT_PSNR) == pytest.approx(expected_rate, abs=1e-9)
    assert bd_psnr(JPEG_BPP, JPEG_PSNR, FACT_BPP, FACT_PSNR) == pytest.approx(expected_psnr, abs=1e-9)
    # order of the points does not matter
    assert bd_rate(JPEG_BPP[::-1], JPEG_PSNR[::-1], FACT_BPP, FACT_PSNR) == pytest.approx(expected_rate)


@given(
    st.lists(st.floats(0.05, 8.0), min_size=2, max_size=8, unique=True),
    st.lists(st.floats(20.0, 45.0), min_size=2, max_size=8, unique=True),
    st.floats(0.5, 2.0),
    st.floats(-2.0, 2.0),
)
def test_bd_rate_matches_scipy_on_random_curves(rates, psnrs, scale, shift):
    n = min(len(rates), len(psnrs))
    rate_a, psnr_a = sorted(rates[:n]), sorted(psnrs[:n])
    # non-monotone pairings are allowed too: PCHIP then flattens at the extrema
    rate_b = [scale * r for r in rates[:n]]
    psnr_b = [p + shift for p in psnrs[:n]]
    lo = max(min(psnr_a), min(psnr_b))
    hi = min(max(psnr_a), max(psnr_b))
    if hi - lo < 1e-3:
        return
    expected = (10 ** _scipy_bd(psnr_a, np.log10(rate_a), psnr_b, np.log10(rate_b)) - 1) * 100
    assert bd_rate(rate_a, psnr_a, rate_b, psnr_b) == pytest.approx(expected, rel=1e-7, abs=1e-7)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([1, 2], [30, 31], [1, 2], [40, 41]), "do not overlap"),
        (([1, 0], [30, 31], [1, 2], [30, 31]), "rates > 0"),
        (([1], [30], [1, 2], [30, 31]), "length >= 2"),
        (([1, 2], [30, 30], [1, 2], [30, 31]), "repeated values"),
        (([1, 2, 3], [30, 31], [1, 2], [30, 31]), "equal length"),
    ],
)
def test_bd_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        bd_rate(*args)
