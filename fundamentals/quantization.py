"""Scalar quantization: uniform (mid-tread / mid-rise), bit-depth reduction, Lloyd-Max.

A scalar quantizer maps each real value to an integer **index** (what gets coded)
and each index back to a **reconstruction level** (what the decoder outputs):

* :func:`quantize` / :func:`dequantize`: the uniform quantizer, given either its
  ``step`` or its number of ``levels`` over ``data_range``.  *Mid-tread* has a
  reconstruction level at the origin (zero is representable: JPEG's coefficient
  quantizer); *mid-rise* has a decision threshold there (levels at half steps).
* :func:`reduce_bit_depth`: requantize ``uint8`` images to 1..8 bits, optionally with
  Floyd-Steinberg error diffusion.
* :func:`lloyd_max`: the MSE-optimal non-uniform scalar quantizer for a histogram,
  by Lloyd's alternating algorithm.

What it does NOT do: dead-zone quantizers (JPEG 2000, H.264 rounding offsets),
trellis/rate-distortion optimised quantization, vector quantization (see
``classical.vq``), entropy-constrained Lloyd-Max, ordered (Bayer) dithering.

Sources: S. P. Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory
28(2), 1982 (written 1957); J. Max, "Quantizing for minimum distortion", IRE Trans.
Inf. Theory 6(1), 1960; R. W. Floyd and L. Steinberg, "An adaptive algorithm for
spatial greyscale", Proc. SID 17(2), 1976; A. Gersho and R. M. Gray, *Vector
Quantization and Signal Compression*, 1992, ch. 5-6.

Examples
--------
>>> import numpy as np
>>> from fundamentals.quantization import quantize, dequantize
>>> q = quantize(np.array([0.0, 4.9, 5.0, 12.0]), step=10)
>>> q
array([0, 0, 1, 1])
>>> dequantize(q, step=10)
array([ 0.,  0., 10., 10.])
"""

from __future__ import annotations

import numpy as np

__all__ = ["dequantize", "lloyd_max", "quantize", "reduce_bit_depth"]

MODES = ("midtread", "midrise")


# ---- uniform scalar quantizer -----------------------------------------------------


def quantize(x, *, step=None, levels=None, mode: str = "midtread", data_range=(0, 255)) -> np.ndarray:
    r"""Uniform scalar quantizer: values to integer indices.

    Parameters
    ----------
    x : array_like
        Values to quantize (any real dtype).
    step : float, keyword-only
        Step size :math:`\Delta > 0`.  The grid is anchored at **zero** (as JPEG's
        coefficient quantizer); indices may be negative.  Give ``step`` or
        ``levels``, not both.
    levels : int, keyword-only
        Number of reconstruction levels :math:`L` spread over ``data_range``
        (``L >= 1`` for mid-rise, ``L >= 2`` for mid-tread).  The grid is anchored at
        ``data_range[0]``; indices are ``0 .. L-1``.
    mode : {'midtread', 'midrise'}, keyword-only
        Mid-tread puts a reconstruction level at the origin, mid-rise a threshold.
    data_range : (float, float) or None, keyword-only
        ``(lo, hi)``.  ``x`` is clipped to it first, so indices are bounded.
        ``None`` (allowed with ``step`` only) means no clipping.

    Returns
    -------
    numpy.ndarray of int64
        Indices :math:`q`, same shape as ``x``.

    Notes
    -----
    With origin :math:`o` (0 in ``step`` mode, ``lo`` in ``levels`` mode) and
    :math:`u = (\operatorname{clip}(x, lo, hi) - o)/\Delta`:

    .. math::

        q_\text{midtread} = \operatorname{sign}(u)\,\lfloor |u| + \tfrac12 \rfloor,
        \qquad
        q_\text{midrise} = \lfloor u \rfloor

    Ties in mid-tread round half away from zero (like libjpeg); in mid-rise a value
    on a threshold belongs to the cell above it.  With ``levels`` :math:`L`,
    :math:`\Delta = (hi - lo)/(L-1)` for mid-tread (levels at both ends of the
    range) and :math:`\Delta = (hi - lo)/L` for mid-rise (:math:`L` equal cells,
    levels at their midpoints), and :math:`q` is clipped to :math:`0..L-1`.
    In both modes, :math:`|x - \hat x| \le \Delta/2` for every :math:`x` in the range.

    Examples
    --------
    >>> quantize([-7.5, -2.4, 2.5, 7.4], step=5, data_range=None)
    array([-2,  0,  1,  1])
    >>> quantize([0, 63, 64, 255], levels=4, mode="midrise")
    array([0, 0, 1, 3])
    """
    origin, delta, lo, hi, n_levels = _grid(step, levels, mode, data_range)
    u = (_clip(_as_real(x, "x"), lo, hi) - origin) / delta
    if mode == "midtread":
        q = np.sign(u) * np.floor(np.abs(u) + 0.5)
    else:
        q = np.floor(u)
    if n_levels is not None:
        q = np.clip(q, 0, n_levels - 1)
    return q.astype(np.int64)


