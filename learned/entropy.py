"""The fully factorized density model of the latents, and its integer CDF tables.

What it does
    * :class:`EntropyBottleneck` -- the "fully factorized" prior of Ballé et al., "Variational
      image compression with a scale hyperprior", ICLR 2018 (arXiv:1802.01436), appendix 6.1:
      one learned, flexible, univariate density per latent channel, convolved with a unit
      uniform so that it models both the noisy latent ``y + u`` (training) and the rounded
      latent ``round(y)`` (test) (Ballé et al. 2017, arXiv:1611.01704, sec. 2 and appendix 6.2);
    * :class:`CDFTables` and :meth:`EntropyBottleneck.cdf_tables` -- the integer cumulative
      frequency tables (16-bit precision) that the rANS coder of :mod:`classical.ans` uses.

The density
    For each channel, a cumulative :math:`c(x) = \\sigma(f_K \\circ \\cdots \\circ f_1 (x))`
    is composed of ``K = len(filters) + 1`` vector functions (eq. 7-8 of appendix 6.1)

    .. math::

        f_k(x) = g_k(H^{(k)} x + b^{(k)}),\\qquad
        g_k(x) = x + a^{(k)} \\odot \\tanh(x)\\ (k < K),\\qquad g_K = \\text{identity}

    with :math:`H^{(k)} = \\operatorname{softplus}(\\hat H^{(k)})` (positive entries, hence
    monotone), :math:`a^{(k)} = \\tanh(\\hat a^{(k)})` (in (-1, 1), hence :math:`g_k` stays
    monotone) and free biases :math:`b^{(k)}`.  Widths: ``1 -> 3 -> 3 -> 3 -> 1``
    (``filters=(3, 3, 3)``).  The likelihood of a latent value is the mass of a unit bin,

    .. math::

        p(\\tilde y) = c(\\tilde y + \\tfrac12) - c(\\tilde y - \\tfrac12),

    computed with the "sign trick" (subtracting sigmoids on the side where they are far from 1,
    where float32 keeps precision) and bounded below by ``likelihood_bound = 1e-9`` so that
    ``-log2 p`` stays finite.

Training vs test
    Training replaces rounding by additive uniform noise ``U(-1/2, 1/2)`` (differentiable, and
    its density is exactly the one above); test time rounds *around the per-channel median*
    ``m``: ``y_hat = round(y - m) + m`` (CompressAI's ``"dequantize"`` mode).  The medians are
    found by bisection of :math:`c(x) = 1/2` whenever they are needed (no auxiliary loss:
    CompressAI learns them as extra "quantile" parameters with an auxiliary optimizer; we
    simply solve for them).

Integer tables (what makes decoding portable)
    :meth:`EntropyBottleneck.cdf_tables` evaluates the trained density ONCE, in float64 on the
    host, over each channel's support ``[m + tail_lo, m + tail_hi]`` (the ``tail_mass/2`` and
    ``1 - tail_mass/2`` quantiles, ``tail_mass = 1e-9``), adds one *escape* symbol carrying the
    remaining mass, and quantizes every pmf to integer frequencies that are all ``>= 1`` and sum
    to ``2**precision``.  The tables are stored with the weights.  Encoder and decoder then use
    only these integers, so a stream decodes to the same symbols on every machine; no float is
    recomputed at decode time.

Not done here: hyperprior / Gaussian conditionals, learned quantile parameters, or the
bitstream itself (:mod:`learned.codec`).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from learned.layers import lower_bound

__all__ = ["CDFTables", "EntropyBottleneck", "pmf_to_cdf"]


@dataclass(frozen=True, eq=False)
class CDFTables:
    """Integer CDF tables of a factorized prior, one row per latent channel.

    Symbol ``s`` of channel ``c`` (``0 <= s < L``) stands for the rounded latent
    ``q = s + offsets[c]`` (relative to the channel's median, ``y_hat = q + medians[c]``);
    symbol ``L`` is the escape symbol for a ``q`` outside ``[offsets[c], offsets[c] + L)``.

    Attributes
    ----------
    cdf : numpy.ndarray
        ``int32`` of shape ``(C, L + 2)``: ``cdf[c, 0] = 0``, ``cdf[c, -1] = 2**precision``,
        frequencies ``cdf[c, s + 1] - cdf[c, s] >= 1``.
    offsets : numpy.ndarray
        ``int32`` of shape ``(C,)``: the ``q`` coded by symbol 0.
    medians : numpy.ndarray
        ``float32`` of shape ``(C,)``: the rounding centres.
    precision : int
        ``log2`` of the frequency total.
    """

    cdf: np.ndarray
    offsets: np.ndarray
    medians: np.ndarray
    precision: int = 16

    @property
    def escape(self) -> int:
        """The escape symbol ``L`` (same for every channel)."""
        return self.cdf.shape[1] - 2


# ---- the density model ----


class EntropyBottleneck(nnx.Module):
    """Fully factorized prior over the ``C`` channels of a latent ``y`` (Ballé et al. 2018, app. 6.1).

    Parameters
    ----------
    channels : int
        Number of latent channels ``C`` (last axis of ``y``).
    rngs : nnx.Rngs
        Initialises the biases (uniform in ``[-1/2, 1/2]``, as CompressAI).
    filters : tuple of int
        Widths of the hidden layers of the per-channel cumulative (``(3, 3, 3)`` in the paper).
    init_scale : float
        Initial spread of the density: the composed functions start as a ramp of slope
        ``~1 / init_scale``.
    likelihood_bound : float
        Smallest likelihood returned (keeps ``-log2 p`` finite).
    tail_mass : float
        Probability left outside the support of the integer tables (both tails together).

    Examples
    --------
    >>> eb = EntropyBottleneck(2, rngs=nnx.Rngs(0))
    >>> y_hat, likelihoods = eb(jnp.zeros((1, 4, 4, 2)), training=False)
    >>> y_hat.shape, bool((likelihoods > 0).all() & (likelihoods <= 1).all())
    ((1, 4, 4, 2), True)
    """

    def __init__(self, channels: int, *, rngs: nnx.Rngs, filters: tuple[int, ...] = (3, 3, 3),
                 init_scale: float = 10.0, likelihood_bound: float = 1e-9, tail_mass: float = 1e-9):
        self.channels = channels
        self.filters = tuple(filters)
        self.likelihood_bound = likelihood_bound
        self.tail_mass = tail_mass
        widths = (1, *self.filters, 1)
        scale = init_scale ** (1.0 / (len(self.filters) + 1))
        matrices, biases, factors = [], [], []
        for k in range(len(self.filters) + 1):
            init = np.log(np.expm1(1.0 / scale / widths[k + 1]))  # softplus^-1 of the initial slope
            matrices.append(nnx.Param(jnp.full((channels, widths[k + 1], widths[k]), init, jnp.float32)))
            biases.append(nnx.Param(jax.random.uniform(rngs.params(), (channels, widths[k + 1], 1),
                                                       jnp.float32, -0.5, 0.5)))
            if k < len(self.filters):
                factors.append(nnx.Param(jnp.zeros((channels, widths[k + 1], 1), jnp.float32)))
        self.matrices = nnx.List(matrices)
        self.biases = nnx.List(biases)
        self.factors = nnx.List(factors)

    def logits_cumulative(self, x: jax.Array) -> jax.Array:
        """``logit(c(x))`` for every channel; ``x`` and the result have shape ``(C, 1, N)``."""
        logits = x  # (C, 1, N)
        for k in range(len(self.filters) + 1):
            logits = jax.nn.softplus(self.matrices[k][...]) @ logits  # (C, f_{k+1}, N)
            logits = logits + self.biases[k][...]  # (C, f_{k+1}, N)
            if k < len(self.filters):
                logits = logits + jnp.tanh(self.factors[k][...]) * jnp.tanh(logits)  # (C, f_{k+1}, N)
        return logits  # (C, 1, N)

    def _bin_mass(self, x: jax.Array) -> jax.Array:
        """``c(x + 1/2) - c(x - 1/2)`` for ``x`` of shape ``(C, 1, N)``, without the lower bound."""
        lower = self.logits_cumulative(x - 0.5)  # (C, 1, N)
        upper = self.logits_cumulative(x + 0.5)  # (C, 1, N)
        # Sign trick: if both logits are large, 1 - sigmoid loses precision; flip to the left tail.
        sign = jax.lax.stop_gradient(-jnp.sign(lower + upper))
        return jnp.abs(jax.nn.sigmoid(sign * upper) - jax.nn.sigmoid(sign * lower))  # (C, 1, N)

    def likelihood(self, y: jax.Array) -> jax.Array:
        """Likelihood of each element of ``y`` (``(..., C)``) under its channel's density, ``>= 1e-9``."""
        shape = y.shape
        x = y.reshape(-1, self.channels).T[:, None, :]  # (C, 1, N)
        p = lower_bound(self._bin_mass(x), self.likelihood_bound)  # (C, 1, N)
        return p[:, 0, :].T.reshape(shape)  # (..., C)

    def quantiles(self, probs, *, radius: float = 2.0 ** 12, iterations: int = 48) -> jax.Array:
        """Solve ``c(x) = p`` per channel by bisection on ``[-radius, radius]``; shape ``(C, len(probs))``.

        ``c`` is monotone by construction, so bisection on the logit converges; 48 halvings of
        ``2 * radius = 2**13`` reach ``2**-35``, below float32 resolution.
        """
        probs = np.asarray(probs, np.float64)  # concrete: 1 - 5e-10 is 1.0 in float32
        target = jnp.asarray(np.log(probs) - np.log1p(-probs), jnp.float32)  # logit(p), (P,)
        lo = jnp.full((self.channels, probs.shape[0]), -radius, jnp.float32)  # (C, P)
        hi = -lo  # (C, P)

        def halve(_, bounds):
            lo, hi = bounds
            mid = 0.5 * (lo + hi)  # (C, P)
            below = self.logits_cumulative(mid[:, None, :])[:, 0, :] < target  # (C, P)
            return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

        lo, hi = jax.lax.fori_loop(0, iterations, halve, (lo, hi))
        return jax.lax.stop_gradient(0.5 * (lo + hi))  # (C, P)

    def medians(self) -> jax.Array:
        """The per-channel medians ``c^{-1}(1/2)``, shape ``(C,)``."""
        return self.quantiles([0.5])[:, 0]

    def __call__(self, y: jax.Array, *, training: bool, key: jax.Array | None = None):
        """Quantize ``y`` (noise if ``training`` else rounding around the medians) and rate it.

        Parameters
        ----------
        y : jax.Array
            Latent, shape ``(B, h, w, C)``.
        training : bool
            ``True``: ``y_hat = y + u``, ``u ~ U(-1/2, 1/2)`` (needs ``key``);
            ``False``: ``y_hat = round(y - m) + m``.
        key : jax.Array, optional
            PRNG key for the noise.

        Returns
        -------
        y_hat : jax.Array
            Quantized (or noisy) latent, shape ``(B, h, w, C)``.
        likelihoods : jax.Array
            ``p(y_hat)``, same shape; the rate is ``sum(-log2 likelihoods)`` bits.
        """
        if training:
            if key is None:
                raise ValueError("training=True needs a PRNG key for the uniform noise")
            y_hat = y + jax.random.uniform(key, y.shape, y.dtype, -0.5, 0.5)  # (B, h, w, C)
        else:
            m = self.medians()  # (C,)
            y_hat = jnp.round(y - m) + m  # (B, h, w, C)
        return y_hat, self.likelihood(y_hat)

    def cdf_tables(self, *, precision: int = 16, max_symbols: int = 4096) -> CDFTables:
        """Compute the integer tables once from the (trained) density; see the module docstring.

        All channels share one alphabet of ``L`` in-range symbols plus the escape symbol: ``L``
        is the widest channel's support (at most ``max_symbols``), and narrower supports are
        widened symmetrically, which costs at most ``L / 2**precision`` of probability mass.

        Examples
        --------
        >>> t = EntropyBottleneck(3, rngs=nnx.Rngs(0)).cdf_tables()
        >>> t.cdf.shape[0], int(t.cdf[0, -1]), bool((np.diff(t.cdf, axis=1) >= 1).all())
        (3, 65536, True)
        """
        if not 1 <= max_symbols < (1 << precision) // 2:
            raise ValueError(f"max_symbols={max_symbols} must be in [1, {(1 << precision) // 2})")
        q = np.asarray(self.quantiles([self.tail_mass / 2, 0.5, 1 - self.tail_mass / 2]), np.float64)  # (C, 3)
        medians = q[:, 1].astype(np.float32)  # (C,)
        q_lo = np.floor(q[:, 0] - medians).astype(np.int64)  # (C,)
        q_hi = np.ceil(q[:, 2] - medians).astype(np.int64)  # (C,)
        length = int(min(max_symbols, max(1, (q_hi - q_lo + 1).max())))
        centre = (q_lo + q_hi) // 2  # (C,)
        offsets = np.clip(centre - (length - 1) // 2, -(1 << 30), 1 << 30).astype(np.int32)  # (C,)
        samples = medians[:, None] + offsets[:, None] + np.arange(length)[None, :]  # (C, L)
        mass = np.asarray(self._bin_mass(jnp.asarray(samples, jnp.float32)[:, None, :]),
                          np.float64)[:, 0, :]  # (C, L)
        escape = np.clip(1.0 - mass.sum(axis=1, keepdims=True), 0.0, None)  # (C, 1)
        pmf = np.concatenate([mass, escape], axis=1)  # (C, L + 1)
        cdf = np.stack([pmf_to_cdf(row, precision) for row in pmf]).astype(np.int32)  # (C, L + 2)
        return CDFTables(cdf=cdf, offsets=offsets, medians=medians, precision=precision)


# ---- pmf -> integer cdf ----


def pmf_to_cdf(pmf, precision: int = 16) -> np.ndarray:
    """Quantize a pmf to an integer CDF whose every frequency is ``>= 1`` and whose total is ``2**precision``.

    Symbols with ``p * 2**precision < 1`` get exactly 1 count; the others share the remaining
    counts in proportion to ``p`` (rounded down, repeated if that pushes one below 1), and the
    last few counts go one each to the largest fractional parts (ties: lowest symbol first).
    So rare symbols stay codable (at most ``precision`` bits each) while the probable ones
    keep their probabilities to within a count.  Deterministic.

    Parameters
    ----------
    pmf : array_like
        ``n`` non-negative floats (``1 <= n <= 2**precision``); need not sum to 1.
    precision : int
        Bits of the total.

    Returns
    -------
    numpy.ndarray
        ``int64`` of shape ``(n + 1,)``, from 0 to ``2**precision``.

    Examples
    --------
    >>> pmf_to_cdf([0.5, 0.25, 0.25, 0.0], precision=4).tolist()
    [0, 7, 11, 15, 16]
    """
    pmf = np.asarray(pmf, np.float64)
    total = 1 << precision
    n = pmf.shape[0]
    if not 1 <= n <= total:
        raise ValueError(f"alphabet of {n} symbols does not fit a total of 2**{precision}")
    if not np.isfinite(pmf).all() or (pmf < 0).any():
        raise ValueError("pmf must be finite and non-negative")
    s = pmf.sum()
    pmf = pmf / s if s > 0 else np.full(n, 1.0 / n)
    ones = pmf * total < 1  # symbols that get the minimum count
    while True:
        budget = total - int(ones.sum())
        scaled = np.where(ones, 0.0, pmf) / max(pmf[~ones].sum(), 1e-300) * budget
        freq = np.where(ones, 1, np.floor(scaled)).astype(np.int64)
        if (freq >= 1).all():
            break
        ones |= freq < 1
    missing = total - int(freq.sum())  # 0 <= missing < number of non-minimum symbols
    order = np.argsort(-np.where(ones, -1.0, scaled - np.floor(scaled)), kind="stable")
    freq[order[:missing]] += 1
    assert freq.sum() == total and (freq >= 1).all()
    return np.concatenate([[0], np.cumsum(freq)])
