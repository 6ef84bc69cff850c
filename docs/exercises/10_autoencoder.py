# %% [markdown]
# # Exercise 10: training a tiny learned codec
#
# Page: `docs/exercises/10_autoencoder.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/10_autoencoder.py
#
# Compared with `learned.train.loss_fn` and `learned.train.train_step` on a tiny
# `learned.model.FactorizedPrior` (N = M = 8) and a 2 x 32 x 32 batch: a few seconds
# on a CPU, no long training.
#
# Replace each `raise NotImplementedError(...)` below with your code.  Run the file
# (or its cells, in Jupyter or VS Code) to try it, then grade it.

# %%
# ruff: noqa: N999 (NN_ file names give the course order)
import jax
import jax.numpy as jnp
from flax import nnx

# %% [markdown]
# ## 1. The rate term
#
# The entropy model gives a likelihood $p(\tilde y)$ for every latent element; the
# estimated rate is $\sum -\log_2 p$ bits, divided by the number of PIXELS of the
# batch ($B H W$, not $B H W \cdot 3$).

# %%
def bpp_from_likelihoods(likelihoods, num_pixels):
    """Estimated bits per pixel: sum(-log2 p) / num_pixels."""
    raise NotImplementedError('exercise 10: write bpp_from_likelihoods')


# %% [markdown]
# ## 2. The rate-distortion loss
#
# $L = \lambda \cdot 255^2 \cdot \mathrm{MSE}(x, \hat x) + \mathrm{bpp}$, with images in
# $[0, 1]$ (CompressAI's convention).  `model(x, training=True, key=key)` returns
# `x_hat`, `likelihoods` and `y_hat` (training adds uniform noise to the latent).

# %%
def rd_loss(model, x, key, lmbda):
    """(loss, (bpp, mse)) of a batch x (B, H, W, 3) in [0, 1]."""
    raise NotImplementedError('exercise 10: write rd_loss')


# %% [markdown]
# ## 3. Rounding that trains: the straight-through estimator
#
# `round` has zero gradient almost everywhere.  The straight-through trick uses the
# rounded value forward and the identity backward:
# $z + \mathrm{stop\_gradient}(\mathrm{round}(255 z)/255 - z)$.

# %%
def quantize_ste(z):
    """8-bit rounding of z in [0, 1] with an identity gradient."""
    raise NotImplementedError('exercise 10: write quantize_ste')


# %% [markdown]
# ## 4. One optimizer step
#
# Scale the uint8 batch to [0, 1], take the value and gradient of `rd_loss` with
# `nnx.value_and_grad(..., has_aux=True)`, and apply `optimizer.update(model, grads)`.
# Return a dict with the `"loss"`, `"bpp"` and `"mse"`.

# %%
def train_step(model, optimizer, x_u8, key, lmbda):
    """One optimizer step on a uint8 batch (B, H, W, 3); returns {"loss", "bpp", "mse"}."""
    raise NotImplementedError('exercise 10: write train_step')


# %%
if __name__ == "__main__":
    import numpy as np
    import optax

    from learned.model import FactorizedPrior, ModelConfig

    model = FactorizedPrior(ModelConfig(N=8, M=8), rngs=nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adam(1e-3), wrt=nnx.Param)
    rng = np.random.default_rng(0)
    x_u8 = jnp.asarray(rng.integers(0, 256, (2, 32, 32, 3)), jnp.uint8)
    for step in range(5):
        out = train_step(model, optimizer, x_u8, jax.random.key(step), 0.0067)
        print(step, {k: round(float(v), 4) for k, v in out.items()})