def dequantize(indices, *, step=None, levels=None, mode: str = "midtread", data_range=(0, 255)) -> np.ndarray:
    r"""Reconstruction levels of the uniform quantizer of :func:`quantize`.

    Parameters
    ----------
    indices : array_like of int
        Indices from :func:`quantize`.
    step, levels, mode, data_range
        Exactly as given to :func:`quantize`.

    Returns
    -------
    numpy.ndarray of float64
        Reconstruction levels :math:`\hat x`, same shape as ``indices``.

    Notes
    -----
    .. math::

        \hat x_\text{midtread} = o + q\,\Delta, \qquad
        \hat x_\text{midrise} = o + (q + \tfrac12)\,\Delta

    with :math:`o, \Delta` as in :func:`quantize`.  The result is not clipped: in
    ``step`` mode the top level may exceed ``hi`` (step 10 on 0..255 gives 260).
    ``quantize(dequantize(q))`` returns ``q`` for every valid index (idempotence).

    Examples
    --------
    >>> dequantize([0, 1, 3], levels=4, mode="midrise")
    array([ 31.875,  95.625, 223.125])
    >>> dequantize([0, 1, 2], levels=3)
    array([  0. , 127.5, 255. ])
    """
    origin, delta, _, _, n_levels = _grid(step, levels, mode, data_range)
    q = np.asarray(indices)
    if not np.issubdtype(q.dtype, np.integer):
        raise ValueError(f"indices must be integers, got dtype {q.dtype}")
    if n_levels is not None and q.size and (q.min() < 0 or q.max() >= n_levels):
        raise ValueError(f"indices [{q.min()}, {q.max()}] outside 0..{n_levels - 1} for levels={n_levels}")
    offset = 0.0 if mode == "midtread" else 0.5
    return origin + (q.astype(np.float64) + offset) * delta


# ---- bit-depth reduction ----------------------------------------------------------


