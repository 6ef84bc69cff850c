"""DPCM: predictive coding with the T.81 Annex H predictors and MED (LOCO-I), lossless or near-lossless.

Each sample :math:`x` is predicted from already coded neighbours and only the
residual :math:`e = x - \\hat x` is entropy coded. Neighbours, as in T.81 Figure H.1::

    c b d        a = left, b = above, c = above-left, d = above-right
    a x

What it does
    * ``predict`` with the seven predictors of ITU-T T.81 Annex H, Table H.1 or MED.
    * Two modes. ``"simple"``: predictor 1..7 or MED per plane, residuals modulo
      256, one static rANS table per plane (:mod:`classical.ans`) stored in the
      stream. ``"he"`` (high efficiency, the default): reversible colour transform
      (RCT, T.800 G.2) for RGB, MED with per-context bias cancellation, contexts
      from the local gradient activity and (chroma) the luma residual, and rANS with
      ADAPTIVE per-context counts (no table in the stream), updated once per wavefront.
    * Near-lossless: ``near > 0`` quantizes residuals in closed loop with step
      ``2 near + 1`` (JPEG-LS NEAR, T.87 A.4.4), so ``max |x - x_hat| <= near``;
      ``open_loop`` shows what goes wrong without the loop (drift).
What it does NOT do
    Lossless JPEG (SOF3) interop, JPEG-LS run mode or Golomb codes, 16-bit samples.

Border rules (T.81 H.1.2.1, extended to ``d`` and to MED): in row 0 every
neighbour is ``a`` (left), in column 0 every one is ``b`` (above); ``d`` in the last
column is ``b``; the first pixel is predicted as ``2**(P-1) = 128`` (0 for the signed
RCT chroma planes). So row 0 is predictor 1 and column 0 predictor 2 whatever is chosen.

Wavefront. The decoder needs reconstructed neighbours, so it cannot work on the
whole image at once; a Python loop per pixel is far too slow. Pixel ``(i, j)`` lies
on front ``t = 2 i + j``: ``a`` and ``d`` lie on front ``t - 1``, ``b`` on ``t - 2``, ``c``
on ``t - 3``. All pixels of one front are independent, so coder and decoder run
front by front (``2 H + W - 2`` NumPy steps), planes in order inside a front. The
symbols are coded in that order.

Byte layout: the container (:mod:`fundamentals.container`), codec id ``dpcm``,
params ``{"mode", "predictor", "near", "rct"}``, then the payload:

===========  ============================================================================
mode         payload
===========  ============================================================================
``simple``   per plane: ``R`` varints, the table's frequencies (sum ``2**15``); then a
             :mod:`classical.ans` stream (contexts = plane), symbols in front order
``he``       a stream in the :mod:`classical.ans` format (varint lanes, lane states,
             renormalization bytes), coded with adaptive tables (``M = 2**16``)
===========  ============================================================================

Residual mapping (T.87 A.4.5 and A.5.2): ``q`` is reduced modulo
``RANGE = (hi - lo + 2 near) // (2 near + 1) + 1`` into ``[-(RANGE // 2), (RANGE - 1) // 2]``
and folded to ``2 q`` (``q >= 0``) or ``-2 q - 1``: 256 symbols for 8-bit planes
(residuals modulo 256), 511 for RCT chroma planes (values in -255..255).

References: ITU-T T.81 (1992) Annex H; M. Weinberger, G. Seroussi, G. Sapiro, "The
LOCO-I lossless image compression algorithm", IEEE Trans. Image Proc. 9(8), 2000
(MED, contexts, bias cancellation); ITU-T T.87 (JPEG-LS); X. Wu, N. Memon, "Context-based,
adaptive, lossless image coding" (CALIC), IEEE Trans. Comm. 45(4), 1997.

Examples
--------
>>> img = np.array([[10, 12, 13], [11, 12, 15], [11, 13, 16]], np.uint8)
>>> predict(img, 4).tolist()
[[128, 10, 12], [10, 13, 13], [11, 11, 16]]
>>> bool((decode(encode(img)) == img).all())
True
"""

