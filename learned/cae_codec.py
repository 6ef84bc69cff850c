"""The plain-autoencoder codec: 8-bit CAE latents coded with Huffman (the thesis baseline).

``encode(img) -> bytes`` and ``decode(bytes) -> img`` with :class:`learned.model.CAE`, the
convolutional autoencoder of the thesis this course comes from, for contrast with the
factorized-prior codec of :mod:`learned.codec`.  The image is padded to a multiple of 8 (edge
replicate), the CAE encoder gives a latent ``z`` in ``[0, 1]`` (it ends in a sigmoid) of size
``h x w x c3 = ceil(H/8) x ceil(W/8) x c3``, and every latent value is mapped to an 8-bit integer
exactly as ``CAE.__call__(x, quantize=True)`` does while training:

.. math::

    s = \\mathrm{round}(255\\, z) \\in \\{0, \\dots, 255\\},\\qquad \\hat z = s / 255

(round half to even, in float32; no clipping is needed since ``0 <= z <= 1``).  The symbols are
coded with our static Huffman coder (:func:`classical.huffman.encode_symbols`, alphabet 256, a new
table per 16,384-symbol block when it pays).  The decoder reads the symbols, runs the CAE decoder
on ``s / 255``, crops the padding and rounds to ``uint8``.  (The pixels are float computations:
another CPU or XLA version may change one by a level; the symbols decode identically anywhere.)

Why it is a poor codec -- the point of having it (``docs/learned/cae.md``): its loss is MSE
alone, so nothing makes the latent cheap to code.  The rate is fixed by the architecture
(``c3 * 8 / 64`` bits per pixel before entropy coding, 2 bpp for ``c3 = 16``) and the Huffman
coder only recovers whatever skew the symbols happen to have; there is no quality knob.

Byte layout
-----------
The :mod:`fundamentals.container` header (codec id ``cae``, the image's shape, dtype ``uint8``,
params ``{"weights": <first 16 hex digits of the weights file's SHA-256>}``), then the payload:
one :func:`classical.huffman.encode_symbols` stream (alphabet 256) of the ``c3 * h * w`` symbols
in channel-major order (channel ``k``'s ``h x w`` plane, row by row).  Gray images are coded as
RGB with three equal channels and decoded as the rounded mean of the three.

Weights: ``learned/weights/cae.npz`` by default (``python -m learned.train --model cae ...
--export``); ``weights=PATH`` uses any file written by :func:`save_weights`.  A stream records the
digest of its weights, and decoding it with other weights raises :class:`UnsupportedError`.

Not done: a rate control (the CAE has one operating point), an entropy model, tiling of
very large images (the limit is :data:`MAX_PIXELS`).
"""

from __future__ import annotations

import functools
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from classical import huffman
from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError, UnsupportedError
from fundamentals.imageio import check_image
from learned.model import CAE, inference_arrays, load_arrays, read_weights_file, write_weights_file

__all__ = ["decode", "encode", "load_weights", "save_weights"]

CODEC_ID = "cae"
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "cae.npz"
#: Largest image coded, in pixels (the decoder's activations at full resolution must fit in memory).
MAX_PIXELS = 1 << 24
#: Down-sampling factor of the CAE (three stride-2 convolutions).
FACTOR = 8


def encode(img, *, weights=None) -> bytes:
    """Compress an 8-bit image with the plain autoencoder.

    Parameters
    ----------
    img : numpy.ndarray
        ``uint8``, ``H x W`` (gray) or ``H x W x 3`` (RGB), from 1 x 1 up to ``H * W <= MAX_PIXELS``.
    weights : str or Path, optional
        A weights file written by :func:`save_weights` (default ``learned/weights/cae.npz``).

    Returns
    -------
    bytes
        The container stream described in the module docstring.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "cae.npz")
    >>> save_weights(CAE((4, 4, 4), rngs=nnx.Rngs(0)), path)   # untrained: shapes only
    >>> img = np.zeros((12, 20, 3), np.uint8)
    >>> decode(encode(img, weights=path), weights=path).shape
    (12, 20, 3)
    """
    img = check_image(img)  # uint8, (H, W) or (H, W, 3), at least 1x1
    if img.shape[0] * img.shape[1] > MAX_PIXELS:
        raise ValueError(f"{img.shape[0]}x{img.shape[1]} image exceeds MAX_PIXELS={MAX_PIXELS}")
    model, _, digest = load_weights(_weights_path(weights))
    params = {"weights": digest}
    H, W = img.shape[:2]
    rgb = img if img.ndim == 3 else np.repeat(img[:, :, None], 3, axis=2)  # (H, W, 3)
    x = np.pad(rgb, ((0, -H % FACTOR), (0, -W % FACTOR), (0, 0)), mode="edge")  # (H', W', 3), multiples of 8
    s = np.asarray(_symbols(model, jnp.asarray(x)))  # (h, w, c3) uint8
    payload = huffman.encode_symbols(s.transpose(2, 0, 1), 256)  # channel-major
    return pack(CODEC_ID, payload, shape=img.shape, params=params)


