"""Colour transforms: JFIF YCbCr (ITU-T T.871) and the JPEG 2000 reversible transform.

Naming follows CPython's :mod:`colorsys`: ``rgb_to_abc`` / ``abc_to_rgb`` for each
system ``abc``.  Every function takes an array whose **last axis** holds the three
components (``H x W x 3`` for an image, ``(3,)`` for one colour).

=========================  ==============================  =====================
function pair              what                            exact?
=========================  ==============================  =====================
:func:`rgb_to_ycbcr`       full-range YCbCr of JFIF,       float64 (lossy once
:func:`ycbcr_to_rgb`       ITU-T T.871 clause 7            rounded to uint8)
:func:`rgb_to_rct`         reversible colour transform,    integer-exact
:func:`rct_to_rgb`         ITU-T T.800 (JPEG 2000) G.2
=========================  ==============================  =====================

What it does NOT do: studio-range ("video", 16-235) YCbCr of BT.601/BT.709,
gamma or linear-light conversions, colour management (ICC), the irreversible
JPEG 2000 transform (ICT, which is the same matrix as T.871 without the +128 offset).

Sources: ITU-T T.871 (05/2011) *JPEG File Interchange Format*, clause 7 "Conversion
to and from RGB"; ITU-T T.800 (JPEG 2000 Part 1) Annex G.2 "Reversible
multiple component transformation (RCT)".

Examples
--------
>>> import numpy as np
>>> from fundamentals.color import rgb_to_ycbcr, ycbcr_to_rgb
>>> ycbcr = rgb_to_ycbcr(np.array([255, 0, 0], dtype=np.uint8))
>>> np.round(ycbcr, 3)
array([ 76.245,  84.972, 255.5  ])
>>> ycbcr_to_rgb(ycbcr, as_uint8=True)
array([255,   0,   0], dtype=uint8)
"""

from __future__ import annotations

import numpy as np

__all__ = ["rct_to_rgb", "rgb_to_rct", "rgb_to_ycbcr", "ycbcr_to_rgb"]

#: T.871 clause 7, forward matrix: rows are Y, Cb, Cr; columns R, G, B.
T871_FORWARD = np.array(
    [
        [0.299, 0.587, 0.114],
        [-0.168736, -0.331264, 0.5],
        [0.5, -0.418688, -0.081312],
    ]
)
#: T.871 clause 7, inverse matrix applied to (Y, Cb - 128, Cr - 128); rows R, G, B.
T871_INVERSE = np.array(
    [
        [1.0, 0.0, 1.402],
        [1.0, -0.344136, -0.714136],
        [1.0, 1.772, 0.0],
    ]
)
#: Offset added to Cb and Cr so that they are centred on mid-grey for 8-bit samples.
CHROMA_OFFSET = 128.0


# ---- YCbCr (T.871) ---------------------------------------------------------------


