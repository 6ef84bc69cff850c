"""Resampling: image resizing and chroma subsampling 4:4:4 / 4:2:2 / 4:2:0 and back.

* :func:`resize` changes the size of an image by **box** filtering (area averaging,
  the right filter for shrinking by any factor, integer or not) or **bilinear**
  interpolation with half-pixel centres (the convention of Pillow, OpenCV's
  ``INTER_LINEAR`` and ``scikit-image``'s ``order=1``).
* :func:`subsample` halves a chroma plane the way JFIF encoders do: each output sample
  is the mean of a 2x1 (4:2:2) or 2x2 (4:2:0) neighbourhood, so chroma samples sit
  *centred* between luma samples (T.871 clause 5, "centred siting").
* :func:`upsample` brings a subsampled plane back to full size, by replication or by
  libjpeg's "fancy" triangle filter (``h2v1_fancy_upsample`` / ``h2v2_fancy_upsample``
  in ``jdsample.c``): weights 3/4 for the nearer and 1/4 for the farther sample.

Both resampling filters are written as matrices: resizing an ``H x W`` plane to
``h x w`` is ``A @ plane @ B.T`` with ``A`` of shape ``(h, H)`` and ``B`` of shape
``(w, W)``, each row holding the weights of one output sample.  All results are float64;
rounding is the caller's business.

What it does NOT do: antialiased bilinear shrinking (bilinear looks at the 2 nearest
samples only, so shrinking by more than 2 aliases; use ``box``), bicubic or Lanczos
filters, co-sited (MPEG-2 style) chroma, 4:1:1 or 4:4:0 layouts.

Sources: ITU-T T.871 (JFIF) clause 5; the Independent JPEG Group's libjpeg,
``jdsample.c`` (fancy upsampling); ITU-R BT.601 for the J:a:b notation.

Examples
--------
>>> import numpy as np
>>> from fundamentals.sampling import subsample, upsample
>>> cb = np.arange(16.0).reshape(4, 4)
>>> subsample(cb, "4:2:0")
array([[ 2.5,  4.5],
       [10.5, 12.5]])
>>> upsample(subsample(cb, "4:2:0"), "4:2:0", (4, 4)).shape
(4, 4)
"""

from __future__ import annotations

import numpy as np

__all__ = ["SUBSAMPLING_MODES", "resize", "subsample", "upsample"]

#: J:a:b notation -> (vertical factor, horizontal factor) by which chroma is reduced.
SUBSAMPLING_MODES = {"4:4:4": (1, 1), "4:2:2": (1, 2), "4:2:0": (2, 2)}


# ---- resizing ---------------------------------------------------------------------


def resize(img, shape, *, method: str = "box") -> np.ndarray:
    r"""Resize a gray (``H x W``) or multi-channel (``H x W x C``) image to ``shape``.

    Parameters
    ----------
    img : array_like, shape (H, W) or (H, W, C)
        Image, any real dtype; ``H, W >= 1``.
    shape : tuple of int
        ``(h, w)`` of the output, both ``>= 1``.
    method : {'box', 'bilinear'}, keyword-only
        ``'box'``: every output pixel is the area-weighted mean of the input pixels its
        footprint covers (exact for any scale factor; nearest-neighbour-like when
        enlarging).  ``'bilinear'``: linear interpolation between the 2 nearest
        samples along each axis, half-pixel centres, edges clamped.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(h, w)`` or ``(h, w, C)``.

    Notes
    -----
    Along one axis of input length :math:`N` and output length :math:`n`, output
    sample :math:`i` covers the input interval
    :math:`[i s, (i+1) s)` with :math:`s = N / n`.

    *Box*: the weight of input sample :math:`j` (which covers :math:`[j, j+1)`) is
    the length of the overlap, divided by :math:`s` so the weights sum to 1:

    .. math::

        a_{ij} = \frac{\max\bigl(0, \min(j+1, (i+1)s) - \max(j, i s)\bigr)}{s}

    *Bilinear* with half-pixel centres: output centre :math:`i + 1/2` maps to input
    coordinate :math:`u = (i + \tfrac12)s - \tfrac12`, clamped to :math:`[0, N-1]`;
    with :math:`j = \lfloor u \rfloor` and :math:`f = u - j`,
    :math:`a_{ij} = 1-f` and :math:`a_{i,j+1} = f`.

    The 2-D result is :math:`A\,X\,B^\mathsf{T}` (separable filtering).

    Examples
    --------
    >>> resize(np.array([[0, 2], [4, 6]]), (1, 1))
    array([[3.]])
    >>> resize(np.array([[0.0, 4.0]]), (1, 4), method="bilinear")
    array([[0., 1., 3., 4.]])
    """
    arr = np.asarray(img)
    if arr.ndim not in (2, 3) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"img must be H x W or H x W x C with H, W >= 1, got shape {arr.shape}")
    h, w = _check_shape(shape, "shape")
    weights = {"box": _box_weights, "bilinear": _bilinear_weights}
    if method not in weights:
        raise ValueError(f"method must be one of {sorted(weights)}, got {method!r}")
    a = weights[method](arr.shape[0], h)  # (h, H)
    b = weights[method](arr.shape[1], w)  # (w, W)
    x = arr.astype(np.float64)
    out = np.einsum("ij,jk...->ik...", a, x)  # rows:    (h, W[, C])
    return np.einsum("lk,ik...->il...", b, out)  # columns: (h, w[, C])


