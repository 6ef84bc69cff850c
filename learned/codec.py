"""The learned image codec: ``encode(img, *, quality) -> bytes`` and ``decode(bytes) -> img``.

Real bytes from the factorized-prior model (Ballé et al. 2018, arXiv:1802.01436; transform
coding as in Ballé et al. 2017, arXiv:1611.01704, sec. 2): the image is padded to a multiple of
16 (edge replicate), transformed by ``g_a``, rounded around the per-channel medians
(``q = round(y - m)``), and every latent integer is entropy-coded with our own rANS
(:mod:`classical.ans`) using the integer CDF tables stored WITH the weights -- one table per
latent channel, used as the rANS context.  The decoder reads the symbols with the same integer
tables (no float is recomputed, so the symbols decode identically on any machine), rebuilds
``y_hat = q + m``, runs ``g_s``, crops the padding and rounds to ``uint8``.  (The pixels of
``g_s`` are float computations: another CPU or XLA version may change a pixel by one level;
the stream itself stays decodable.)

A value outside a channel's table (``q < offsets[c]`` or ``q >= offsets[c] + L``) is never
clipped: it is coded as the escape symbol ``L`` and its value is appended, zigzag-mapped
(``0, -1, 1, -2 ... -> 0, 1, 2, 3 ...``) as an unsigned LEB128 varint.

Byte layout
-----------
The :mod:`fundamentals.container` header (codec id ``learned``, the image's shape, dtype
``uint8``, params ``{"quality": q, "weights": <first 16 hex digits of the weights file's
SHA-256>}``), then the payload:

=====================  ==============================================================
field                  meaning
=====================  ==============================================================
varint ``n``           length of the rANS stream
``n`` bytes            :func:`classical.ans.encode` of the ``M * h * w`` symbols in
                       channel-major order (channel ``c``'s ``h x w`` plane, row by
                       row), context = channel
varints                one zigzag varint per escape symbol, in symbol order
                       (``|value| < MAX_ESCAPE = 2**24``)
=====================  ==============================================================

``h x w`` is the latent size, ``ceil(H / 16) x ceil(W / 16)``.  Gray images are coded as RGB
with three equal channels and decoded as the rounded mean of the three.

Quality ``q = 1..4`` selects ``learned/weights/factorized-q{q}.npz``, trained with CompressAI's
lambdas ``0.0018, 0.0035, 0.0067, 0.0130`` (``python -m learned.train ... --export``, see
``docs/learned/training.md``); ``weights=PATH`` uses any file written by :func:`save_weights`.

Not done: hyperprior, tiling of very large images (the limit is :data:`MAX_PIXELS`), GPU
kernels, progressive decoding.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from classical import ans
from fundamentals.bitio import read_varint, write_varint
from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError, UnsupportedError
from fundamentals.imageio import check_image
from learned.entropy import CDFTables
from learned.model import (
    FactorizedPrior,
    ModelConfig,
    inference_arrays,
    load_arrays,
    read_weights_file,
    write_weights_file,
)

__all__ = ["available_qualities", "decode", "encode", "load_weights", "save_weights", "weights_file"]

CODEC_ID = "learned"
#: The lambdas (CompressAI's bmshj2018-factorized q1..q4) of the shipped weights.
QUALITIES = {1: 0.0018, 2: 0.0035, 3: 0.0067, 4: 0.0130}
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: Largest image coded, in pixels (the activations of g_s at full resolution must fit in memory).
MAX_PIXELS = 1 << 24
#: Largest magnitude of a latent integer (far beyond any trained model's 1e-9 tails).
MAX_ESCAPE = 1 << 24


def encode(img, *, quality: int = 3, weights=None) -> bytes:
    """Compress an 8-bit image with the learned codec.

    Parameters
    ----------
    img : numpy.ndarray
        ``uint8``, ``H x W`` (gray) or ``H x W x 3`` (RGB), from 1 x 1 up to ``H * W <= MAX_PIXELS``.
    quality : int
        1..4 (lowest to highest rate): which shipped weights to use.
    weights : str or Path, optional
        A weights file written by :func:`save_weights` (overrides ``quality``).

    Returns
    -------
    bytes
        The container stream described in the module docstring.
    """
    img = check_image(img)  # uint8, (H, W) or (H, W, 3), at least 1x1
    if img.shape[0] * img.shape[1] > MAX_PIXELS:
        raise ValueError(f"{img.shape[0]}x{img.shape[1]} image exceeds MAX_PIXELS={MAX_PIXELS}")
    path = _weights_path(quality, weights)
    model, tables, _, digest = load_weights(path)
    params = {"quality": int(quality) if weights is None else 0, "weights": digest}
    H, W = img.shape[:2]
    rgb = img if img.ndim == 3 else np.repeat(img[:, :, None], 3, axis=2)  # (H, W, 3)
    ph, pw = -H % 16, -W % 16
    x = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="edge")  # (H', W', 3), multiples of 16
    y = _g_a(model, jnp.asarray(x))  # (1, h, w, M)
    q = np.rint(np.asarray(y[0], np.float64) - tables.medians).astype(np.int64)  # (h, w, M), rounded around m
    if np.abs(q).max() >= MAX_ESCAPE:
        raise ValueError(f"latent integer {np.abs(q).max()} beyond +-{MAX_ESCAPE}: broken weights?")
    symbols, escapes = _to_symbols(q.transpose(2, 0, 1), tables)  # channel-major
    contexts = np.repeat(np.arange(q.shape[2]), q.shape[0] * q.shape[1])  # (M*h*w,) channel of each symbol
    coded = ans.encode(symbols, tables.cdf, contexts)
    payload = bytearray(write_varint(len(coded)))
    payload += coded
    for v in escapes:
        payload += write_varint(2 * v if v >= 0 else -2 * v - 1)  # zigzag
    return pack(CODEC_ID, bytes(payload), shape=img.shape, params=params)


def decode(data: bytes, *, weights=None) -> np.ndarray:
    """Decompress a stream written by :func:`encode`.

    Parameters
    ----------
    data : bytes
        The stream.
    weights : str or Path, optional
        The weights file given to :func:`encode`, if any (shipped weights are found by quality).

    Returns
    -------
    numpy.ndarray
        ``uint8`` image of the encoded shape.
    """
    header, payload = unpack(data, codec=CODEC_ID)
    shape = header.shape
    if header.dtype != "uint8" or not (len(shape) == 2 or (len(shape) == 3 and shape[2] == 3)):
        raise CorruptStreamError(f"learned stream with dtype {header.dtype} and shape {shape}")
    if shape[0] * shape[1] > MAX_PIXELS:
        raise UnsupportedError(f"{shape[0]}x{shape[1]} image exceeds MAX_PIXELS={MAX_PIXELS}")
    quality, digest = header.params.get("quality"), header.params.get("weights")
    if not isinstance(quality, int) or not isinstance(digest, str):
        raise CorruptStreamError(f"bad learned params {header.params}")
    if shape[0] == 0 or shape[1] == 0:
        if payload:
            raise CorruptStreamError("payload after an empty image")
        return np.zeros(shape, np.uint8)
    if weights is None and quality not in QUALITIES:
        raise CorruptStreamError(f"quality {quality} not in {sorted(QUALITIES)}")
    model, tables, _, have = load_weights(_weights_path(quality, weights))
    if have != digest:
        raise UnsupportedError(f"stream was written with weights {digest}, these are {have}")
    H, W = shape[:2]
    h, w, M = -(-H // 16), -(-W // 16), tables.cdf.shape[0]
    n, pos = read_varint(payload, 0)  # read_varint raises CorruptStreamError itself
    if pos + n > len(payload):
        raise CorruptStreamError(f"rANS stream of {n} bytes, only {len(payload) - pos} left")
    contexts = np.repeat(np.arange(M), h * w)
    symbols = ans.decode(payload[pos:pos + n], tables.cdf, contexts, M * h * w)
    pos += n
    escapes = []
    for _ in range(int(np.count_nonzero(symbols == tables.escape))):
        z, pos = read_varint(payload, pos)
        if z >= 2 * MAX_ESCAPE:
            raise CorruptStreamError(f"escape value {z} (zigzag) beyond +-{MAX_ESCAPE}")
        escapes.append(z // 2 if z % 2 == 0 else -(z + 1) // 2)
    if pos != len(payload):
        raise CorruptStreamError(f"{len(payload) - pos} bytes after the last escape value")
    q = _from_symbols(symbols.reshape(M, h, w), escapes, tables).transpose(1, 2, 0)  # (h, w, M)
    y_hat = (q.astype(np.float32) + tables.medians)[None]  # (1, h, w, M)
    x_hat = np.asarray(_g_s(model, jnp.asarray(y_hat)))[0, :H, :W]  # (H, W, 3)
    if len(shape) == 2:
        return np.rint(x_hat.astype(np.float64).mean(axis=2)).astype(np.uint8)
    return x_hat


# ---- weights files ----


def save_weights(model: FactorizedPrior, path, *, lmbda: float, step: int = 0) -> None:
    """Write ``model``'s inference file: parameters, its integer CDF tables, config, ``lmbda``.

    Arrays: ``param/<path>`` (float16 kernels, float32 others: see
    :func:`learned.model.inference_arrays`), ``cdf``, ``offsets``,
    ``medians``, ``precision`` (:class:`learned.entropy.CDFTables`, computed here once) and
    ``meta`` (JSON: ``N``, ``M``, ``upsample``, ``lmbda``, ``step``).  The write is atomic.
    """
    tables = model.entropy_bottleneck.cdf_tables()
    out = inference_arrays(model, "param/")
    c = model.config
    meta = {"N": c.N, "M": c.M, "upsample": c.upsample, "lmbda": float(lmbda), "step": int(step)}
    out.update(cdf=tables.cdf, offsets=tables.offsets, medians=tables.medians, precision=np.int64(tables.precision))
    write_weights_file(path, out, meta)


def load_weights(path) -> tuple[FactorizedPrior, CDFTables, dict, str]:
    """``(model, tables, meta, digest)`` of a file written by :func:`save_weights` (cached per path and mtime).

    ``digest`` is the first 16 hex digits of the file's SHA-256, written into every stream.
    """
    path = Path(path)
    return _load_weights(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_weights(path: str, mtime_ns: int):
    arrays, meta, digest = read_weights_file(path)
    config = ModelConfig(meta["N"], meta["M"], meta["upsample"])
    model = nnx.eval_shape(lambda: FactorizedPrior(config, rngs=nnx.Rngs(0)))  # shapes only, no init compute
    load_arrays(model, arrays, "param/")
    tables = CDFTables(cdf=arrays["cdf"].astype(np.int64), offsets=arrays["offsets"].astype(np.int64),
                       medians=arrays["medians"].astype(np.float32), precision=int(arrays["precision"]))
    return model, tables, meta, digest


def weights_file(quality: int) -> Path:
    """Where the shipped weights of ``quality`` live (the file may not exist yet)."""
    return WEIGHTS_DIR / f"factorized-q{quality}.npz"


def available_qualities() -> list[int]:
    """The qualities whose weights are shipped in ``learned/weights/``."""
    return [q for q in sorted(QUALITIES) if weights_file(q).is_file()]


def _weights_path(quality, weights) -> Path:
    if weights is not None:
        return Path(weights)
    if quality not in QUALITIES:
        raise ValueError(f"quality={quality!r} not in {sorted(QUALITIES)}")
    path = weights_file(quality)
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: train and export it with python -m learned.train "
                                f"--lmbda {QUALITIES[quality]} ... --export {path}")
    return path


# ---- symbols <-> latent integers ----


def _to_symbols(q: np.ndarray, tables: CDFTables):
    """``q`` (M, h, w) -> symbols (M*h*w,) with escapes, and the escaped values in order."""
    s = q - tables.offsets[:, None, None]  # (M, h, w)
    out = (s < 0) | (s >= tables.escape)
    s = np.where(out, tables.escape, s).ravel()
    return s, q.ravel()[out.ravel()].tolist()


def _from_symbols(s: np.ndarray, escapes: list[int], tables: CDFTables) -> np.ndarray:
    """Inverse of :func:`_to_symbols`: symbols (M, h, w) and escaped values -> ``q`` (M, h, w)."""
    q = s + tables.offsets[:, None, None]  # (M, h, w)
    esc = s == tables.escape
    q[esc] = np.asarray(escapes, np.int64)
    return q


# ---- the transforms (nnx.jit compiles once per image shape) ----


@nnx.jit
def _g_a(model: FactorizedPrior, x_u8: jax.Array) -> jax.Array:
    return model.g_a(x_u8[None].astype(jnp.float32) / 255.0)  # (H, W, 3) uint8 -> (1, h, w, M)


@nnx.jit
def _g_s(model: FactorizedPrior, y_hat: jax.Array) -> jax.Array:
    x_hat = model.g_s(y_hat)  # (1, h, w, M) -> (1, H, W, 3)
    return jnp.round(jnp.clip(x_hat, 0.0, 1.0) * 255.0).astype(jnp.uint8)  # (1, H, W, 3)
