"""Quality and rate metrics: MSE, PSNR, SSIM, entropy, compression ratio, bpp, BD-rate.

Distortion metrics take ``(reference, test)`` in that order (like scikit-image's
``image_true, image_test``), check that the shapes match, compute in float64 and return
a Python ``float``.  Rate metrics take the **real** compressed stream (``bytes``) or
its length, never an estimate; bits per pixel divide by pixels, not samples.

=========================  ==================================================
:func:`mse`                mean squared error
:func:`psnr`               peak signal-to-noise ratio, peak = ``data_range``
:func:`ssim`               structural similarity, Wang et al. 2004 (Gaussian)
:func:`entropy`            order-0 Shannon entropy, bits per symbol
:func:`compression_ratio`  original bytes / compressed bytes
:func:`bpp`                compressed bits per pixel
:func:`bd_rate`            Bjontegaard delta rate in percent (PCHIP variant)
:func:`bd_psnr`            Bjontegaard delta PSNR in dB (PCHIP variant)
=========================  ==================================================

What it does NOT do: MS-SSIM, perceptual metrics (LPIPS, VMAF, Butteraugli), PSNR in
a colour space other than the one given (PSNR-RGB is the mean over all samples),
higher-order or conditional entropy, the original cubic-polynomial BD fit of VCEG-M33.
It never infers ``data_range`` from the dtype: state it.

Sources: Z. Wang, A. C. Bovik, H. R. Sheikh and E. P. Simoncelli, "Image quality
assessment: from error visibility to structural similarity", IEEE Trans. Image Process.
13(4), 2004; C. E. Shannon, "A mathematical theory of communication", 1948;
G. Bjontegaard, "Calculation of average PSNR differences between RD-curves",
ITU-T VCEG-M33, 2001, with the piecewise cubic interpolation of JCTVC/JVET common test
conditions; F. N. Fritsch and R. E. Carlson, "Monotone piecewise cubic interpolation",
SIAM J. Numer. Anal. 17(2), 1980.

Examples
--------
>>> import numpy as np
>>> from fundamentals.metrics import mse, psnr
>>> a = np.zeros((4, 4), dtype=np.uint8)
>>> b = a.copy(); b[0, 0] = 16
>>> mse(a, b)
16.0
>>> round(psnr(a, b), 2)
36.09
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["bd_psnr", "bd_rate", "bpp", "compression_ratio", "entropy", "mse", "psnr", "ssim"]

#: SSIM constants of Wang et al. 2004, section III-C.
SSIM_K1, SSIM_K2, SSIM_SIGMA = 0.01, 0.03, 1.5
#: Gaussian truncation in standard deviations, as scikit-image uses for SSIM.
SSIM_TRUNCATE = 3.5


# ---- distortion -------------------------------------------------------------------


def mse(reference, test) -> float:
    r"""Mean squared error between two images of the same shape.

    Parameters
    ----------
    reference, test : array_like
        Images of identical shape (any real dtype; computed in float64).

    Returns
    -------
    float
        :math:`\mathrm{MSE} = \frac1N \sum_i (x_i - y_i)^2` over all :math:`N` samples
        (pixels times channels), :math:`x` = ``reference``, :math:`y` = ``test``.

    Examples
    --------
    >>> mse([0, 0, 0, 0], [1, 1, 1, 1])
    1.0
    """
    x, y = _pair(reference, test)
    if x.size == 0:
        raise ValueError("images are empty")
    return float(np.mean((x - y) ** 2))


def psnr(reference, test, *, data_range: float = 255.0) -> float:
    r"""Peak signal-to-noise ratio in dB.

    Parameters
    ----------
    reference, test : array_like
        Images of identical shape.
    data_range : float, keyword-only
        The peak :math:`R`: 255 for ``uint8`` images (default), 1.0 for images in
        ``[0, 1]``.  It is never guessed from the dtype.

    Returns
    -------
    float
        PSNR in dB; ``inf`` for identical images.

    Notes
    -----
    .. math::

        \mathrm{PSNR} = 10 \log_{10} \frac{R^2}{\mathrm{MSE}}

    A wrong peak shifts the result by a constant: images in ``[0, 1]`` measured with
    :math:`R = 255` gain :math:`20 \log_{10} 255 = 48.13` dB.  For RGB this is
    PSNR-RGB (one MSE over all samples); for a data set, average the per-image PSNRs.

    Examples
    --------
    >>> psnr([0, 255], [0, 255])
    inf
    >>> round(psnr([0.0, 1.0], [0.0, 0.9], data_range=1.0), 3)
    23.01
    """
    peak = _positive(data_range, "data_range")
    err = mse(reference, test)
    if err == 0:
        return math.inf
    return float(10 * np.log10(peak**2 / err))


def ssim(reference, test, *, data_range: float = 255.0) -> float:
    r"""Mean structural similarity index (SSIM) with an 11x11 Gaussian window.

    Parameters
    ----------
    reference, test : array_like, shape (H, W) or (H, W, C)
        Images of identical shape, ``H, W >= 11``.  For ``H x W x C`` the result is the
        mean of the per-channel SSIMs.
    data_range : float, keyword-only
        The dynamic range :math:`L` of the data (255 for ``uint8``).

    Returns
    -------
    float
        Mean SSIM, at most 1 (1 for identical images).

    Notes
    -----
    Local statistics use a Gaussian window :math:`w` (:math:`\sigma = 1.5`, truncated at
    3.5 :math:`\sigma`, i.e. radius 5: an 11x11 window, normalized to sum 1):

    .. math::

        \mu_x = w * x, \quad \sigma_x^2 = w * x^2 - \mu_x^2, \quad
        \sigma_{xy} = w * (xy) - \mu_x \mu_y

    .. math::

        \mathrm{SSIM}(x, y) = \frac{(2\mu_x\mu_y + C_1)(2\sigma_{xy} + C_2)}
                                   {(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)},
        \quad C_1 = (K_1 L)^2, \; C_2 = (K_2 L)^2

    with :math:`K_1 = 0.01`, :math:`K_2 = 0.03`, :math:`x` = ``reference``, :math:`y` =
    ``test``, :math:`L` = ``data_range``.  The covariances are population ones (weights sum
    to 1, no :math:`N/(N-1)` correction), as in Wang et al.'s MATLAB code.  The map is
    averaged over the "valid" region only (5 pixels cropped on every side), where the
    window lies inside the image.  This reproduces scikit-image's
    ``structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=L)``.  The filtering is separable: one
    1-D convolution along rows, one along columns.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 256, (16, 16)).astype(np.uint8)
    >>> ssim(x, x)
    1.0
    >>> ssim(x, 255 - x) < 0
    True
    """
    x, y = _pair(reference, test)
    if x.ndim not in (2, 3):
        raise ValueError(f"images must be H x W or H x W x C, got shape {x.shape}")
    peak = _positive(data_range, "data_range")
    w = _gaussian_window(SSIM_SIGMA, SSIM_TRUNCATE)
    if x.shape[0] < w.size or x.shape[1] < w.size:
        raise ValueError(f"images must be at least {w.size}x{w.size} for SSIM, got {x.shape[:2]}")
    if x.ndim == 2:
        return _ssim_plane(x, y, w, peak)
    return float(np.mean([_ssim_plane(x[..., c], y[..., c], w, peak) for c in range(x.shape[2])]))


# ---- rate -------------------------------------------------------------------------


def entropy(symbols) -> float:
    r"""Order-0 (memoryless) Shannon entropy in bits per symbol.

    Parameters
    ----------
    symbols : bytes, bytearray, memoryview or array_like of int
        The message: each byte, or each array element, is one symbol.

    Returns
    -------
    float
        :math:`H = -\sum_s p_s \log_2 p_s` with :math:`p_s` the relative frequency of
        symbol :math:`s`; 0.0 for an empty or constant message.

    Notes
    -----
    :math:`H` is the least average code length of any code that codes each symbol
    independently with fixed probabilities equal to these frequencies (table cost not
    counted).  Coders that use context or adapt (LZW, DPCM + contexts) can go below it.

    Examples
    --------
    >>> entropy(b"abab")
    1.0
    >>> entropy(np.arange(256))
    8.0
    """
    if isinstance(symbols, (bytes, bytearray, memoryview)):
        counts = np.bincount(np.frombuffer(symbols, dtype=np.uint8))
    else:
        arr = np.asarray(symbols)
        if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
            raise ValueError(f"symbols must be bytes or an integer array, got dtype {arr.dtype}")
        _, counts = np.unique(arr.ravel(), return_counts=True)
    counts = counts[counts > 0].astype(np.float64)
    if counts.size <= 1:
        return 0.0
    p = counts / counts.sum()
    return float(-np.sum(p * np.log2(p)))


def compression_ratio(original, compressed) -> float:
    r"""Compression ratio, original size over compressed size (both in bytes).

    Parameters
    ----------
    original : int or numpy.ndarray
        Size of the original in bytes, or the original image (its ``nbytes`` is used:
        ``H*W*3`` for an RGB ``uint8`` image).
    compressed : bytes-like or int
        The real compressed stream, headers included (or its length).

    Returns
    -------
    float
        :math:`\mathrm{CR} = N_\text{orig} / N_\text{comp}`; above 1 means smaller.

    Examples
    --------
    >>> compression_ratio(np.zeros((16, 16, 3), dtype=np.uint8), b"x" * 96)
    8.0
    """
    n_orig = original.nbytes if isinstance(original, np.ndarray) else _count(original, "original")
    n_comp = _nbytes(compressed, "compressed")
    if n_comp == 0:
        raise ValueError("compressed size is 0 bytes; the ratio is undefined")
    return n_orig / n_comp


def bpp(compressed, shape_or_image) -> float:
    r"""Bits per pixel of a compressed stream.

    Parameters
    ----------
    compressed : bytes-like or int
        The real compressed stream, headers included (or its length in bytes).
    shape_or_image : tuple of int or numpy.ndarray
        ``(H, W)`` or ``(H, W, C)``, or the original image.

    Returns
    -------
    float
        :math:`8 N_\text{bytes} / (H W)`: per **pixel**, not per sample, so an RGB image
        stored raw is 24 bpp.

    Examples
    --------
    >>> bpp(b"x" * 96, (16, 16, 3))
    3.0
    """
    shape = shape_or_image.shape if isinstance(shape_or_image, np.ndarray) else tuple(shape_or_image)
    if len(shape) not in (2, 3):
        raise ValueError(f"shape must be (H, W) or (H, W, C), got {shape!r}")
    h, w = (_count(s, "shape") for s in shape[:2])
    if h * w == 0:
        raise ValueError(f"image has no pixels: shape {shape!r}")
    return 8 * _nbytes(compressed, "compressed") / (h * w)


# ---- Bjontegaard delta ------------------------------------------------------------


def bd_rate(rate_a, psnr_a, rate_b, psnr_b) -> float:
    r"""Bjontegaard delta rate: average bit-rate change of curve B against anchor A, in percent.

    Parameters
    ----------
    rate_a, psnr_a : array_like, shape (n,)
        The anchor's rate-distortion points (rate in any unit, e.g. bpp; PSNR in dB),
        ``n >= 2`` (4 is customary), in any order.
    rate_b, psnr_b : array_like, shape (m,)
        The tested codec's points, same rate unit.

    Returns
    -------
    float
        Percent; negative means B needs fewer bits for the same quality (-10.0: 10 %
        fewer).

    Notes
    -----
    Over the PSNR interval both curves cover, :math:`[D_\text{lo}, D_\text{hi}]`, each
    curve's :math:`\log_{10} r` is interpolated as a function of PSNR :math:`D` and
    averaged:

    .. math::

        \Delta = \frac{1}{D_\text{hi} - D_\text{lo}}
            \int_{D_\text{lo}}^{D_\text{hi}} \bigl(\log_{10} r_B(D) - \log_{10} r_A(D)\bigr)\,dD,
        \qquad \text{BD-rate} = 100\,(10^{\Delta} - 1)

    Bjontegaard (VCEG-M33, 2001) fitted a cubic polynomial through the 4 points; this is
    the later, more stable variant of the JCT-VC/JVET test conditions: a piecewise cubic
    Hermite interpolant (PCHIP) whose slopes follow Fritsch and Carlson (1980), so each
    piece is monotone between the data, integrated exactly.  It matches
    ``scipy.interpolate.PchipInterpolator(...).integrate``.

    Examples
    --------
    >>> rate = [0.25, 0.5, 1.0, 2.0]
    >>> quality = [28.0, 31.0, 34.5, 38.0]
    >>> round(bd_rate(rate, quality, [0.9 * r for r in rate], quality), 6)
    -10.0
    """
    _, _, avg_a, avg_b = _bd_averages(
        psnr_a, _log_rate(rate_a, "rate_a"), psnr_b, _log_rate(rate_b, "rate_b")
    )
    return float((10.0 ** (avg_b - avg_a) - 1.0) * 100.0)


def bd_psnr(rate_a, psnr_a, rate_b, psnr_b) -> float:
    r"""Bjontegaard delta PSNR: average PSNR gain of curve B over anchor A at equal rate, in dB.

    Parameters
    ----------
    rate_a, psnr_a, rate_b, psnr_b : array_like
        As for :func:`bd_rate`.

    Returns
    -------
    float
        dB; positive means B is better.

    Notes
    -----
    The same construction as :func:`bd_rate` with the axes swapped: PSNR is interpolated
    (PCHIP) as a function of :math:`\log_{10} r` and the difference is averaged over the
    common log-rate interval:

    .. math::

        \text{BD-PSNR} = \frac{1}{\ell_\text{hi} - \ell_\text{lo}}
            \int_{\ell_\text{lo}}^{\ell_\text{hi}} \bigl(D_B(\ell) - D_A(\ell)\bigr)\,d\ell,
        \qquad \ell = \log_{10} r

    Examples
    --------
    >>> rate = [0.25, 0.5, 1.0, 2.0]
    >>> round(bd_psnr(rate, [28.0, 31.0, 34.5, 38.0], rate, [28.5, 31.5, 35.0, 38.5]), 6)
    0.5
    """
    _, _, avg_a, avg_b = _bd_averages(
        _log_rate(rate_a, "rate_a"), psnr_a, _log_rate(rate_b, "rate_b"), psnr_b
    )
    return float(avg_b - avg_a)


# ---- helpers ----------------------------------------------------------------------


def _pair(reference, test) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(reference), np.asarray(test)
    if x.shape != y.shape:
        raise ValueError(f"Input images must have the same dimensions: {x.shape} != {y.shape}")
    for name, a in (("reference", x), ("test", y)):
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool) or np.iscomplexobj(a):
            raise ValueError(f"{name} must be real numbers, got dtype {a.dtype}")
    return x.astype(np.float64), y.astype(np.float64)


def _positive(value, name: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _nbytes(data, name: str) -> int:
    if isinstance(data, (bytes, bytearray)):
        return len(data)
    if isinstance(data, memoryview):
        return data.nbytes
    return _count(data, name)


def _gaussian_window(sigma: float, truncate: float) -> np.ndarray:
    """1-D Gaussian weights, radius int(truncate*sigma + 0.5) as in scipy.ndimage, sum 1."""
    radius = int(truncate * sigma + 0.5)
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (t / sigma) ** 2)
    return w / w.sum()


def _filter_valid(img: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Separable 2-D correlation with ``w`` along both axes, 'valid' part only."""
    k = w.size
    h, wd = img.shape
    rows = sum(w[i] * img[i : h - k + 1 + i, :] for i in range(k))  # (H-k+1, W)
    return sum(w[j] * rows[:, j : wd - k + 1 + j] for j in range(k))  # (H-k+1, W-k+1)