def rgb_to_ycbcr(img, *, as_uint8: bool = False) -> np.ndarray:
    r"""Convert RGB to full-range YCbCr exactly as JFIF (ITU-T T.871) defines it.

    Parameters
    ----------
    img : array_like, shape (..., 3)
        R, G, B samples on the 0..255 scale (any real dtype; ``uint8`` usually).
    as_uint8 : bool, keyword-only
        If True, round half to even and clip to 0..255 and return ``uint8``, as a JPEG
        *file* would store them.  The default returns float64, which is what the
        JPEG codec feeds to its DCT (rounding here would add a second, avoidable error).

    Returns
    -------
    numpy.ndarray, shape (..., 3)
        Y, Cb, Cr.  float64 in ``[0, 255]`` for Y and ``[0.5, 255.5]`` at most for
        Cb/Cr, or ``uint8`` if ``as_uint8``.

    Notes
    -----
    T.871 clause 7:

    .. math::

        Y   &= 0.299\,R + 0.587\,G + 0.114\,B \\
        C_b &= 128 - 0.168736\,R - 0.331264\,G + 0.5\,B \\
        C_r &= 128 + 0.5\,R - 0.418688\,G - 0.081312\,B

    :math:`R, G, B` are ``img[..., 0]``, ``img[..., 1]``, ``img[..., 2]``.  The luma
    weights are those of ITU-R BT.601; unlike BT.601 video, all three outputs use the
    full 0..255 range (no 16..235 head-room), and the chroma is offset by 128 so that
    grey (R = G = B) has :math:`C_b = C_r = 128`.  Pure blue gives
    :math:`C_b = 255.5`, which clips to 255 in ``uint8``: the only out-of-range case.

    References
    ----------
    .. [1] ITU-T Recommendation T.871 (05/2011), "Information technology - Digital
       compression and coding of continuous-tone still images: JPEG File Interchange
       Format (JFIF)", clause 7.

    Examples
    --------
    >>> rgb_to_ycbcr([128, 128, 128])
    array([128., 128., 128.])
    >>> rgb_to_ycbcr([[0, 0, 255]], as_uint8=True)
    array([[ 29, 255, 107]], dtype=uint8)
    """
    rgb = _as_triples(img, "img")
    ycbcr = rgb @ T871_FORWARD.T
    ycbcr[..., 1:] += CHROMA_OFFSET
    return _to_uint8(ycbcr) if as_uint8 else ycbcr


def ycbcr_to_rgb(img, *, as_uint8: bool = False) -> np.ndarray:
    r"""Convert full-range JFIF YCbCr back to RGB (ITU-T T.871 clause 7).

    Parameters
    ----------
    img : array_like, shape (..., 3)
        Y, Cb, Cr on the 0..255 scale (float64 from :func:`rgb_to_ycbcr`, or ``uint8``).
    as_uint8 : bool, keyword-only
        If True, round half to even, clip to 0..255 and return ``uint8`` (what a decoder
        outputs).  Default: float64, unclipped.

    Returns
    -------
    numpy.ndarray, shape (..., 3)
        R, G, B as float64 (may leave 0..255 slightly after lossy coding) or ``uint8``.

    Notes
    -----
    .. math::

        R &= Y + 1.402\,(C_r - 128) \\
        G &= Y - 0.344136\,(C_b - 128) - 0.714136\,(C_r - 128) \\
        B &= Y + 1.772\,(C_b - 128)

    with :math:`Y, C_b, C_r` = ``img[..., 0]``, ``img[..., 1]``, ``img[..., 2]``.  The
    six-digit constants of T.871 are not the exact inverse of the forward matrix
    (their product differs from the identity by about 1e-6), so a float round trip
    is exact only to about 1e-3 on the 0..255 scale; after rounding to ``uint8`` it
    returns every colour except those that clip (e.g. pure blue) to within 1 level.

    Examples
    --------
    >>> ycbcr_to_rgb([128, 128, 128])
    array([128., 128., 128.])
    >>> ycbcr_to_rgb(rgb_to_ycbcr([10, 200, 30]), as_uint8=True)
    array([ 10, 200,  30], dtype=uint8)
    """
    ycbcr = _as_triples(img, "img").copy()
    ycbcr[..., 1:] -= CHROMA_OFFSET
    rgb = ycbcr @ T871_INVERSE.T
    return _to_uint8(rgb) if as_uint8 else rgb


# ---- reversible colour transform (JPEG 2000 RCT) ----------------------------------


