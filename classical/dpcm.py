"""DPCM: predictive coding with the T.81 Annex H predictors, MED (LOCO-I) and GAP (CALIC).

Each sample :math:`x` is predicted from already coded neighbours and only the
residual :math:`e = x - \\hat x` is entropy coded. Neighbours (T.81 Figure H.1, extended)::

       nn nne        a = left, b = above, c = above-left, d = above-right,
     c  b  d         ww, nn = two to the left / two above, nne = above d
  ww a  x

What it does
    * :func:`predict`: Table H.1 predictors 1..7, MED or GAP, from the original.
    * ``mode="simple"`` (predictors 1..7, MED, GAP): residuals modulo 256, one static
      rANS table per plane (:mod:`classical.ans`), stored in the stream.
    * ``mode="he"`` (high efficiency; the default, with GAP or MED): reversible colour
      transform (RCT, T.800 G.2) for RGB; bias cancellation in compound contexts
      (LOCO-I, CALIC); coding contexts from CALIC's error energy and, for chroma, the
      error of the earlier planes at the same pixel; rANS with ADAPTIVE counts, so no
      table is stored. Kodak, 24 images: 9.45 bpp mean (GAP), 9.54 (MED);
      WebP lossless 9.61, PNG 13.40.
    * ``near > 0``: closed-loop quantization of the residual with step ``2 near + 1``
      (JPEG-LS NEAR, T.87 A.4.4): ``max |x - x_hat| <= near``; :func:`open_loop` shows
      the drift without the loop.
What it does NOT do
    Lossless JPEG (SOF3) streams, JPEG-LS run mode or Golomb codes, more than 8 bits.

Border rules (T.81 H.1.2.1, extended to every neighbour): a neighbour outside the
image is replaced by ``a`` in row 0 and by ``b`` in column 0 (``d`` in the last column
by ``b``, ``ww``/``nn``/``nne`` by ``a``/``b``/``d``), and the first pixel is predicted as
``2**(P-1) = 128`` (0 for the signed chroma planes). So every predictor, MED and GAP
included, is predictor 1 in row 0 and predictor 2 in column 0.

Wavefront. The decoder needs reconstructed neighbours, and a Python loop per pixel is
far too slow. Pixel ``(i, j)`` lies on front ``t = 2 i + j``; every neighbour lies on an
earlier front (``a``, ``d``: ``t - 1``; ``b``: ``t - 2``; ``c``: ``t - 3``), so the pixels
of a front are independent: coder and decoder run front by front, ``2 H + W - 2``
NumPy steps, the planes in order inside a front. Symbols are coded in that order.

Residual mapping (T.87 A.4.5, A.5.2): ``q`` is reduced modulo
``RANGE = (hi - lo + 2 near) // (2 near + 1) + 1`` into ``[-(RANGE // 2), (RANGE - 1) // 2]``
and folded to ``2 q`` (``q >= 0``) or ``-2 q - 1``: 256 symbols for 8-bit planes
(residuals modulo 256), 511 for the RCT chroma planes (values -255..255).

Byte layout: container (:mod:`fundamentals.container`), codec id ``dpcm``, params
``{"mode", "near", "predictor", "rct"}``, then

==========  ===========================================================================
mode        payload
==========  ===========================================================================
simple      per plane, ``RANGE`` varints: the table's frequencies (sum ``2**15``); then
            a :func:`classical.ans.encode` stream, contexts = plane index
he          a stream in the :mod:`classical.ans` format (varint lanes = ``auto_lanes(n)``,
            lane states, renormalization bytes), tables adaptive with ``M = 2**16``
==========  ===========================================================================

References: ITU-T T.81 (1992) Annex H; M. Weinberger, G. Seroussi, G. Sapiro, "The
LOCO-I lossless image compression algorithm", IEEE Trans. Image Proc. 9(8), 2000;
ITU-T T.87 (JPEG-LS) A.4; X. Wu, N. Memon, "Context-based, adaptive, lossless image
coding", IEEE Trans. Comm. 45(4), 1997 (CALIC: GAP, error energy, texture contexts).

Examples
--------
>>> img = np.array([[10, 12, 13], [11, 12, 15], [11, 13, 16]], np.uint8)
>>> predict(img, 4).tolist()
[[128, 10, 12], [10, 13, 13], [11, 12, 16]]
>>> bool((decode(encode(img)) == img).all())
True
"""

from __future__ import annotations

