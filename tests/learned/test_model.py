"""Shapes and configuration of the factorized-prior model and the plain CAE."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from learned.model import CAE, FactorizedPrior, ModelConfig


@pytest.mark.parametrize("upsample", ["subpixel", "transpose"])
def test_factorized_prior_shapes(upsample):
    model = FactorizedPrior(ModelConfig(N=8, M=8, upsample=upsample), rngs=nnx.Rngs(0))
    x = jax.ShapeDtypeStruct((2, 32, 48, 3), jnp.float32)
    out = jax.eval_shape(lambda x: model(x, training=True, key=jax.random.key(0)), x)  # traced, not run
    assert out.x_hat.shape == x.shape
    assert out.likelihoods.shape == out.y_hat.shape == (2, 2, 3, 8)


def test_model_config_validation():
    with pytest.raises(ValueError, match="upsample"):
        ModelConfig(upsample="bilinear")
    with pytest.raises(ValueError, match="N=0"):
        ModelConfig(N=0)


def test_cae_latent_is_8bit_ready():
    cae = CAE((8, 8, 8), rngs=nnx.Rngs(0))
    x = jnp.asarray(np.random.default_rng(0).random((1, 24, 16, 3)), jnp.float32)
    z = nnx.jit(CAE.encode)(cae, x)
    assert z.shape == (1, 3, 2, 8)
    assert (np.asarray(z) >= 0).all() and (np.asarray(z) <= 1).all()
    x_hat = nnx.jit(lambda m, x: m(x, quantize=True))(cae, x)
    assert x_hat.shape == x.shape
    expected = nnx.jit(CAE.decode)(cae, jnp.round(z * 255) / 255)
    np.testing.assert_allclose(np.asarray(x_hat), np.asarray(expected), atol=1e-6)


def test_mixed_quantizer_decodes_rounded_latent_with_straight_through_gradient():
    """quantizer="mixed": g_s sees round(y - m) + m exactly, the rate the noisy y, and g_a still gets gradients."""
    model = FactorizedPrior(ModelConfig(N=8, M=8), rngs=nnx.Rngs(0))
    x = jax.random.uniform(jax.random.key(1), (2, 32, 32, 3))
    key = jax.random.key(2)
    mixed = model(x, training=True, key=key, quantizer="mixed")
    noise = model(x, training=True, key=key, quantizer="noise")
    m = model.entropy_bottleneck.medians()
    y = model.g_a(x)
    np.testing.assert_allclose(np.asarray(mixed.y_hat), np.asarray(jnp.round(y - m) + m), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(mixed.likelihoods), np.asarray(noise.likelihoods))  # same noisy rate
    assert not np.allclose(np.asarray(mixed.x_hat), np.asarray(noise.x_hat))

    def distortion(model):
        return jnp.mean((model(x, training=True, key=key, quantizer="mixed").x_hat - x) ** 2)

    grads = nnx.grad(distortion)(model)
    g = np.asarray(grads["g_a"]["layers"][0]["kernel"][...])
    assert np.isfinite(g).all() and np.abs(g).max() > 0  # the rounding did not cut the encoder off
    with pytest.raises(ValueError, match="quantizer"):
        model(x, training=True, key=key, quantizer="round")