def decode(data: bytes, *, weights=None) -> np.ndarray:
    """Decompress a stream written by :func:`encode`.

    Parameters
    ----------
    data : bytes
        The stream.
    weights : str or Path, optional
        The weights file given to :func:`encode` (default ``learned/weights/cae.npz``).

    Returns
    -------
    numpy.ndarray
        ``uint8`` image of the encoded shape.

    Raises
    ------
    CorruptStreamError
        Truncated or damaged stream, not of this codec, wrong symbol count.
    UnsupportedError
        The stream was written with other weights, or the image exceeds :data:`MAX_PIXELS`.
    """
    header, payload = unpack(data, codec=CODEC_ID)
    shape = header.shape
    if header.dtype != "uint8" or not (len(shape) == 2 or (len(shape) == 3 and shape[2] == 3)):
        raise CorruptStreamError(f"cae stream with dtype {header.dtype} and shape {shape}")
    if shape[0] * shape[1] > MAX_PIXELS:
        raise UnsupportedError(f"{shape[0]}x{shape[1]} image exceeds MAX_PIXELS={MAX_PIXELS}")
    digest = header.params.get("weights")
    if not isinstance(digest, str) or set(header.params) != {"weights"}:
        raise CorruptStreamError(f"bad cae params {header.params}")
    if shape[0] == 0 or shape[1] == 0:
        if payload:
            raise CorruptStreamError("payload after an empty image")
        return np.zeros(shape, np.uint8)
    model, meta, have = load_weights(_weights_path(weights))
    if have != digest:
        raise UnsupportedError(f"stream was written with weights {digest}, these are {have}")
    H, W = shape[:2]
    h, w, c3 = -(-H // FACTOR), -(-W // FACTOR), meta["channels"][2]
    s = huffman.decode_symbols(payload, alphabet_size=256)  # raises CorruptStreamError itself
    if s.size != c3 * h * w:
        raise CorruptStreamError(f"{s.size} latent symbols, expected {c3} x {h} x {w} = {c3 * h * w}")
    x_hat = np.asarray(_reconstruct(model, jnp.asarray(s.reshape(c3, h, w).transpose(1, 2, 0))))  # (H', W', 3)
    x_hat = x_hat[:H, :W]  # crop the padding
    if len(shape) == 2:
        return np.rint(x_hat.astype(np.float64).mean(axis=2)).astype(np.uint8)
    return x_hat


# ---- weights files ----


def save_weights(model: CAE, path, *, step: int = 0) -> None:
    """Write ``model``'s inference file: parameters and ``meta`` (JSON: ``channels``, ``step``).

    Parameters are stored as ``param/<path>`` (float16 kernels, float32 others: see
    :func:`learned.model.inference_arrays`) in a
    compressed ``.npz``; the write is atomic.
    """
    out = inference_arrays(model, "param/")
    channels = [int(conv.out_features) for conv in model.encoder]
    write_weights_file(path, out, {"model": "cae", "channels": channels, "step": int(step)})


def load_weights(path) -> tuple[CAE, dict, str]:
    """``(model, meta, digest)`` of a file written by :func:`save_weights` (cached per path and mtime).

    ``digest`` is the first 16 hex digits of the file's SHA-256, written into every stream.
    """
    path = Path(path)
    return _load_weights(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_weights(path: str, mtime_ns: int):
    arrays, meta, digest = read_weights_file(path)
    if meta.get("model") != "cae":
        raise ValueError(f"{path} holds no CAE weights (meta {meta})")
    model = nnx.eval_shape(lambda: CAE(tuple(meta["channels"]), rngs=nnx.Rngs(0)))  # shapes only
    load_arrays(model, arrays, "param/")
    return model, meta, digest


def _weights_path(weights) -> Path:
    if weights is not None:
        return Path(weights)
    if not DEFAULT_WEIGHTS.exists():
        raise FileNotFoundError(f"{DEFAULT_WEIGHTS} missing: train and export it with python -m learned.train "
                                f"--model cae ... --export {DEFAULT_WEIGHTS}")
    return DEFAULT_WEIGHTS


# ---- the two halves of the CAE (nnx.jit compiles once per image shape) ----


@nnx.jit
def _symbols(model: CAE, x_u8: jax.Array) -> jax.Array:
    z = model.encode(x_u8[None].astype(jnp.float32) / 255.0)  # (H', W', 3) uint8 -> (1, h, w, c3) in [0, 1]
    return jnp.round(z[0] * 255.0).astype(jnp.uint8)  # (h, w, c3): s = round(255 z), as CAE(quantize=True)


@nnx.jit
def _reconstruct(model: CAE, s: jax.Array) -> jax.Array:
    x_hat = model.decode(s[None].astype(jnp.float32) / 255.0)  # (1, h, w, c3) -> (1, H', W', 3)
    return jnp.round(jnp.clip(x_hat[0], 0.0, 1.0) * 255.0).astype(jnp.uint8)  # (H', W', 3)