import numpy as np

from classical import ans, jpeg_lossless
from fundamentals.bitio import read_varint, write_varint
from fundamentals.color import rct_to_rgb, rgb_to_rct
from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError, UnsupportedError
from fundamentals.imageio import check_image

__all__ = ["PREDICTORS", "decode", "encode", "open_loop", "predict"]

CODEC_ID = "dpcm"
#: Predictor names: T.81 Table H.1 selection values 1..7, ``"med"`` (LOCO-I) and ``"gap"`` (CALIC).
PREDICTORS = (1, 2, 3, 4, 5, 6, 7, "med", "gap")
PREC = 16  # adaptive tables: M = 2**16
M = 1 << PREC
A = 512  # alphabet bound (RCT chroma needs 511 symbols)
#: Largest image :func:`decode` accepts (checked before allocating), in pixels.
MAX_PIXELS = 1 << 24
SIMPLE_PREC = 15
#: Error-energy bins (he mode): bin = number of thresholds <= (d_h + d_v + 2 |e_a|) // (2 (2 near + 1)).
ACT_T = np.array([1, 2, 3, 4, 6, 8, 10, 13, 16, 20, 25, 31, 40, 52, 70, 100])
NA = len(ACT_T) + 1
LUMA_T = np.array([1, 2, 4, 7, 12])  # chroma: bin of the largest |error| of earlier planes, same pixel
NL = len(LUMA_T) + 1
NTEX = 9  # bias-context texture bits: a, b, c, d, ww, nn, nne, 2b - nn, 2a - ww > prediction?
EVERY = 16  # fronts between table updates
INC, LIMIT = 256, 1 << 22  # adaptive counts: step per symbol, halve when the total passes LIMIT
BIAS_RESET = 64  # bias statistics are halved at this count (T.87 RESET)


# ---- public API ---------------------------------------------------------------------------------


def predict(img_plane: np.ndarray, predictor=4) -> np.ndarray:
    """Predictions of every sample from its ORIGINAL neighbours (vectorized).

    Parameters
    ----------
    img_plane : numpy.ndarray
        ``uint8`` ``(H, W)`` plane.
    predictor : int or str
        T.81 Table H.1 selection value 1..7, ``"med"`` or ``"gap"``.

    Returns
    -------
    numpy.ndarray of int32, shape (H, W)
        :math:`\\hat x`; the residual is ``x - predict(x)``.

    Notes
    -----
    Table H.1 (a = left, b = above, c = above-left):

    === =================  ===  ===============================
    1   a                  5    a + ((b - c) >> 1)
    2   b                  6    b + ((a - c) >> 1)
    3   c                  7    (a + b) >> 1
    4   a + b - c          med  min(a,b) if c >= max(a,b); max(a,b) if c <= min(a,b); else a+b-c
    === =================  ===  ===============================

    ``>>`` is the arithmetic shift (floor). MED (LOCO-I) picks ``b`` at a vertical
    edge, ``a`` at a horizontal one and the plane ``a + b - c`` elsewhere. GAP
    (CALIC, Wu & Memon 1997 eq. 2) weighs ``a`` against ``b`` by the gradients
    :math:`d_h = |a - ww| + |b - c| + |b - d|`, :math:`d_v = |a - c| + |b - nn| + |d - nne|`:
    ``a`` if :math:`d_v - d_h > 80`, ``b`` if :math:`< -80`, else
    :math:`(a + b)/2 + (d - c)/4` pulled halfway (or a quarter) towards ``a`` or ``b``
    when the difference passes 32 (or 8); computed in eighths, rounded.
    Borders: see the module docstring (row 0 uses a, column 0 uses b, first pixel 128).

    Examples
    --------
    >>> predict(np.array([[1, 2], [3, 9]], np.uint8), "med").tolist()
    [[128, 1], [1, 3]]
    """
    img_plane = check_image(img_plane, name="img_plane")
    if img_plane.ndim != 2:
        raise ValueError(f"img_plane must be 2-D, got shape {img_plane.shape}")
    _check_predictor(predictor)
    H, W = img_plane.shape
    nb = _neighbours(H, W)
    flat = np.append(img_plane.reshape(-1).astype(np.int32), 128)
    return np.clip(_predict(flat[nb], predictor), 0, 255).astype(np.int32).reshape(H, W)


