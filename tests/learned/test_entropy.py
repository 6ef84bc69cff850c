"""The factorized density model and its integer CDF tables."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from hypothesis import given, settings
from hypothesis import strategies as st

from learned.entropy import EntropyBottleneck, pmf_to_cdf


@pytest.fixture(scope="module")
def eb():
    model = EntropyBottleneck(4, rngs=nnx.Rngs(1))
    rng = np.random.default_rng(0)  # random, non-trivial parameters: the properties hold for any
    for group in (model.matrices, model.biases, model.factors):
        for p in group:
            p[...] = p[...] + jnp.asarray(rng.normal(scale=0.3, size=p.shape), jnp.float32)
    return model


def test_cdf_is_monotone(eb):
    x = jnp.tile(jnp.linspace(-60, 60, 2001)[None, None, :], (4, 1, 1))  # (C, 1, N)
    c = np.asarray(jax.nn.sigmoid(eb.logits_cumulative(x)))[:, 0, :]
    assert (np.diff(c, axis=1) >= 0).all()
    assert (c >= 0).all() and (c <= 1).all() and (c[:, -1] > c[:, 0]).all()


def test_likelihoods_over_the_support_sum_to_one(eb):
    m = np.asarray(eb.medians())
    y = m[None, :] + np.arange(-200, 201)[:, None]  # integer grid around each median, (401, C)
    p = np.asarray(eb.likelihood(jnp.asarray(y, jnp.float32)))
    np.testing.assert_allclose(p.sum(axis=0), 1.0, atol=1e-4)


def test_medians_solve_half(eb):
    m = eb.medians()
    c = jax.nn.sigmoid(eb.logits_cumulative(m[:, None, None]))
    np.testing.assert_allclose(np.asarray(c).ravel(), 0.5, atol=1e-4)


def test_noise_and_rounding(eb):
    y = jnp.asarray(np.random.default_rng(2).normal(scale=3, size=(2, 5, 5, 4)), jnp.float32)
    y_tilde, lik = eb(y, training=True, key=jax.random.key(0))
    assert np.abs(np.asarray(y_tilde - y)).max() <= 0.5
    assert (np.asarray(lik) >= 1e-9).all() and (np.asarray(lik) <= 1).all()
    y_hat, _ = eb(y, training=False)
    q = np.asarray(y_hat) - np.asarray(eb.medians())
    np.testing.assert_allclose(q, np.round(q), atol=1e-4)  # integers around the medians
    with pytest.raises(ValueError, match="key"):
        eb(y, training=True)


def test_tables_are_valid(eb):
    t = eb.cdf_tables(precision=16)
    freq = np.diff(t.cdf, axis=1)
    assert t.cdf.dtype == np.int32 and t.cdf.shape[0] == 4
    assert (t.cdf[:, 0] == 0).all() and (t.cdf[:, -1] == 1 << 16).all()
    assert (freq >= 1).all()
    assert t.escape == t.cdf.shape[1] - 2
    # the table's probabilities are close to the model's where mass is large
    s = np.arange(t.escape)
    p_model = np.asarray(eb.likelihood(jnp.asarray(t.medians[None, :] + t.offsets[None, :] + s[:, None],
                                                    jnp.float32))).T  # (C, L)
    np.testing.assert_allclose(freq[:, :-1] / 65536, p_model, rtol=0.01, atol=2 / 65536)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=300), st.integers(9, 16))
def test_pmf_to_cdf_properties(pmf, precision):
    cdf = pmf_to_cdf(pmf, precision)
    freq = np.diff(cdf)
    assert cdf[0] == 0 and cdf[-1] == 1 << precision
    assert (freq >= 1).all() and len(freq) == len(pmf)


def test_pmf_to_cdf_rejects_bad_input():
    with pytest.raises(ValueError, match="alphabet"):
        pmf_to_cdf(np.ones(20), precision=4)
    with pytest.raises(ValueError, match="non-negative"):
        pmf_to_cdf([0.5, -0.1])