def _ssim_plane(x: np.ndarray, y: np.ndarray, w: np.ndarray, peak: float) -> float:
    c1 = (SSIM_K1 * peak) ** 2
    c2 = (SSIM_K2 * peak) ** 2
    mu_x, mu_y = _filter_valid(x, w), _filter_valid(y, w)
    var_x = _filter_valid(x * x, w) - mu_x * mu_x
    var_y = _filter_valid(y * y, w) - mu_y * mu_y
    cov_xy = _filter_valid(x * y, w) - mu_x * mu_y
    num = (2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)
    den = (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    return float(np.mean(num / den))


def _log_rate(rate, name: str) -> np.ndarray:
    r = np.asarray(rate, dtype=np.float64)
    if r.ndim != 1 or not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise ValueError(f"{name} must be a 1-D array of finite rates > 0, got {rate!r}")
    return np.log10(r)


def _bd_averages(x_a, y_a, x_b, y_b):
    """Mean of each PCHIP curve y(x) over the common x interval: (lo, hi, mean_a, mean_b)."""
    xa, ya = _sorted_curve(x_a, y_a, "a")
    xb, yb = _sorted_curve(x_b, y_b, "b")
    lo, hi = max(xa[0], xb[0]), min(xa[-1], xb[-1])
    if not hi > lo:
        raise ValueError(f"the curves do not overlap: a covers [{xa[0]}, {xa[-1]}], b [{xb[0]}, {xb[-1]}]")
    avg_a = _pchip_integral(xa, ya, lo, hi) / (hi - lo)
    avg_b = _pchip_integral(xb, yb, lo, hi) / (hi - lo)
    return lo, hi, avg_a, avg_b


def _sorted_curve(x, y, label: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(f"curve {label}: rates and PSNRs must be 1-D of equal length >= 2")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(f"curve {label}: values must be finite")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if np.any(np.diff(x) <= 0):
        raise ValueError(f"curve {label}: the interpolation variable has repeated values {x.tolist()}")
    return x, y


def _pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson derivatives at the knots, with scipy's one-sided edge rule."""
    h = np.diff(x)
    delta = np.diff(y) / h
    if x.size == 2:
        return np.array([delta[0], delta[0]])  # a straight line
    d = np.zeros_like(x)
    # interior: weighted harmonic mean of the neighbouring secants, 0 at an extremum
    w1 = 2 * h[1:] + h[:-1]
    w2 = h[1:] + 2 * h[:-1]
    same_sign = np.sign(delta[:-1]) * np.sign(delta[1:]) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / delta[:-1] + w2 / delta[1:])
    d[1:-1] = np.where(same_sign, harmonic, 0.0)
    d[0] = _pchip_edge(h[0], h[1], delta[0], delta[1])
    d[-1] = _pchip_edge(h[-1], h[-2], delta[-1], delta[-2])
    return d


def _pchip_edge(h0, h1, m0, m1) -> float:
    """Three-point one-sided end slope, kept shape-preserving (scipy's ``_edge_case``)."""
    d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > abs(3 * m0):
        return 3 * m0
    return d


def _pchip_integral(x: np.ndarray, y: np.ndarray, lo: float, hi: float) -> float:
    """Exact integral over [lo, hi] (inside [x0, xn]) of the PCHIP interpolant of (x, y)."""
    d = _pchip_slopes(x, y)
    h = np.diff(x)
    delta = np.diff(y) / h
    # each piece in local s = x - x_k: y_k + d_k s + c2 s^2 + c3 s^3
    c2 = (3 * delta - 2 * d[:-1] - d[1:]) / h
    c3 = (d[:-1] + d[1:] - 2 * delta) / h**2
    a = np.clip(lo, x[:-1], x[1:]) - x[:-1]  # the part of [lo, hi] inside each piece
    b = np.clip(hi, x[:-1], x[1:]) - x[:-1]

    def antiderivative(s):
        return y[:-1] * s + d[:-1] * s**2 / 2 + c2 * s**3 / 3 + c3 * s**4 / 4

    return float(np.sum(antiderivative(b) - antiderivative(a)))