# ---- chroma subsampling -----------------------------------------------------------


def subsample(plane, mode: str) -> np.ndarray:
    r"""Reduce a chroma plane for 4:4:4, 4:2:2 or 4:2:0 by neighbourhood averaging.

    Parameters
    ----------
    plane : array_like, shape (H, W)
        One component (Cb or Cr), any real dtype, ``H, W >= 1``.
    mode : {'4:4:4', '4:2:2', '4:2:0'}
        ``'4:4:4'`` keeps every sample, ``'4:2:2'`` halves the width, ``'4:2:0'`` halves
        width and height.

    Returns
    -------
    numpy.ndarray
        float64 of shape ``(H, W)``, ``(H, ceil(W/2))`` or ``(ceil(H/2), ceil(W/2))``.

    Notes
    -----
    For 4:2:0,

    .. math::

        c_{ij} = \tfrac14\,(x_{2i,2j} + x_{2i,2j+1} + x_{2i+1,2j} + x_{2i+1,2j+1})

    and for 4:2:2, :math:`c_{ij} = \tfrac12 (x_{i,2j} + x_{i,2j+1})`, where :math:`x`
    is ``plane``.  An odd height or width is first extended by replicating the last row
    or column (as libjpeg's ``expand_right_edge`` does), so an edge sample is the mean of
    the real sample with itself.  The subsampled sample is then centred between the
    samples it replaces, which is JFIF's chroma siting.

    Examples
    --------
    >>> subsample(np.array([[1, 3, 5]]), "4:2:2")
    array([[2., 5.]])
    """
    fy, fx = _mode_factors(mode)
    x = _as_plane(plane, "plane")
    x = _pad_to_multiple(x, fy, fx)
    h, w = x.shape
    return x.reshape(h // fy, fy, w // fx, fx).mean(axis=(1, 3))


def upsample(plane, mode: str, shape, *, method: str = "replicate") -> np.ndarray:
    r"""Bring a plane made by :func:`subsample` back to the full ``shape``.

    Parameters
    ----------
    plane : array_like, shape (h, w)
        Subsampled component.
    mode : {'4:4:4', '4:2:2', '4:2:0'}
        The mode it was subsampled with.
    shape : tuple of int
        Full-resolution ``(H, W)``; ``plane`` must have the shape :func:`subsample`
        gives for it, e.g. ``(ceil(H/2), ceil(W/2))`` for 4:2:0.
    method : {'replicate', 'fancy'}, keyword-only
        ``'replicate'`` copies each sample into its 2x1 / 2x2 block (libjpeg's
        ``h2v1_upsample``).  ``'fancy'`` is libjpeg's triangle filter (see Notes).

    Returns
    -------
    numpy.ndarray
        float64 of shape ``shape``.

    Notes
    -----
    Fancy upsampling along one axis makes two outputs from each input sample
    :math:`c_j`, each 3/4 of the nearer and 1/4 of the farther neighbour:

    .. math::

        y_{2j} = \tfrac34 c_j + \tfrac14 c_{j-1}, \qquad
        y_{2j+1} = \tfrac34 c_j + \tfrac14 c_{j+1}

    with :math:`c_{-1} = c_0` and :math:`c_{n} = c_{n-1}` at the edges.  These are the
    linear-interpolation weights for centred chroma: output :math:`2j` lies 1/4 of a
    chroma sample from :math:`c_j`.  For 4:2:0 it is applied vertically then
    horizontally, giving libjpeg's 9/16, 3/16, 3/16, 1/16 weights.  libjpeg computes in
    integers with alternating rounding bias; here it is float64 and unrounded.

    Examples
    --------
    >>> upsample(np.array([[0.0, 4.0]]), "4:2:2", (1, 4))
    array([[0., 0., 4., 4.]])
    >>> upsample(np.array([[0.0, 4.0]]), "4:2:2", (1, 4), method="fancy")
    array([[0., 1., 3., 4.]])
    """
    fy, fx = _mode_factors(mode)
    x = _as_plane(plane, "plane")
    full_h, full_w = _check_shape(shape, "shape")
    expected = (-(-full_h // fy), -(-full_w // fx))
    if x.shape != expected:
        raise ValueError(
            f"plane of shape {x.shape} does not match {mode} subsampling of {(full_h, full_w)}: "
            f"expected {expected}"
        )
    if method not in ("replicate", "fancy"):
        raise ValueError(f"method must be 'replicate' or 'fancy', got {method!r}")
    for axis, factor in ((0, fy), (1, fx)):
        if factor == 2:
            x = np.repeat(x, 2, axis=axis) if method == "replicate" else _fancy_double(x, axis)
    return x[:full_h, :full_w]


# ---- helpers ----------------------------------------------------------------------


def _box_weights(n_in: int, n_out: int) -> np.ndarray:
    s = n_in / n_out
    lo = np.arange(n_out)[:, None] * s  # start of each output footprint
    hi = lo + s
    j = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(j + 1, hi) - np.maximum(j, lo), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def _bilinear_weights(n_in: int, n_out: int) -> np.ndarray:
    u = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0, n_in - 1)
    j = np.minimum(np.floor(u).astype(np.int64), n_in - 1)
    f = u - j
    a = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    a[rows, j] += 1.0 - f
    a[rows, np.minimum(j + 1, n_in - 1)] += f
    return a


def _fancy_double(x: np.ndarray, axis: int) -> np.ndarray:
    """Double ``x`` along ``axis`` with the 3/4, 1/4 triangle filter (edges replicated)."""
    c = np.moveaxis(x, axis, 0)
    prev = np.concatenate([c[:1], c[:-1]])  # c_{j-1}, replicated at the edge
    nxt = np.concatenate([c[1:], c[-1:]])  # c_{j+1}
    out = np.empty((2 * c.shape[0], *c.shape[1:]))
    out[0::2] = 0.75 * c + 0.25 * prev
    out[1::2] = 0.75 * c + 0.25 * nxt
    return np.moveaxis(out, 0, axis)


def _pad_to_multiple(x: np.ndarray, fy: int, fx: int) -> np.ndarray:
    pad_h, pad_w = (-x.shape[0]) % fy, (-x.shape[1]) % fx
    if pad_h or pad_w:
        x = np.pad(x, ((0, pad_h), (0, pad_w)), mode="edge")
    return x


def _mode_factors(mode: str) -> tuple[int, int]:
    if mode not in SUBSAMPLING_MODES:
        raise ValueError(f"mode must be one of {list(SUBSAMPLING_MODES)}, got {mode!r}")
    return SUBSAMPLING_MODES[mode]


def _as_plane(plane, name: str) -> np.ndarray:
    arr = np.asarray(plane)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array with both sides >= 1, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _check_shape(shape, name: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (height, width), got {shape!r}") from None
    if h < 1 or w < 1:
        raise ValueError(f"{name} sides must be >= 1, got {(h, w)}")
    return h, w