def encode(img: np.ndarray, *, predictor="gap", near: int = 0, mode: str | None = None,
           format: str = "container") -> bytes:
    """Encode an image with DPCM.

    Parameters
    ----------
    img : numpy.ndarray
        ``uint8`` ``(H, W)`` or ``(H, W, 3)``.
    predictor : int or str
        1..7 (T.81 Table H.1), ``"med"`` or ``"gap"`` (default).
    near : int
        0 = lossless; ``near > 0`` guarantees ``max |error| <= near`` (0..32).
    mode : {"he", "simple"}, optional
        Default ``"he"`` for MED and GAP (the only predictors it takes), ``"simple"``
        for 1..7. The RCT is used only by ``"he"`` with ``near == 0``: its inverse
        would not keep a near-lossless error bound in RGB.
    format : {"container", "jpeg-lossless"}
        ``"jpeg-lossless"`` writes a real T.81 lossless JPEG (process 14, SOF3) with
        :func:`classical.jpeg_lossless.encode` instead: predictor 1..7, ``near=0``,
        Huffman-coded differences; Pillow and libjpeg-turbo open it, and :func:`decode`
        reads it back (it recognises the JPEG SOI marker).

    Returns
    -------
    bytes
        Container stream (layout in the module docstring).

    Examples
    --------
    >>> img = np.full((3, 4, 3), 200, np.uint8)
    >>> bool((decode(encode(img, predictor=7)) == img).all())
    True
    """
    img = check_image(img)
    _check_predictor(predictor)
    predictor = predictor if isinstance(predictor, str) else int(predictor)
    if format == "jpeg-lossless":
        if predictor not in range(1, 8) or near != 0 or mode is not None:
            raise ValueError(f"format='jpeg-lossless' takes predictor 1..7 and near=0, got {predictor!r}, {near!r}")
        return jpeg_lossless.encode(img, predictor=predictor)
    if format != "container":
        raise ValueError(f"format must be 'container' or 'jpeg-lossless', got {format!r}")
    if not (isinstance(near, (int, np.integer)) and 0 <= near <= 32):
        raise ValueError(f"near must be an integer in 0..32, got {near!r}")
    mode = mode or ("he" if predictor in ("med", "gap") else "simple")
    if mode not in ("he", "simple") or (mode == "he" and predictor not in ("med", "gap")):
        raise ValueError(f"mode must be 'he' (predictor 'med' or 'gap') or 'simple', got {mode!r}, {predictor!r}")
    near, rct = int(near), mode == "he" and near == 0 and img.ndim == 3
    planes = rgb_to_rct(img).astype(np.int64) if rct else img.astype(np.int64)
    planes = planes.reshape(img.shape[0] * img.shape[1], -1).T  # (P, n)
    spec = _Spec(img.shape, predictor, near, rct)
    coder = _Collect()
    _run(spec, _Adaptive(spec) if mode == "he" else _Static(spec), coder, planes)
    if mode == "he":
        payload = _rans_encode(np.concatenate(coder.f), np.concatenate(coder.st), ans.auto_lanes(spec.P * spec.n))
    else:
        sym, ctx = np.concatenate(coder.sym), spec.plane_of_symbol()
        table, cdfs = bytearray(), []
        for p in range(spec.P):
            R = spec.range_[p]
            hist = np.bincount(sym[ctx == p], minlength=R)[:R]
            cdf = ans.quantize_pmf(hist, SIMPLE_PREC, zero_unused=True)
            table += b"".join(write_varint(int(f)) for f in np.diff(cdf))
            cdfs.append(np.append(cdf, np.full(A - R, cdf[-1])))
        payload = bytes(table) + ans.encode(sym, np.array(cdfs), ctx)
    params = {"mode": mode, "predictor": predictor, "near": near, "rct": bool(rct)}
    return pack(CODEC_ID, payload, shape=img.shape, params=params)


