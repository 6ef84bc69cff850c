"""Learned transform coding: the factorized-prior model and a plain convolutional autoencoder.

Follows Ballé, Laparra & Simoncelli, "End-to-end optimized image compression", ICLR 2017
(arXiv:1611.01704), with the transforms and the fully factorized prior of Ballé, Minnen, Singh,
Hwang & Johnston, "Variational image compression with a scale hyperprior", ICLR 2018
(arXiv:1802.01436) -- the model CompressAI calls ``bmshj2018-factorized``::

            g_a                 Q                    g_s
    x ----------> y ----------------> y_hat ----------------> x_hat
    (B,H,W,3)     (B,H/16,W/16,M)  |  (B,H/16,W/16,M)          (B,H,W,3)
                                   |
                          EntropyBottleneck
                         p(y_hat) -> likelihoods -> rate = sum(-log2 p) bits

* ``g_a`` (analysis): 4 x [5x5 conv, stride 2], GDN after the first three; ``N`` channels
  inside, ``M`` at the latent.
* ``Q``: additive uniform noise while training, rounding around the channel medians at test
  (optionally "mixed" while training: noise for the rate, rounding for the decoder).
* ``g_s`` (synthesis): the mirror image, 4 x [2x up-sampling], IGDN after the first three;
  the up-sampling is a 3x3 conv + depth-to-space ("sub-pixel", the default, 4x faster on CPU)
  or a 5x5 transposed convolution (as the paper).

Educational scope: images are float32 in ``[0, 1]``, NHWC, with ``H`` and ``W`` multiples of 16
(:mod:`learned.codec` pads); defaults ``N=64, M=96`` are smaller than CompressAI's ``N=128,
M=192`` so that the model trains on a 2-core CPU.  Not done: hyperprior, autoregressive
context models, MS-SSIM training.

:class:`CAE` is the plain convolutional autoencoder of the thesis this course comes from
(3 stride-2 convolutions + ReLU each way, no entropy model, an 8-bit quantized latent): the
baseline that shows what the entropy model buys.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from learned.entropy import EntropyBottleneck
from learned.layers import GDN, SubPixelConv, conv_down, conv_up_transpose

__all__ = ["CAE", "FactorizedPrior", "ForwardOutput", "ModelConfig", "inference_arrays", "load_arrays",
           "read_weights_file", "state_arrays", "write_weights_file"]

UPSAMPLERS = ("subpixel", "transpose")


@dataclass(frozen=True)
class ModelConfig:
    """Size of the factorized-prior model.

    Attributes
    ----------
    N : int
        Channels of the hidden layers of ``g_a`` and ``g_s`` (CompressAI q1-q5: 128).
    M : int
        Channels of the latent ``y`` (CompressAI q1-q5: 192).
    upsample : str
        ``"subpixel"`` (3x3 conv + depth-to-space) or ``"transpose"`` (5x5 transposed conv).
    """

    N: int = 64
    M: int = 96
    upsample: str = "subpixel"

    def __post_init__(self):
        if self.N < 1 or self.M < 1:
            raise ValueError(f"N={self.N} and M={self.M} must be >= 1")
        if self.upsample not in UPSAMPLERS:
            raise ValueError(f"upsample={self.upsample!r} not in {UPSAMPLERS}")


class ForwardOutput(NamedTuple):
    """What :meth:`FactorizedPrior.__call__` returns (CompressAI's ``{x_hat, likelihoods}``)."""

    x_hat: jax.Array  #: reconstruction, (B, H, W, 3), not clipped
    likelihoods: jax.Array  #: p(y_hat), (B, H/16, W/16, M)
    y_hat: jax.Array  #: quantized (or noisy) latent, (B, H/16, W/16, M)


def _upsampler(config: ModelConfig):
    return SubPixelConv if config.upsample == "subpixel" else conv_up_transpose


class FactorizedPrior(nnx.Module):
    """``bmshj2018-factorized``: analysis ``g_a``, synthesis ``g_s`` and a fully factorized prior.

    Parameters
    ----------
    config : ModelConfig
        ``N``, ``M`` and the up-sampling.
    rngs : nnx.Rngs
        Initialisation.

    Examples
    --------
    >>> model = FactorizedPrior(ModelConfig(N=8, M=8), rngs=nnx.Rngs(0))
    >>> out = nnx.jit(lambda m, x: m(x, training=False))(model, jnp.zeros((1, 32, 32, 3)))
    >>> out.x_hat.shape, out.likelihoods.shape
    ((1, 32, 32, 3), (1, 2, 2, 8))
    """

    def __init__(self, config: ModelConfig = ModelConfig(), *, rngs: nnx.Rngs):
        self.config = config
        N, M = config.N, config.M
        up = _upsampler(config)
        self.g_a = nnx.Sequential(
            conv_down(3, N, rngs=rngs), GDN(N),
            conv_down(N, N, rngs=rngs), GDN(N),
            conv_down(N, N, rngs=rngs), GDN(N),
            conv_down(N, M, rngs=rngs),
        )
        self.g_s = nnx.Sequential(
            up(M, N, rngs=rngs), GDN(N, inverse=True),
            up(N, N, rngs=rngs), GDN(N, inverse=True),
            up(N, N, rngs=rngs), GDN(N, inverse=True),
            up(N, 3, rngs=rngs),
        )
        self.entropy_bottleneck = EntropyBottleneck(M, rngs=rngs)

    def __call__(self, x: jax.Array, *, training: bool, key: jax.Array | None = None,
                 quantizer: str = "noise") -> ForwardOutput:
        """Encode, quantize (noise or rounding) and decode ``x``; estimate the rate.

        Parameters
        ----------
        x : jax.Array
            Images in ``[0, 1]``, ``(B, H, W, 3)``, ``H`` and ``W`` multiples of 16.
        training : bool
            Additive uniform noise (``True``, needs ``key``) or rounding (``False``).
        key : jax.Array, optional
            PRNG key of the noise.
        quantizer : str
            While training: ``"noise"`` (the paper's: rate and decoder both see ``y + u``) or
            ``"mixed"`` (the rate sees ``y + u``, the decoder the rounded latent, see Notes).

        Notes
        -----
        ``"mixed"`` (Minnen & Singh, "Channel-wise autoregressive entropy models for learned
        image compression", ICIP 2020, sec. 3): the decoder ``g_s`` is trained on the values it
        will get at test time, ``round(y - m) + m``, with a straight-through gradient
        (``y + stop_gradient(round(y - m) + m - y)``: the rounding passes gradients unchanged),
        while the rate term keeps the noisy ``y + u``, whose density is smooth.  It removes the
        mismatch between training (noise) and coding (rounding) on the decoder side.
        """
        if quantizer not in ("noise", "mixed"):
            raise ValueError(f"quantizer={quantizer!r} must be 'noise' or 'mixed'")
        y = self.g_a(x)  # (B, H/16, W/16, M)
        y_hat, likelihoods = self.entropy_bottleneck(y, training=training, key=key)  # (B, H/16, W/16, M)
        if training and quantizer == "mixed":
            m = self.entropy_bottleneck.medians()  # (M,)
            y_dec = y + jax.lax.stop_gradient(jnp.round(y - m) + m - y)  # rounded; gradient of the identity
        else:
            y_dec = y_hat
        x_hat = self.g_s(y_dec)  # (B, H, W, 3)
        return ForwardOutput(x_hat=x_hat, likelihoods=likelihoods, y_hat=y_dec)


class CAE(nnx.Module):
    """Plain convolutional autoencoder: 3 x [conv stride 2 + ReLU] each way, no entropy model.

    The encoder ends in a sigmoid so that its latent lies in ``[0, 1]`` and can be quantized to
    8 bits (``round(255 z)``); the decoder up-samples with sub-pixel convolutions and ends in a
    sigmoid so that ``x_hat`` is in ``[0, 1]``.  An ``H x W`` image gives an
    ``H/8 x W/8 x channels[-1]`` latent.

    Parameters
    ----------
    channels : tuple of int
        Output channels of the three encoder convolutions (the decoder mirrors them).
    rngs : nnx.Rngs
        Initialisation.

    Examples
    --------
    >>> cae = CAE((8, 8, 8), rngs=nnx.Rngs(0))
    >>> z = jax.eval_shape(cae.encode, jax.ShapeDtypeStruct((1, 32, 32, 3), jnp.float32))  # shapes only
    >>> z.shape, jax.eval_shape(cae.decode, z).shape
    ((1, 4, 4, 8), (1, 32, 32, 3))
    """

    def __init__(self, channels: tuple[int, int, int] = (32, 64, 16), *, rngs: nnx.Rngs):
        c1, c2, c3 = channels
        self.encoder = nnx.List([conv_down(3, c1, rngs=rngs), conv_down(c1, c2, rngs=rngs),
                                 conv_down(c2, c3, rngs=rngs)])
        self.decoder = nnx.List([SubPixelConv(c3, c2, rngs=rngs), SubPixelConv(c2, c1, rngs=rngs),
                                 SubPixelConv(c1, 3, rngs=rngs)])

    def encode(self, x: jax.Array) -> jax.Array:
        """``(B, H, W, 3)`` in ``[0, 1]`` -> latent ``(B, H/8, W/8, c3)`` in ``[0, 1]``."""
        for k, conv in enumerate(self.encoder):
            x = conv(x)  # (B, H/2^(k+1), W/2^(k+1), c_k)
            x = jax.nn.relu(x) if k < len(self.encoder) - 1 else jax.nn.sigmoid(x)
        return x

    def decode(self, z: jax.Array) -> jax.Array:
        """Latent ``(B, h, w, c3)`` -> image ``(B, 8h, 8w, 3)`` in ``[0, 1]``."""
        for k, up in enumerate(self.decoder):
            z = up(z)  # (B, 2^(k+1) h, 2^(k+1) w, c)
            z = jax.nn.relu(z) if k < len(self.decoder) - 1 else jax.nn.sigmoid(z)
        return z

    def __call__(self, x: jax.Array, *, quantize: bool = False) -> jax.Array:
        """Reconstruct ``x``; with ``quantize`` the latent is rounded to 8 bits (straight-through)."""
        z = self.encode(x)  # (B, H/8, W/8, c3)
        if quantize:
            z = z + jax.lax.stop_gradient(jnp.round(z * 255.0) / 255.0 - z)  # 8-bit, identity gradient
        return self.decode(z)  # (B, H, W, 3)


# ---- module state <-> flat arrays (checkpoints and weight files) ----


def _host(x) -> np.ndarray:
    # addressable_data(0): a replicated array's local copy, also on a multi-host mesh
    return np.asarray(x.addressable_data(0)) if isinstance(x, jax.Array) else np.asarray(x)


def state_arrays(module: nnx.Module, prefix: str = "") -> dict[str, np.ndarray]:
    """The state of ``module`` as ``{prefix + "/"-joined path: numpy array}`` (for ``np.savez``).

    Paths are the keys of ``nnx.to_pure_dict(nnx.state(module))``, e.g. ``"g_a/layers/0/kernel"``.

    Examples
    --------
    >>> arrays = state_arrays(FactorizedPrior(ModelConfig(N=8, M=8), rngs=nnx.Rngs(0)), "model/")
    >>> arrays["model/g_a/layers/0/kernel"].shape
    (5, 5, 3, 8)
    """
    leaves = jax.tree_util.tree_flatten_with_path(nnx.to_pure_dict(nnx.state(module)))[0]
    return {prefix + "/".join(str(k.key) for k in path): _host(v) for path, v in leaves}


def inference_arrays(module: nnx.Module, prefix: str = "param/") -> dict[str, np.ndarray]:
    """:func:`state_arrays` for a shipped inference file: convolution kernels as float16, the rest float32.

    Kernels are 97% of the parameters (886,208 of 916,364 at N=64, M=96); rounding them to
    float16 (11 significant bits) halves the file and changed Kodak PSNR by +0.001 dB and the
    rate by +0.001% when measured on the q3 weights.  Small parameters (biases, GDN, the
    density model) stay float32.  Readers cast back to float32 (:func:`load_arrays`), so the
    encoder and the decoder run the same numbers.

    Examples
    --------
    >>> arrays = inference_arrays(FactorizedPrior(ModelConfig(N=8, M=8), rngs=nnx.Rngs(0)))
    >>> arrays["param/g_a/layers/0/kernel"].dtype, arrays["param/g_a/layers/0/bias"].dtype
    (dtype('float16'), dtype('float32'))
    """
    return {k: v.astype(np.float16 if k.endswith("/kernel") else np.float32)
            for k, v in state_arrays(module, prefix).items()}


def load_arrays(module: nnx.Module, arrays, prefix: str = "") -> None:
    """Set the state of ``module`` from arrays written by :func:`state_arrays` (in place, ``nnx.update``).

    Raises ``ValueError`` naming the first missing or mis-shaped entry.
    """
    state = nnx.state(module)

    def fill(path, old):
        name = prefix + "/".join(str(k.key) for k in path)
        if name not in arrays:
            raise ValueError(f"no array {name!r}: were these weights written for another model size?")
        new = np.asarray(arrays[name])
        if new.shape != np.shape(old):
            raise ValueError(f"{name}: stored shape {new.shape}, model shape {np.shape(old)}")
        return jnp.asarray(new, dtype=old.dtype)

    nnx.replace_by_pure_dict(state, jax.tree_util.tree_map_with_path(fill, nnx.to_pure_dict(state)))
    nnx.update(module, state)


def write_weights_file(path, arrays: dict, meta: dict) -> None:
    """Write an inference file: ``arrays`` plus ``meta`` (as JSON), compressed ``.npz``, atomically.

    The file is written to ``<path>.tmp`` and renamed, so a reader never sees half a file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays, meta=np.array(json.dumps(meta)))
    os.replace(tmp, path)


def read_weights_file(path) -> tuple[dict, dict, str]:
    """``(arrays, meta, digest)`` of a file written by :func:`write_weights_file` (cached per path and mtime).

    ``digest`` is the first 16 hex digits of the file's SHA-256: codecs write it into every
    stream, so a stream only decodes with the exact file that wrote it.
    """
    path = Path(path)
    return _read_weights_file(str(path.resolve()), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _read_weights_file(path: str, mtime_ns: int):
    raw = Path(path).read_bytes()
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop("meta")))
    return arrays, meta, hashlib.sha256(raw).hexdigest()[:16]