from __future__ import annotations

import numpy as np

from classical import ans
from fundamentals.bitio import read_varint, write_varint
from fundamentals.color import rct_to_rgb, rgb_to_rct
from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError
from fundamentals.imageio import check_image

__all__ = ["PREDICTORS", "predict", "encode", "decode", "open_loop"]

CODEC_ID = "dpcm"
#: Predictor names: T.81 Table H.1 selection values 1..7, and ``"med"``.
PREDICTORS = (1, 2, 3, 4, 5, 6, 7, "med")
PREC = 16  # adaptive tables: M = 2**16
M = 1 << PREC
A = 512  # alphabet bound (RCT chroma needs 511 symbols)
LANES = 256  # interleaved rANS lanes in "he" mode
SIMPLE_PREC = 15
#: Activity thresholds: bin = number of thresholds <= |d-b| + |b-c| + |c-a| + |a-ww| + |b-nn|.
ACT_T = np.array([1, 2, 3, 4, 6, 8, 10, 13, 16, 20, 25, 31, 40, 52, 70, 100])
NA = len(ACT_T) + 1
LUMA_T = np.array([1, 3, 6, 12])  # chroma context: bin of the luma residual symbol
NL = len(LUMA_T) + 1
INC, LIMIT = 24, 1 << 13  # adaptive counts: step per symbol, halve when the total passes LIMIT
BIAS_RESET = 64  # bias statistics are halved at this count (T.87 RESET)


# ---- public API ---------------------------------------------------------------------------------


def predict(img_plane: np.ndarray, predictor=4) -> np.ndarray:
    """Predictions of every sample from its ORIGINAL neighbours (vectorized).

    Parameters
    ----------
    img_plane : numpy.ndarray
        ``uint8`` ``(H, W)`` plane.
    predictor : int or str
        T.81 Table H.1 selection value 1..7, or ``"med"``.

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
    edge, ``a`` at a horizontal one and the plane ``a + b - c`` elsewhere.
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
    a, b, c, _ = flat[nb]
    return np.clip(_predict_abc(a, b, c, predictor), 0, 255).astype(np.int32).reshape(H, W)


def encode(img: np.ndarray, *, predictor="med", near: int = 0, mode: str | None = None) -> bytes:
    """Encode an image with DPCM.

    Parameters
    ----------
    img : numpy.ndarray
        ``uint8`` ``(H, W)`` or ``(H, W, 3)``.
    predictor : int or str
        1..7 (T.81 Table H.1) or ``"med"``.
    near : int
        0 = lossless; ``near > 0`` guarantees ``max |error| <= near`` (0..32).
    mode : {"he", "simple"}, optional
        Default ``"he"`` for MED, ``"simple"`` for 1..7 (``"he"`` requires MED).
        The RCT is used only by ``"he"`` with ``near == 0`` (its inverse would
        amplify a near-lossless error bound).

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
    if not (isinstance(near, (int, np.integer)) and 0 <= near <= 32):
        raise ValueError(f"near must be an integer in 0..32, got {near!r}")
    mode = mode or ("he" if predictor == "med" else "simple")
    if mode not in ("he", "simple") or (mode == "he" and predictor != "med"):
        raise ValueError(f"mode must be 'he' (predictor 'med') or 'simple', got {mode!r} with {predictor!r}")
    near, rct = int(near), mode == "he" and near == 0 and img.ndim == 3
    planes = rgb_to_rct(img).astype(np.int64) if rct else img.astype(np.int64)
    planes = planes.reshape(img.shape[0] * img.shape[1], -1).T  # (P, n)
    spec = _Spec(img.shape, predictor, near, rct)
    if mode == "he":
        coder = _TableCoder()
        _run(spec, _Adaptive(spec), coder, planes)
        payload = _rans_encode(np.concatenate(coder.f), np.concatenate(coder.st), LANES)
    else:
        coder = _Recorder()
        _run(spec, _Static(spec), coder, planes)
        sym = np.concatenate(coder.sym) if coder.sym else np.zeros(0, np.int64)
        ctx = spec.plane_of_symbol()
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
    header, payload = unpack(data, codec=CODEC_ID)
    shape, prm = header.shape, header.params
    mode, predictor, near, rct = (prm.get(k) for k in ("mode", "predictor", "near", "rct"))
    ok_shape = len(shape) == 2 or (len(shape) == 3 and shape[2] == 3)
    if header.dtype != "uint8" or not ok_shape or 0 in shape:
        raise CorruptStreamError(f"impossible dpcm image shape {shape} / dtype {header.dtype}")
    if (predictor not in PREDICTORS or isinstance(predictor, bool) or mode not in ("he", "simple")
            or (mode == "he" and predictor != "med") or type(near) is not int or not 0 <= near <= 32
            or rct is not (len(shape) == 3 and mode == "he" and near == 0)):
        raise CorruptStreamError(f"bad dpcm parameters {prm}")
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
    >>> ramp = np.tile(np.arange(0, 240, 3, dtype=np.uint8), (2, 1))
    >>> err = np.abs(open_loop(ramp, 1, near=1).astype(int) - ramp)
    >>> int(err.max()) > 1   # 3 = 1 + 2: each step adds the same rounding error
    True
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
    nb = _neighbours(*x.shape)
    for idx in spec.fronts():
        a, b, c, _ = out[nb[:, idx]]
        out[idx] = np.clip(np.clip(_predict_abc(a, b, c, predictor), 0, 255) + step * q.ravel()[idx], 0, 255)
    return out[:-1].reshape(x.shape).astype(np.uint8)