def decode(data: bytes) -> np.ndarray:
    """Invert :func:`encode` from the bytes alone.

    Raises
    ------
    CorruptStreamError
        Not a ``dpcm`` stream, bad parameters or tables, truncated or damaged payload.
    """
    if bytes(data[:2]) == b"\xff\xd8":  # a JPEG SOI marker: format='jpeg-lossless'
        return jpeg_lossless.decode(data)
    header, payload = unpack(data, codec=CODEC_ID)
    shape, prm = header.shape, header.params
    mode, predictor, near, rct = (prm.get(k) for k in ("mode", "predictor", "near", "rct"))
    ok_shape = len(shape) == 2 or (len(shape) == 3 and shape[2] == 3)
    if header.dtype != "uint8" or not ok_shape or 0 in shape:
        raise CorruptStreamError(f"impossible dpcm image shape {shape} / dtype {header.dtype}")
    if (predictor not in PREDICTORS or isinstance(predictor, bool) or mode not in ("he", "simple")
            or (mode == "he" and predictor not in ("med", "gap")) or type(near) is not int or not 0 <= near <= 32
            or rct is not (len(shape) == 3 and mode == "he" and near == 0)):
        raise CorruptStreamError(f"bad dpcm parameters {prm}")
    if shape[0] * shape[1] > MAX_PIXELS:
        raise UnsupportedError(f"{shape[0]} x {shape[1]} image exceeds the dpcm decoder's limit of {MAX_PIXELS} pixels")
    spec = _Spec(shape, predictor, near, rct)
    try:
        if mode == "he":
            out = _run(spec, _Adaptive(spec), _RansStepper(payload, spec.P * spec.n))
        else:
            pos, cdfs = 0, []
            for p in range(spec.P):
                f = []
                for _ in range(spec.range_[p]):
                    v, pos = read_varint(payload, pos)
                    f.append(v)
                if sum(f) != 1 << SIMPLE_PREC:
                    raise CorruptStreamError("a frequency table does not sum to 2**15")
                cdf = np.cumsum([0] + f)
                cdfs.append(np.append(cdf, np.full(A - len(f), cdf[-1])))
            sym = ans.decode(payload[pos:], np.array(cdfs), spec.plane_of_symbol(), spec.P * spec.n)
            out = _run(spec, _Static(spec), _Replay(sym))
        out = out.T.reshape(shape)
        return rct_to_rgb(out) if rct else out.astype(np.uint8)
    except (ValueError, OverflowError) as exc:  # includes CorruptStreamError
        raise CorruptStreamError(f"damaged dpcm payload: {exc}") from None


