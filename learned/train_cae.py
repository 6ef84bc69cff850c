"""The steps of ``python -m learned.train --model cae``: the plain autoencoder, trained for MSE only.

The baseline of the thesis this course comes from (:class:`learned.model.CAE`): three stride-2
convolutions each way, a sigmoid latent quantized to 8 bits, no entropy model.  Its loss is the
distortion alone,

.. math::

    L = \\mathrm{MSE}(x, \\hat x),\\qquad \\hat x = \\mathrm{dec}\\big(Q_8(\\mathrm{enc}(x))\\big),
    \\qquad Q_8(z) = \\mathrm{round}(255 z) / 255,

with the MSE on images in ``[0, 1]`` and ``Q_8`` applied with a straight-through gradient
(``CAE.__call__(x, quantize=True)``: the forward pass rounds, the backward pass is the identity).
There is **no rate term**: nothing in the loss asks the latent to be cheap to code, which is
the point of the baseline (see ``docs/learned/cae.md``).

Everything else -- data, Adam with clipping and the step-down schedule, checkpoints, ``--resume``,
``--until``, ``--export`` -- is the loop of :mod:`learned.train`, which calls the two steps
below in place of its own.  Validation reports, for comparison with the factorized prior's
estimated rate, the **order-0 entropy** of each image's 8-bit latent symbols,

.. math::

    \\mathrm{bpp} \\approx \\frac{n}{HW} \\sum_{s=0}^{255} -p_s \\log_2 p_s,

``p_s`` the frequency of symbol ``s`` among the ``n = (H/8)(W/8) c_3`` symbols: a lower bound
on what a single static Huffman table (:mod:`learned.cae_codec`) pays, tables not counted.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from learned.model import CAE

__all__ = ["eval_step", "loss_fn", "train_step"]


def loss_fn(model: CAE, x: jax.Array):
    """Plain MSE of a batch ``x`` (``(B, H, W, 3)`` in ``[0, 1]``) through the 8-bit latent; ``(loss, mse)``."""
    x_hat = model(x, quantize=True)  # (B, H, W, 3), latent rounded to 8 bits (straight-through)
    mse = jnp.mean(jnp.square(x_hat - x))  # distortion D on [0, 1] images; no rate R at all
    return mse, mse


@nnx.jit
def train_step(model: CAE, optimizer: nnx.Optimizer, x_u8: jax.Array, key: jax.Array, lmbda: jax.Array) -> dict:
    """One Adam step on a ``uint8`` batch ``(B, H, W, 3)``; returns ``{"loss", "mse"}``.

    ``key`` and ``lmbda`` are unused (no noise, no rate term); they keep the signature of
    :func:`learned.train.train_step` so that one loop drives both models.
    """
    del key, lmbda
    x = x_u8.astype(jnp.float32) / 255.0  # (B, H, W, 3) in [0, 1]
    (loss, mse), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model, x)
    optimizer.update(model, grads)
    return {"loss": loss, "mse": mse}


@nnx.jit
def eval_step(model: CAE, x_u8: jax.Array):
    """Per-image order-0 entropy of the 8-bit latent in bpp ``(B,)`` and the ``uint8`` reconstruction."""
    x = x_u8.astype(jnp.float32) / 255.0  # (B, H, W, 3)
    z = model.encode(x)  # (B, H/8, W/8, c3) in [0, 1]
    symbols = jnp.round(z * 255.0).astype(jnp.int32).reshape(x.shape[0], -1)  # (B, n), as CAE(quantize=True)
    counts = jax.vmap(lambda s: jnp.bincount(s, length=256))(symbols)  # (B, 256)
    p = counts / symbols.shape[1]
    entropy = -jnp.sum(jnp.where(counts > 0, p * jnp.log2(jnp.where(counts > 0, p, 1.0)), 0.0), axis=1)  # (B,)
    bpp = entropy * symbols.shape[1] / (x.shape[1] * x.shape[2])  # bits per symbol x symbols per pixel
    x_hat = model.decode(symbols.reshape(z.shape).astype(jnp.float32) / 255.0)  # (B, H, W, 3)
    return bpp, jnp.round(jnp.clip(x_hat, 0.0, 1.0) * 255.0).astype(jnp.uint8)