# ---- geometry and prediction --------------------------------------------------------------------


def _check_predictor(predictor) -> None:
    if predictor not in PREDICTORS or isinstance(predictor, bool):
        raise ValueError(f"predictor must be one of {PREDICTORS}, got {predictor!r}")


def _predict_abc(a, b, c, predictor):
    """Table H.1 / MED on neighbour arrays (int64)."""
    if predictor == "med":
        mx, mn = np.maximum(a, b), np.minimum(a, b)
        return np.where(c >= mx, mn, np.where(c <= mn, mx, a + b - c))
    return {1: lambda: a, 2: lambda: b, 3: lambda: c, 4: lambda: a + b - c, 5: lambda: a + ((b - c) >> 1),
            6: lambda: b + ((a - c) >> 1), 7: lambda: (a + b) >> 1}[predictor]()


def _neighbours(H: int, W: int) -> np.ndarray:
    """Flat indices of a, b, c, d for every pixel, border rules applied; ``H*W`` = the mid value."""
    k = np.arange(H * W)
    i, j = np.divmod(k, W)
    a = np.where(j > 0, k - 1, k - W)  # column 0: a = b (above)
    b = np.where(i > 0, k - W, k - 1)  # row 0: b = a (left)
    c = np.where((i > 0) & (j > 0), k - W - 1, np.where(i > 0, k - W, k - 1))
    d = np.where((i > 0) & (j < W - 1), k - W + 1, b)
    nb = np.stack([a, b, c, d])
    nb[:, 0] = H * W  # first pixel: 2**(P-1) (or 0 for chroma)
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
        t = 2 * (np.arange(self.n) // self.W) + np.arange(self.n) % self.W
        self.order = np.argsort(t, kind="stable")
        self.bounds = np.searchsorted(t[self.order], np.arange(2 * self.H + self.W - 1))

    def fronts(self):
        for s, e in zip(self.bounds[:-1], self.bounds[1:]):
            yield self.order[s:e]

    def plane_of_symbol(self) -> np.ndarray:
        lengths = np.diff(self.bounds)
        return np.repeat(np.tile(np.arange(self.P), len(lengths)), np.repeat(lengths, self.P))


def _run(spec: _Spec, model, coder, planes=None) -> np.ndarray:
    """Code (``planes`` given) or decode front by front; return the reconstruction ``(P, n)``.

    Per front and plane: prediction and context from reconstructed neighbours, the
    residual ``q`` (T.87 A.4.4), modular reduction and folding, reconstruction
    (A.4.5: undo the reduction, clamp), then the model's update.
    """
    nb = _neighbours(spec.H, spec.W)
    R = np.empty((spec.P, spec.n + 1), np.int64)
    R[:, -1] = spec.mid
    s, near = spec.step, spec.near
    for idx in spec.fronts():
        nbi = nb[:, idx]
        ctxs, syms, errs, prev = [], [], [], None
        for p in range(spec.P):
            lo, hi, rng = spec.lo[p], spec.hi[p], spec.range_[p]
            a, b, c, d = R[p][nbi]
            base = np.clip(_predict_abc(a, b, c, spec.predictor), lo, hi)
            pred, ctx = model.context(p, a, b, c, d, base, prev)
            sym = None
            if planes is not None:
                e = planes[p, idx] - pred
                q = np.where(e > 0, (near + e) // s, -((near - e) // s))
                q = np.where(q < 0, q + rng, q)
                q = np.where(q >= (rng + 1) // 2, q - rng, q)
                sym = np.where(q >= 0, 2 * q, -2 * q - 1)
            sym = coder(ctx, sym, model)
            q = np.where(sym & 1, -(sym + 1) >> 1, sym >> 1)
            rx = pred + q * s
            rx = np.where(rx < lo - near, rx + rng * s, np.where(rx > hi + near, rx - rng * s, rx))
            R[p, idx] = rx = np.clip(rx, lo, hi)
            ctxs.append(ctx), syms.append(sym), errs.append(rx - base)
            prev = sym if p == 0 else prev
        model.update(np.concatenate(ctxs), np.concatenate(syms), np.concatenate(errs))
    return R[:, :-1]


# ---- models -------------------------------------------------------------------------------------


class _Static:
    """Simple mode: the plain predictor, context = plane, no adaptation."""

    def __init__(self, spec):
        self.spec = spec

    def context(self, p, a, b, c, d, base, prev):
        return base, np.full(base.shape, p)

    def update(self, ctx, sym, err):
        pass


class _Adaptive:
    """High-efficiency mode: MED + bias cancellation, activity/luma contexts, adaptive counts.

    Context of a luma (or gray) sample: activity bin (``ACT_T``) x texture bit
    (``b > a``); chroma adds the bin of the luma symbol at the same pixel (``LUMA_T``).
    Bias cancellation (LOCO-I): the mean error ``B/N`` of MED in the context is added
    to the prediction. Counts: ``INC`` per coded symbol on top of a geometric prior,
    halved when the total passes ``LIMIT``; the table of a context is
    ``start_s = s + floor(C_s (M - R) / N)`` with ``C_s`` the counts below ``s``, so
    every symbol keeps frequency >= 1 and the row sums to ``M``.
    """

    def __init__(self, spec):
        self.spec, P = spec, spec.P
        per = [2 * NA] + [2 * NA * NL] * (P - 1)
        self.base = np.cumsum([0] + per)[:-1]
        nctx = sum(per)
        self.R = np.repeat(spec.range_, per)
        s = np.arange(A)
        act = np.concatenate([np.repeat(ACT_T.tolist() + [150], 2)] + [
            np.tile(np.repeat(ACT_T.tolist() + [150], 2), NL)] * (P - 1))
        theta = 1 - 1 / (1.5 + 0.6 * act / max(1, spec.step))  # mean folded symbol ~ activity
        prior = np.floor(2 + 300 * theta[:, None] ** s[None, :]).astype(np.int64)
        self.counts = np.where(s[None, :] < self.R[:, None], prior, 0)
        self.start = np.zeros((nctx, A + 1), np.int64)
        self.flat = self.start.copy()  # rows laid end to end, row k shifted by k (M + 1): sorted
        self._tables(np.arange(nctx))
        self.bsum, self.bcnt = np.zeros(nctx, np.int64), np.ones(nctx, np.int64)

    def context(self, p, a, b, c, d, base, prev):
        act = np.abs(d - b) + np.abs(b - c) + np.abs(c - a)
        ctx = self.base[p] + 2 * np.searchsorted(ACT_T, act // self.spec.step, "right") + (b > a)
        if p > 0:
            ctx += 2 * NA * np.searchsorted(LUMA_T, prev, "right")
        corr = (2 * self.bsum[ctx] + self.bcnt[ctx]) // (2 * self.bcnt[ctx])
        return np.clip(base + corr, self.spec.lo[p], self.spec.hi[p]), ctx

    def update(self, ctx, sym, err):
        rows, inv = np.unique(ctx, return_inverse=True)
        h = np.bincount(inv * A + sym, minlength=rows.size * A).reshape(rows.size, A)
        cnt = self.counts[rows] + INC * h
        big = cnt.sum(1) > LIMIT
        cnt[big] = (cnt[big] + 1) >> 1
        self.counts[rows] = cnt
        self._tables(rows)
        self.bsum += np.bincount(ctx, err, minlength=self.bsum.size).astype(np.int64)
        self.bcnt += np.bincount(ctx, minlength=self.bsum.size)
        big = self.bcnt >= BIAS_RESET
        self.bsum[big] >>= 1
        self.bcnt[big] >>= 1

    def _tables(self, rows):
        cum = np.zeros((rows.size, A + 1), np.int64)
        np.cumsum(self.counts[rows], axis=1, out=cum[:, 1:])
        R = self.R[rows, None]
        self.start[rows] = np.minimum(np.arange(A + 1), R) + cum * (M - R) // cum[:, -1:]
        self.flat[rows] = self.start[rows] + rows[:, None] * (M + 1)


# ---- coders: rANS in the classical.ans stream format, tables per symbol ------------------------


class _Recorder:
    """Encoder side of simple mode: keep the symbols."""

    def __init__(self):
        self.sym = []

    def __call__(self, ctx, sym, model):
        self.sym.append(sym)
        return sym


class _Replay:
    """Decoder side of simple mode: hand out the symbols ``ans.decode`` returned."""

    def __init__(self, sym):
        self.sym, self.pos = sym, 0

    def __call__(self, ctx, sym, model):
        self.pos += ctx.size
        return self.sym[self.pos - ctx.size : self.pos]


class _TableCoder:
    """Encoder side of he mode: look up ``f_s`` and ``start_s`` in the CURRENT adaptive tables."""

    def __init__(self):
        self.f, self.st = [], []

    def __call__(self, ctx, sym, model):
        st = model.start[ctx, sym]
        self.st.append(st), self.f.append(model.start[ctx, sym + 1] - st)
        return sym


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
        if not 1 <= lanes <= max(1, min(LANES, n)):
            raise CorruptStreamError(f"lane count {lanes} out of range")
        if len(data) < pos + 4 * lanes:
            raise CorruptStreamError("stream ends inside the lane states")
        self.x = np.frombuffer(data, "<u4", lanes, pos).astype(np.int64)
        if np.any(self.x < ans.RANS_L) or np.any(self.x >= ans.RANS_L << 8):
            raise CorruptStreamError("lane state outside [2**23, 2**31)")
        self.buf = np.frombuffer(data, np.uint8, offset=pos + 4 * lanes).astype(np.int64)
        self.n, self.lanes, self.i, self.p = n, lanes, 0, 0

    def __call__(self, ctx, sym, model):
        start, flat, out, done = model.start, model.flat.reshape(-1), np.empty(ctx.size, np.int64), 0
        while done < ctx.size:
            t, j0 = divmod(self.i, self.lanes)
            k = min(self.lanes, self.n - t * self.lanes)
            j1 = min(k, j0 + ctx.size - done)
            c, xa = ctx[done : done + j1 - j0], self.x[j0:j1]
            slot = xa & (M - 1)
            s = np.searchsorted(flat, c * (M + 1) + slot, "right") - 1 - c * (A + 1)
            st = start[c, s]
            self.x[j0:j1] = (start[c, s + 1] - st) * (xa >> PREC) + slot - st
            out[done : done + j1 - j0] = s
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