def open_loop(img_plane: np.ndarray, predictor=4, near: int = 2) -> np.ndarray:
    """Reconstruction when residuals are quantized OPEN loop (from the original).

    The encoder computes :math:`e = x - P(x)` from the original neighbours and
    sends :math:`Q(e)`; the decoder can only form :math:`\\hat x = P(\\hat x) + Q(e)`
    from its own reconstructions, whose errors feed the next prediction and add
    up (drift). Closed loop (:func:`encode` with ``near``) predicts from
    reconstructions on both sides and keeps every error within ``near``.

    Returns
    -------
    numpy.ndarray of uint8, shape (H, W)
        What the decoder would reconstruct.

    Examples
    --------
    >>> ramp = np.tile(np.arange(0, 200, 2, dtype=np.uint8), (2, 1))
    >>> (open_loop(ramp, 1, near=1).astype(int) - ramp)[0, :8].tolist()  # +1 per step: drift
    [0, 1, 2, 3, 4, 5, 6, 7]
    >>> (decode(encode(ramp, predictor=1, near=1)).astype(int) - ramp)[0, :8].tolist()
    [0, 1, -1, 0, 1, -1, 0, 1]
    """
    x = check_image(img_plane, name="img_plane").astype(np.int64)
    if x.ndim != 2:
        raise ValueError(f"img_plane must be 2-D, got shape {x.shape}")
    step = 2 * int(near) + 1
    e = x - predict(img_plane, predictor)
    q = np.sign(e) * ((np.abs(e) + near) // step)  # T.87 A.4.4 quantizer, no loop
    spec = _Spec(x.shape, predictor, 0, False)
    out = np.empty(spec.n + 1, np.int64)
    out[-1] = 128
    for idx, nbi in spec.fronts():
        out[idx] = np.clip(np.clip(_predict(out[nbi], predictor), 0, 255) + step * q.ravel()[idx], 0, 255)
    return out[:-1].reshape(x.shape).astype(np.uint8)


# ---- geometry and prediction --------------------------------------------------------------------


def _check_predictor(predictor) -> None:
    if predictor not in PREDICTORS or isinstance(predictor, bool):
        raise ValueError(f"predictor must be one of {PREDICTORS}, got {predictor!r}")


def _gradients(nv):
    """CALIC's horizontal and vertical gradient estimates d_h, d_v (Wu & Memon 1997, eq. 1)."""
    a, b, c, d, ww, nn, nne = nv
    return (np.abs(a - ww) + np.abs(b - c) + np.abs(b - d),
            np.abs(a - c) + np.abs(b - nn) + np.abs(d - nne))


def _predict(nv, predictor, grads=None):
    """Table H.1 / MED / GAP on neighbour arrays ``nv = (a, b, c, d, ww, nn, nne)`` (int64)."""
    a, b, c = nv[0], nv[1], nv[2]
    if predictor == "gap":  # in units of 1/8 to stay in integers
        dh, dv = grads or _gradients(nv)
        g = dv - dh
        p8 = 4 * (a + b) + 2 * (nv[3] - c)
        p8 = np.where(g > 32, (p8 + 8 * a) >> 1, np.where(g > 8, (3 * p8 + 8 * a) >> 2, p8))
        p8 = np.where(g < -32, (p8 + 8 * b) >> 1, np.where(g < -8, (3 * p8 + 8 * b) >> 2, p8))
        return np.where(g > 80, 8 * a, np.where(g < -80, 8 * b, p8 + 4)) >> 3
    if predictor == "med":
        mx, mn = np.maximum(a, b), np.minimum(a, b)
        return np.where(c >= mx, mn, np.where(c <= mn, mx, a + b - c))
    return jpeg_lossless.PREDICTORS[predictor](a, b, c)  # Table H.1, the one definition


def _neighbours(H: int, W: int, i=None, j=None) -> np.ndarray:
    """Flat indices ``(7, m)`` of a, b, c, d, ww, nn, nne of pixels ``(i, j)`` (default: all), border
    rules applied; index ``H*W`` holds the first pixel's prediction."""
    if i is None:
        i, j = np.divmod(np.arange(H * W), W)
    k = i * W + j
    a = np.where(j > 0, k - 1, k - W)  # column 0: a = b (above)
    b = np.where(i > 0, k - W, k - 1)  # row 0: b = a (left)
    c = np.where((i > 0) & (j > 0), k - W - 1, np.where(i > 0, k - W, k - 1))
    d = np.where((i > 0) & (j < W - 1), k - W + 1, b)
    ww = np.where(j > 1, k - 2, a)
    nn = np.where(i > 1, k - 2 * W, b)
    nne = np.where((i > 1) & (j < W - 1), k - 2 * W + 1, d)
    nb = np.stack([a, b, c, d, ww, nn, nne])
    nb[:, k == 0] = H * W  # first pixel: 2**(P-1) (or 0 for chroma)
    return nb


class _Spec:
    """Image geometry and the per-plane value ranges."""

    def __init__(self, shape, predictor, near, rct):
        self.H, self.W = shape[0], shape[1]
        self.n, self.P = self.H * self.W, (shape[2] if len(shape) == 3 else 1)
        self.predictor, self.near, self.step = predictor, near, 2 * near + 1
        self.lo = [0, -255, -255][: self.P] if rct else [0] * self.P
        self.hi = [255] * self.P
        self.mid = [128, 0, 0][: self.P] if rct else [128] * self.P
        self.range_ = [(h - lo + 2 * near) // self.step + 1 for lo, h in zip(self.lo, self.hi)]
        t = np.arange(2 * self.H + self.W - 2)  # front t holds rows i0 <= i <= i1, column t - 2 i
        self.i0, self.i1 = np.maximum(0, (t - self.W + 2) // 2), np.minimum(self.H - 1, t // 2)

    def fronts(self):
        """Yield ``(flat indices, neighbour indices)`` of every front in order."""
        W, m = self.W, self.i1 - self.i0 + 1
        off = np.array([-1, -W, -W - 1, -W + 1, -2, -2 * W, -2 * W + 1])[:, None]  # interior pixels
        # only the first two of a front (rows 0, 1; column W - 1) and its last (columns 0, 1)
        # can touch a border: their neighbours come from the full rules, all fronts at once
        pos = np.stack([np.zeros_like(m), np.minimum(1, m - 1), m - 1], axis=1)
        ie = self.i0[:, None] + pos
        nbe = _neighbours(self.H, W, ie.ravel(), (np.arange(m.size)[:, None] - 2 * ie).ravel())
        nbe = nbe.reshape(7, m.size, 3)
        for t, i0, i1 in zip(range(m.size), self.i0.tolist(), self.i1.tolist()):
            i = np.arange(i0, i1 + 1)
            k = i * W + t - 2 * i
            nb = k + off
            if i.size:
                nb[:, pos[t]] = nbe[:, t]
            yield k, nb

    def plane_of_symbol(self) -> np.ndarray:
        lengths = self.i1 - self.i0 + 1
        return np.repeat(np.tile(np.arange(self.P), len(lengths)), np.repeat(lengths, self.P))


def _run(spec: _Spec, model, coder, planes=None) -> np.ndarray:
    """Code (``planes`` given) or decode front by front; return the reconstruction ``(P, n)``.

    Per front: neighbours, predictions and activity of all planes at once; then
    plane by plane (chroma contexts need the luma residual of the same pixel): the
    context and bias correction, the residual ``q`` (T.87 A.4.4), modular reduction
    and folding, the symbol, reconstruction (A.4.5: undo the reduction, clamp).
    Last, the model's update with the whole front.
    """
    R = np.empty((spec.P, spec.n + 1), np.int32)
    R[:, -1] = spec.mid
    E = np.zeros((spec.P, spec.n + 1), np.int32)  # errors x_hat - prediction, for the contexts
    lo, hi = np.array(spec.lo)[:, None], np.array(spec.hi)[:, None]
    s, near = spec.step, spec.near
    for idx, nbi in spec.fronts():
        nv = R[:, nbi].transpose(1, 0, 2)  # (7 neighbours, P, m)
        grads = _gradients(nv)
        base = np.minimum(np.maximum(_predict(nv, spec.predictor, grads), lo), hi)  # (P, m)
        ctx0 = model.context(grads, E[:, nbi[0]], nv, base)
        ctxs, syms, bias = np.empty_like(base), np.empty_like(base), np.empty_like(base)
        for p in range(spec.P):
            rng = spec.range_[p]
            pred, ctx, bias[p] = model.finish(p, base[p], ctx0, E[:p, idx])
            sym = None
            if planes is not None:
                e = planes[p, idx] - pred
                q = e if near == 0 else np.where(e > 0, (near + e) // s, -((near - e) // s))
                q = q + rng * (q < 0)  # reduce modulo RANGE into [-(RANGE // 2), (RANGE - 1) // 2]
                q = q - rng * (q >= (rng + 1) // 2)
                sym = np.where(q >= 0, 2 * q, -2 * q - 1)
            ctxs[p] = ctx
            syms[p] = sym = coder(ctx, sym, model)
            rx = pred + s * np.where(sym & 1, -(sym + 1) >> 1, sym >> 1)
            rx += rng * s * ((rx < spec.lo[p] - near).astype(np.int64) - (rx > spec.hi[p] + near))
            R[p, idx] = rx = np.minimum(np.maximum(rx, spec.lo[p]), spec.hi[p])
            E[p, idx] = rx - pred
        model.update(ctxs.ravel(), syms.ravel(), (R[:, idx] - base).ravel(), bias.ravel())
    return R[:, :-1]


# ---- models -------------------------------------------------------------------------------------


class _Static:
    """Simple mode: the plain predictor, context = plane, no adaptation."""

    def __init__(self, spec):
        self.spec = spec

    def context(self, grads, ea, nv, base):
        return None

    def finish(self, p, base, ctx0, prev):
        return base, np.full(base.shape, p), 0

    def update(self, ctx, sym, err, bias):
        pass


class _Adaptive:
    """High-efficiency mode: bias cancellation, error-energy contexts, adaptive counts.

    Coding context of a luma (or gray) sample: the bin (``ACT_T``) of CALIC's error
    energy :math:`\\Delta = d_h + d_v + 2 |e_a|` (:math:`e_a` = error at the left
    neighbour) x the sign of :math:`e_a`; chroma adds the bin (``LUMA_T``) of the
    largest error of the earlier planes at the same pixel. Bias cancellation (LOCO-I,
    CALIC): in the compound context (coding context x ``NTEX``-bit texture pattern)
    the mean error ``B / N`` of the plain prediction so far is added to it (``B`` and
    ``N`` halved at ``BIAS_RESET``). Counts: ``INC`` per coded symbol on a geometric
    prior, halved when a row passes ``LIMIT``; tables rebuilt every ``EVERY`` fronts as
    :math:`start_s = \\min(s, R) + \\lfloor C_s (M - R) / N \\rfloor` (:math:`C_s` = counts
    below ``s``, ``N`` = total, ``R`` = alphabet): every symbol keeps a frequency >= 1
    and each row sums to ``M``.
    """

    def __init__(self, spec):
        self.spec, P = spec, spec.P
        per = [2 * NA] + [2 * NA * NL] * (P - 1)
        self.base = np.cumsum([0] + per)[:-1, None]
        nctx = sum(per)
        self.R = np.repeat(spec.range_, per)
        s = np.arange(A)
        act = np.tile(np.repeat(np.append(ACT_T, 150), 2), nctx // (2 * NA))
        theta = 1 - 1 / (1.5 + 0.6 * act)  # mean folded symbol grows with the activity
        prior = np.floor(2 + 300 * theta[:, None] ** s[None, :])
        self.counts = np.where(s[None, :] < self.R[:, None], prior, 0.0)
        self.start = np.zeros((nctx, A + 1), np.int64)
        self.flat = self.start.copy()  # rows laid end to end, row k shifted by k (M + 1): sorted
        self._tables(np.arange(nctx))
        self.bsum, self.bcnt = np.zeros(nctx << NTEX, np.int64), np.ones(nctx << NTEX, np.int64)
        self.pending, self.fronts = [], 0

    def context(self, grads, ea, nv, base):
        act = (grads[0] + grads[1] + 2 * np.abs(ea)) // (2 * self.spec.step)
        ctx = self.base[: ea.shape[0]] + 2 * np.searchsorted(ACT_T, act, "right") + (ea > 0)
        t = np.concatenate([nv, [2 * nv[1] - nv[5], 2 * nv[0] - nv[4]]])[:NTEX]  # + 2b - nn, 2a - ww
        tex = (t > base).T @ (1 << np.arange(NTEX))  # CALIC texture pattern
        return ctx, tex.T

    def finish(self, p, base, ctx0, prev):
        ctx = ctx0[0][p]
        if p > 0:
            ctx = ctx + 2 * NA * np.searchsorted(LUMA_T, np.abs(prev).max(0) // self.spec.step, "right")
        bidx = (ctx << NTEX) + ctx0[1][p]
        corr = (2 * self.bsum[bidx] + self.bcnt[bidx]) // (2 * self.bcnt[bidx])
        return np.minimum(np.maximum(base + corr, self.spec.lo[p]), self.spec.hi[p]), ctx, bidx

    def update(self, ctx, sym, err, bias):
        np.add.at(self.counts, (ctx, sym), INC)
        np.add.at(self.bsum, bias, err)
        np.add.at(self.bcnt, bias, 1)
        full = np.unique(bias[self.bcnt[bias] >= BIAS_RESET])
        self.bsum[full] >>= 1
        self.bcnt[full] >>= 1
        self.pending.append(ctx)
        self.fronts += 1
        if self.fronts % EVERY == 0:
            self._tables(np.unique(np.concatenate(self.pending)))
            self.pending = []

    def _tables(self, rows):
        cnt = self.counts[rows]
        big = cnt.sum(1) > LIMIT
        if big.any():
            cnt[big] = np.floor((cnt[big] + 1) / 2)
            self.counts[rows] = cnt
        cum = np.zeros((rows.size, A + 1))  # counts are small integers held exactly in float64
        np.cumsum(cnt, axis=1, out=cum[:, 1:])
        R = self.R[rows, None]
        # float64 is exact here: cum * (M - R) < 2**40 and the quotient is >= 1/N away from an integer
        st = np.minimum(np.arange(A + 1), R) + np.floor(cum * (M - R) / cum[:, -1:]).astype(np.int64)
        self.start[rows] = st
        self.flat[rows] = st + rows[:, None] * (M + 1)


# ---- coders: rANS in the classical.ans stream format, tables per symbol ------------------------


class _Collect:
    """Encoder side: keep the symbols and, with adaptive tables, ``f_s`` and ``start_s`` as of NOW."""

    def __init__(self):
        self.sym, self.f, self.st = [], [], []

    def __call__(self, ctx, sym, model):
        self.sym.append(sym)
        if isinstance(model, _Adaptive):
            st = model.start[ctx, sym]
            self.st.append(st), self.f.append(model.start[ctx, sym + 1] - st)
        return sym


class _Replay:
    """Decoder side of simple mode: hand out the symbols ``ans.decode`` returned."""

    def __init__(self, sym):
        self.sym, self.pos = sym, 0

    def __call__(self, ctx, sym, model):
        self.pos += ctx.size
        return self.sym[self.pos - ctx.size : self.pos]


def _rans_encode(f: np.ndarray, st: np.ndarray, lanes: int) -> bytes:
    """:func:`classical.ans.encode` with a frequency ``f`` and start ``st`` per symbol.

    Same state, renormalization and byte order as ``classical.ans`` (M = 2**16);
    the tests check that both give identical bytes for static tables.
    """
    n = f.size
    lanes = max(1, min(lanes, n))
    T = -(-n // lanes)
    fp, sp = np.ones(T * lanes, np.int64), np.zeros(T * lanes, np.int64)
    fp[:n], sp[:n] = f, st
    fp, sp = fp.reshape(T, lanes), sp.reshape(T, lanes)
    out, keep = np.zeros((T, 2, lanes), np.uint8), np.zeros((T, 2, lanes), bool)
    x = np.full(lanes, ans.RANS_L, np.int64)
    for t in range(T - 1, -1, -1):  # rANS is last-in, first-out
        k = min(lanes, n - t * lanes)
        xa, fa = x[:k], fp[t, :k]
        xm = fa << (31 - PREC)
        one, two = xa >= xm, xa >= xm << 8
        out[t, 0, :k], out[t, 1, :k] = np.where(two, xa >> 8, xa), xa
        keep[t, 0, :k], keep[t, 1, :k] = one, two
        xa = xa >> ((one.astype(np.int64) + two) << 3)
        x[:k] = (xa // fa << PREC) + xa % fa + sp[t, :k]
    return write_varint(lanes) + x.astype("<u4").tobytes() + out[keep].tobytes()


class _RansStepper:
    """Decode an :func:`_rans_encode` stream a few symbols at a time, tables supplied per call.

    ``classical.ans.decode`` needs every context up front; here the contexts of
    front ``t`` depend on front ``t - 1``'s pixels. Lanes of one rANS step are
    independent, so a step may be decoded in pieces; its renormalization reads
    happen once the whole step is decoded, in the byte order of ``classical.ans``.
    """

    def __init__(self, data: bytes, n: int):
        lanes, pos = read_varint(data, 0)
        if lanes != ans.auto_lanes(n):
            raise CorruptStreamError(f"lane count {lanes}, expected {ans.auto_lanes(n)}")
        if len(data) < pos + 4 * lanes:
            raise CorruptStreamError("stream ends inside the lane states")
        self.x = np.frombuffer(data, "<u4", lanes, pos).astype(np.int64)
        if np.any(self.x < ans.RANS_L) or np.any(self.x >= ans.RANS_L << 8):
            raise CorruptStreamError("lane state outside [2**23, 2**31)")
        self.buf = np.frombuffer(data, np.uint8, offset=pos + 4 * lanes).astype(np.int64)
        self.n, self.lanes, self.i, self.p = n, lanes, 0, 0

    def __call__(self, ctx, sym, model):
        flat, out, done = model.flat.reshape(-1), np.empty(ctx.size, np.int64), 0
        while done < ctx.size:
            if self.i >= self.n:
                raise CorruptStreamError("more symbols requested than the stream holds")
            t, j0 = divmod(self.i, self.lanes)
            k = min(self.lanes, self.n - t * self.lanes)
            j1 = min(k, j0 + ctx.size - done)
            c, xa = ctx[done : done + j1 - j0], self.x[j0:j1]
            slot = xa & (M - 1)
            cm = c * (M + 1)
            pos = np.searchsorted(flat, cm + slot, "right") - 1  # = c (A + 1) + s
            st = flat[pos]
            self.x[j0:j1] = (flat[pos + 1] - st) * (xa >> PREC) + slot + cm - st
            out[done : done + j1 - j0] = pos - c * (A + 1)
            done, self.i = done + j1 - j0, self.i + j1 - j0
            if j1 == k:  # step complete: renormalize lanes 0..k-1, two rounds at most
                for _ in range(2):
                    xk = self.x[:k]
                    need = np.flatnonzero(xk < ans.RANS_L)
                    if need.size == 0:
                        break
                    if self.p + need.size > self.buf.size:
                        raise CorruptStreamError(f"stream ends at symbol {self.i} (truncated)")
                    xk[need] = (xk[need] << 8) | self.buf[self.p : self.p + need.size]
                    self.p += need.size
        if self.i == self.n and (np.any(self.x != ans.RANS_L) or self.p != self.buf.size):
            raise CorruptStreamError("final state mismatch: corrupt stream")
        return out
