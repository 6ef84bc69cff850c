"""GDN / IGDN, the non-negative reparametrization and the up/down-sampling layers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from learned.layers import (
    GDN,
    NonNegative,
    SubPixelConv,
    conv_down,
    conv_up_transpose,
    depth_to_space,
    lower_bound,
)


@pytest.mark.parametrize("inverse", [False, True])
def test_gdn_shape_and_formula(inverse):
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(2, 3, 5, 4)), jnp.float32)
    gdn = GDN(4, inverse=inverse)
    y = gdn(x)
    assert y.shape == x.shape
    norm = np.asarray(gdn.beta) + np.einsum("bhwj,ij->bhwi", np.asarray(x) ** 2, np.asarray(gdn.gamma))
    ref = np.asarray(x) * (np.sqrt(norm) if inverse else 1 / np.sqrt(norm))
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-5)


def test_gdn_initial_values():
    gdn = GDN(3)
    np.testing.assert_allclose(np.asarray(gdn.beta), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(gdn.gamma), 0.1 * np.eye(3), atol=1e-6)


def test_reparametrized_params_stay_positive():
    gdn = GDN(3, beta_min=1e-6)
    gdn.beta_reparam[...] = -jnp.ones(3)  # an optimizer drove the free variables negative
    gdn.gamma_reparam[...] = -jnp.ones((3, 3))
    assert (np.asarray(gdn.beta) >= 1e-6 * 0.999).all()
    assert (np.asarray(gdn.gamma) >= 0).all()
    assert np.isfinite(np.asarray(gdn(jnp.ones((1, 2, 2, 3))))).all()


def test_nonnegative_round_trip():
    nn = NonNegative(minimum=0.0)
    p = jnp.array([0.0, 1e-3, 0.5, 7.0])
    np.testing.assert_allclose(np.asarray(nn(nn.init(p))), np.asarray(p), atol=1e-7)


def test_lower_bound_gradient_leaves_the_bound():
    # below the bound: a loss that wants x larger gets a gradient, one that wants it smaller does not
    assert float(jax.grad(lambda x: -lower_bound(x, 1.0))(-3.0)) == -1.0
    assert float(jax.grad(lambda x: lower_bound(x, 1.0))(-3.0)) == 0.0
    assert float(jax.grad(lambda x: lower_bound(x, 1.0))(3.0)) == 1.0


def test_depth_to_space_matches_pixel_shuffle():
    r, c = 2, 3
    x = np.arange(1 * 2 * 3 * c * r * r, dtype=np.float32).reshape(1, 2, 3, c * r * r)
    y = np.asarray(depth_to_space(jnp.asarray(x), r))
    assert y.shape == (1, 4, 6, c)
    for h in range(4):
        for w in range(6):
            for k in range(c):  # PyTorch PixelShuffle: in channel k*r*r + i*r + j -> out (h*r+i, w*r+j)
                assert y[0, h, w, k] == x[0, h // r, w // r, k * r * r + (h % r) * r + (w % r)]


@pytest.mark.parametrize("h,w", [(16, 16), (17, 9), (1, 1)])
def test_conv_down_halves_rounding_up(h, w):
    y = conv_down(3, 4, rngs=nnx.Rngs(0))(jnp.zeros((1, h, w, 3)))
    assert y.shape == (1, -(-h // 2), -(-w // 2), 4)


@pytest.mark.parametrize("layer", [SubPixelConv, conv_up_transpose])
def test_upsampling_doubles(layer):
    assert layer(4, 3, rngs=nnx.Rngs(0))(jnp.zeros((2, 3, 5, 4))).shape == (2, 6, 10, 3)