def reduce_bit_depth(img, bits: int, *, dither: bool = False) -> np.ndarray:
    r"""Requantize a ``uint8`` image to ``bits`` bits per sample; output stays ``uint8``.

    Parameters
    ----------
    img : numpy.ndarray of uint8, shape (H, W) or (H, W, C)
        Input image (channels are processed independently).
    bits : int
        ``1 .. 8``.  ``bits=1`` binarizes, ``bits=8`` returns the image unchanged.
    dither : bool, keyword-only
        If True, diffuse each pixel's quantization error to its unprocessed
        neighbours with the Floyd-Steinberg weights (see Notes).

    Returns
    -------
    numpy.ndarray of uint8
        Same shape; only :math:`2^\text{bits}` distinct values per channel.

    Notes
    -----
    Rule: with :math:`\Delta = 2^{8-\text{bits}}`, index :math:`q = \lfloor x/\Delta \rfloor`
    (the top ``bits`` bits of :math:`x`) and reconstruction at the **midpoint** of the
    cell :math:`[q\Delta, (q+1)\Delta)`, rounded down to an integer:

    .. math::

        \hat x = q\,\Delta + \lfloor \Delta/2 \rfloor

    so 1 bit gives levels 64 and 192, and 8 bits give :math:`\hat x = x`.  This is the
    mid-rise quantizer of :func:`quantize` with ``step`` :math:`\Delta`; it halves the
    worst error of plain truncation :math:`q\Delta`.  (Another common rule spreads the
    levels to the full range, :math:`q \cdot 255/(2^\text{bits}-1)`; it is not used here.)

    With ``dither``, pixels are visited in raster order; each is quantized to the
    nearest level (ties upward) **after** adding the error pushed to it, and its error
    :math:`e = x' - \hat x` is distributed as (Floyd and Steinberg 1976)::

                  *    7/16
           3/16  5/16  1/16

    The value with its pushed error, :math:`x'`, is clamped to 0..255 first: the levels
    do not reach 0 and 255 (1 bit gives 64 and 192), and without the clamp the error of a
    black area would pile up without bound and smear into the next bright one.
    Error falling outside the image is dropped.  Since pixel :math:`(y, x)` depends only on
    :math:`(y, x-1)` and the three pixels above, all pixels with equal :math:`2y + x` are
    independent: they are processed together, one vectorized "wavefront" at a time,
    giving exactly the raster-order result.

    Examples
    --------
    >>> img = np.array([[0, 100, 127, 128, 255]], dtype=np.uint8)
    >>> reduce_bit_depth(img, 1)
    array([[ 64,  64,  64, 192, 192]], dtype=uint8)
    >>> reduce_bit_depth(np.full((1, 4), 128, dtype=np.uint8), 1, dither=True)
    array([[192,  64, 192,  64]], dtype=uint8)
    """
    arr = np.asarray(img)
    if arr.dtype != np.uint8:
        raise ValueError(f"img must be uint8, got dtype {arr.dtype}")
    if arr.ndim not in (2, 3):
        raise ValueError(f"img must be H x W or H x W x C, got shape {arr.shape}")
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 8:
        raise ValueError(f"bits must be an integer in 1..8, got {bits!r}")
    delta = 1 << (8 - int(bits))
    half = delta // 2
    if not dither:
        return ((arr // delta) * delta + half).astype(np.uint8)
    return _floyd_steinberg(arr, delta, half)


# ---- Lloyd-Max ----------------------------------------------------------------------


def lloyd_max(hist, levels: int, *, iters: int = 100) -> tuple[np.ndarray, np.ndarray]:
    r"""MSE-optimal scalar quantizer for a histogram, by Lloyd's algorithm (Lloyd-Max).

    Parameters
    ----------
    hist : array_like, shape (n,)
        Counts (or probabilities) of the values ``0 .. n-1``; typically
        ``np.bincount(img.ravel(), minlength=256)``.  Non-negative, not all zero.
    levels : int
        Number of reconstruction levels :math:`L`, ``1 <= L <= n``.
    iters : int, keyword-only
        Most iterations (``>= 0``); stops earlier once the levels stop changing.

    Returns
    -------
    thresholds : numpy.ndarray, shape (L-1,)
        Decision thresholds :math:`t_1 < \dots < t_{L-1}`; value :math:`v` has index
        ``np.searchsorted(thresholds, v, side="right")`` (a value on a threshold goes up).
    reconstruction : numpy.ndarray, shape (L,)
        Reconstruction levels :math:`y_0 \le \dots \le y_{L-1}`, float64.

    Notes
    -----
    The two optimality conditions of Lloyd (1982, "Method I") and Max (1960) are applied
    in turn, starting from the uniform mid-rise quantizer
    :math:`y_k = (k + \tfrac12)\,n/L - \tfrac12`:

    .. math::

        t_k = \frac{y_{k-1} + y_k}{2}, \qquad
        y_k = \frac{\sum_{t_k \le v < t_{k+1}} p_v\, v}{\sum_{t_k \le v < t_{k+1}} p_v}

    (nearest-neighbour cells, then the centroid of each cell), with :math:`p_v` =
    ``hist[v]``, :math:`t_0 = -\infty`, :math:`t_L = +\infty`.  Neither step can raise the
    mean squared error, so it never increases from one iteration to the next; it
    converges to a local (not always global) minimum.  An **empty cell** keeps its
    previous level (deterministic; its neighbours may later capture values for it).
    The returned thresholds are midway between the returned levels.

    Examples
    --------
    >>> hist = np.zeros(256)
    >>> hist[[10, 20, 200, 220]] = 1
    >>> t, y = lloyd_max(hist, 2)
    >>> t, y
    (array([112.5]), array([ 15., 210.]))
    """
    p = np.asarray(hist, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"hist must be a non-empty 1-D array, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or p.min() < 0 or p.sum() <= 0:
        raise ValueError("hist must be finite, non-negative and not all zero")
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or not 1 <= levels <= p.size:
        raise ValueError(f"levels must be an integer in 1..{p.size}, got {levels!r}")
    if isinstance(iters, bool) or not isinstance(iters, (int, np.integer)) or iters < 0:
        raise ValueError(f"iters must be an integer >= 0, got {iters!r}")
    n = p.size
    values = np.arange(n, dtype=np.float64)
    y = (np.arange(levels) + 0.5) * (n / levels) - 0.5  # uniform mid-rise start
    for _ in range(int(iters)):
        t = (y[:-1] + y[1:]) / 2  # nearest-neighbour condition
        cell = np.searchsorted(t, values, side="right")
        mass = np.bincount(cell, weights=p, minlength=levels)
        moment = np.bincount(cell, weights=p * values, minlength=levels)
        filled = mass > 0
        y_new = y.copy()  # empty cells keep their level
        y_new[filled] = moment[filled] / mass[filled]  # centroid condition
        if np.array_equal(y_new, y):
            break
        y = y_new
    return (y[:-1] + y[1:]) / 2, y


# ---- helpers ----------------------------------------------------------------------


def _grid(step, levels, mode, data_range):
    """Return (origin, delta, lo, hi, n_levels or None) of the uniform quantizer."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if (step is None) == (levels is None):
        raise ValueError("give exactly one of step= and levels=")
    if data_range is None:
        if levels is not None:
            raise ValueError("levels= needs a data_range (lo, hi)")
        lo, hi = -np.inf, np.inf
    else:
        try:
            lo, hi = (float(v) for v in data_range)
        except (TypeError, ValueError):
            raise ValueError(f"data_range must be a pair (lo, hi), got {data_range!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"data_range must be finite with lo < hi, got {data_range!r}")
    if step is not None:
        step = float(step)
        if not (np.isfinite(step) and step > 0):
            raise ValueError(f"step must be a finite number > 0, got {step!r}")
        return 0.0, step, lo, hi, None
    min_levels = 2 if mode == "midtread" else 1
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < min_levels:
        raise ValueError(f"levels must be an integer >= {min_levels} for {mode}, got {levels!r}")
    delta = (hi - lo) / (levels - 1 if mode == "midtread" else levels)
    return lo, delta, lo, hi, int(levels)


def _clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return x if lo == -np.inf else np.clip(x, lo, hi)


def _as_real(x, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating) or arr.dtype == bool
    ):
        raise ValueError(f"{name} must be real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def _floyd_steinberg(arr: np.ndarray, delta: int, half: int) -> np.ndarray:
    """Floyd-Steinberg error diffusion, one anti-diagonal wavefront (2y + x = const) at a time."""
    x = arr.astype(np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    h, w, _ = x.shape
    top = 256 - delta + half  # highest level: (2^bits - 1) * delta + half
    out = np.empty(x.shape, dtype=np.uint8)
    # err buffer has a one-pixel border left/right and one extra row below, so the
    # pushes never need bounds checks; the border is discarded.
    err = np.zeros((h + 1, w + 2, x.shape[2]))
    ys_all = np.arange(h)
    for t in range(2 * (h - 1) + w):
        ys = ys_all[(t - 2 * ys_all >= 0) & (t - 2 * ys_all < w)]
        if ys.size == 0:
            continue
        xs = t - 2 * ys
        v = np.clip(x[ys, xs] + err[ys, xs + 1], 0.0, 255.0)  # x' = clamp(x + pushed error)
        level = np.floor((v - half) / delta + 0.5) * delta + half  # nearest level, ties up
        level = np.clip(level, half, top)
        out[ys, xs] = level.astype(np.uint8)
        e = v - level
        # Raster order adds the below-left push before the right push; keep that order so
        # the floating-point sums equal those of a plain raster scan.
        err[ys + 1, xs] += e * (3 / 16)  # below-left
        err[ys + 1, xs + 1] += e * (5 / 16)  # below
        err[ys + 1, xs + 2] += e * (1 / 16)  # below-right
        err[ys, xs + 2] += e * (7 / 16)  # right
    return out.reshape(arr.shape)