def rgb_to_rct(img) -> np.ndarray:
    r"""Forward reversible colour transform (RCT) of JPEG 2000, integer-exact.

    Parameters
    ----------
    img : array_like of int, shape (..., 3)
        R, G, B integer samples (``uint8`` usually; any integer dtype up to 16 bits).

    Returns
    -------
    numpy.ndarray, shape (..., 3)
        Y, Cb, Cr.  ``int16`` for 8-bit input (Y in 0..255, Cb and Cr in -255..255),
        ``int32`` for wider input.

    Notes
    -----
    ITU-T T.800 Annex G.2 (equation G-5):

    .. math::

        Y = \left\lfloor \frac{R + 2G + B}{4} \right\rfloor, \qquad
        C_b = B - G, \qquad C_r = R - G

    The floor is taken towards minus infinity (an arithmetic right shift by 2).  No
    offset is added: Cb and Cr are signed.  The transform loses nothing because the
    floor's remainder is recoverable from :math:`C_b + C_r` (see :func:`rct_to_rgb`).

    References
    ----------
    .. [1] ITU-T Recommendation T.800 (2019) | ISO/IEC 15444-1, Annex G.2.

    Examples
    --------
    >>> rgb_to_rct(np.array([255, 0, 0], dtype=np.uint8))
    array([  63,    0,  255], dtype=int16)
    """
    rgb = _as_int_triples(img, "img")
    work = np.int16 if rgb.dtype.itemsize == 1 else np.int32
    r, g, b = (rgb[..., k].astype(work) for k in range(3))
    out = np.empty(rgb.shape, dtype=work)
    out[..., 0] = (r + 2 * g + b) >> 2  # floor((R + 2G + B) / 4), G-5
    out[..., 1] = b - g
    out[..., 2] = r - g
    return out


def rct_to_rgb(img, *, dtype=np.uint8) -> np.ndarray:
    r"""Inverse reversible colour transform of JPEG 2000; exact inverse of :func:`rgb_to_rct`.

    Parameters
    ----------
    img : array_like of int, shape (..., 3)
        Y, Cb, Cr as produced by :func:`rgb_to_rct`.
    dtype : numpy integer dtype, keyword-only
        Output dtype (default ``uint8``).  A ValueError is raised if a result does not
        fit, which happens only for triples that no RGB image produces.

    Returns
    -------
    numpy.ndarray, shape (..., 3)
        R, G, B in ``dtype``.

    Notes
    -----
    ITU-T T.800 Annex G.2 (equation G-6):

    .. math::

        G = Y - \left\lfloor \frac{C_b + C_r}{4} \right\rfloor, \qquad
        R = C_r + G, \qquad B = C_b + G

    Why it is exact: :math:`R + 2G + B = 4G + C_b + C_r`, so
    :math:`Y = G + \lfloor (C_b + C_r)/4 \rfloor` and the floor term cancels.

    Examples
    --------
    >>> rct_to_rgb(np.array([63, 0, 255]))
    array([255,   0,   0], dtype=uint8)
    """
    ycc = _as_int_triples(img, "img")
    y, cb, cr = (ycc[..., k].astype(np.int32) for k in range(3))
    out = np.empty(ycc.shape, dtype=np.int32)
    out[..., 1] = y - ((cb + cr) >> 2)  # G = Y - floor((Cb + Cr) / 4), G-6
    out[..., 0] = cr + out[..., 1]
    out[..., 2] = cb + out[..., 1]
    info = np.iinfo(dtype)
    if out.size and (out.min() < info.min or out.max() > info.max):
        raise ValueError(
            f"RCT result range [{out.min()}, {out.max()}] does not fit {np.dtype(dtype).name} "
            f"[{info.min}, {info.max}]; the input is not the RCT of any such image"
        )
    return out.astype(dtype)


# ---- helpers ----------------------------------------------------------------------


def _as_triples(img, name: str) -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"{name} must have 3 components on its last axis, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _as_int_triples(img, name: str) -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"{name} must have 3 components on its last axis, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must have an integer dtype for the reversible transform, got {arr.dtype}")
    if arr.dtype.itemsize > 2 and arr.size and (arr.min() < -(1 << 16) or arr.max() >= 1 << 16):
        raise ValueError(
            f"{name} values [{arr.min()}, {arr.max()}] outside the supported range [-65536, 65535]"
        )
    return arr


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)
