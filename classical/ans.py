"""rANS: range asymmetric numeral systems with static, per-context frequency tables.

An entropy coder that gets within a fraction of a percent of the ideal code length
``sum(-log2 p(s))`` for any probability tables, and that vectorizes: NumPy steps many
independent coders ("lanes") at once, one symbol of each lane per step.

What it does
    Codes a 1-D array of integer symbols. Symbol ``i`` is coded with the quantized
    table ``cdfs[contexts[i]]`` (a row of cumulative frequencies summing to
    ``M = 2**precision``, ``precision`` in 12..16). :func:`quantize_pmf` turns a
    probability vector into such a row; :func:`ideal_bits` gives the size to compare with.
What it does NOT do
    Adaptive tables, or storing the tables: ``cdfs``, ``contexts`` and the symbol
    count ``n`` are inputs to both :func:`encode` and :func:`decode` (the caller stores
    them, e.g. in a ``fundamentals.container`` header), so the stream holds only the lanes.

The coder is the byte-wise renormalizing rANS of Duda (2013) as written in
Giesen's ``rans_byte.h``: 32-bit state ``x`` with ``L = 2**23 <= x < 256 L``
between steps, one byte out (encoder) or in (decoder) at a time. Interleaving
follows Giesen (2014): lane ``j`` codes symbols ``j, j + lanes, j + 2 lanes, ...``
with its own state; all lanes share ONE byte stream, in which the encoder puts
every byte exactly where the decoder, stepping the lanes in order, will look for it.
Encoding runs backwards (rANS is last-in, first-out), so the decoder runs forwards.

Byte layout (all multi-byte integers little-endian)
---------------------------------------------------
=====================  ==========================================================
field                  meaning
=====================  ==========================================================
varint ``lanes``       number of interleaved coders, ``1 <= lanes <= max(1, n)``
``lanes`` x 4 bytes    ``x[j]``: lane ``j``'s final encoder state (= the decoder's
                       initial state), ``L <= x < 256 L``
rest                   renormalization bytes in decoder read order: for step
                       ``t = 0, 1, ...`` (symbols ``t*lanes .. t*lanes+lanes-1``),
                       round 1 = one byte for each lane that needs one (lane
                       order), round 2 = one more for each lane still below ``L``
=====================  ==========================================================

Varints are unsigned LEB128 (:mod:`fundamentals.bitio`). Each lane costs its 4-byte
state; since every lane starts from ``x = L`` (23 bits that carry no data), the net
overhead is about 3.5 bytes per lane, plus 1 to 3 bytes for ``lanes``. The default
lane count (:func:`auto_lanes`) keeps that small and still gives NumPy enough
lanes per step to be fast. A decoder that does not finish with every lane back at
``L`` and every byte read raises ``CorruptStreamError("final state mismatch")``.

References
----------
J. Duda, "Asymmetric numeral systems: entropy coding combining speed of Huffman
coding with compression rate of arithmetic coding", arXiv:1311.2540, 2013 (the range
variant, rANS).
F. Giesen, "Interleaved entropy coders", arXiv:1402.3392, 2014; and ``rans_byte.h``
in github.com/rygorous/ryg_rans (its "READ ME FIRST" traps: encode in reverse, the
output grows backwards).

Examples
--------
>>> import numpy as np
>>> cdf = quantize_pmf([0.5, 0.25, 0.25], precision=12)
>>> data = encode(np.array([0, 1, 0, 2, 0]), cdf)
>>> decode(data, cdf, None, 5).tolist()
[0, 1, 0, 2, 0]
"""

from __future__ import annotations

import numpy as np

from fundamentals.bitio import read_varint, write_varint
from fundamentals.errors import CorruptStreamError

__all__ = ["auto_lanes", "compress", "decode", "decompress", "encode", "ideal_bits", "quantize_pmf"]

#: Lower end of the normalized state interval: ``L <= x < 256 L`` between steps.
RANS_L = 1 << 23
#: Allowed table precisions (``M = 2**precision``).
MIN_PRECISION, MAX_PRECISION = 12, 16
#: Largest symbol count :func:`decode` accepts (checked before allocating).
MAX_SYMBOLS = 1 << 28
#: Longest input of :func:`compress` (64 MiB), so that a forged count can never
#: make :func:`decompress` allocate more than that.
MAX_BYTES = 1 << 26
#: :func:`auto_lanes` aims at this many NumPy steps for long inputs.
TARGET_STEPS = 4096
#: Above this many table entries, decoding uses ``searchsorted`` instead of a
#: ``(n_contexts, M)`` slot -> symbol table.
MAX_LOOKUP_ENTRIES = 1 << 22


# ---- public API ----


def compress(data: bytes, *, precision: int = 12) -> bytes:
    """Order-0 rANS of a byte string, with its frequency table stored in front.

    Inputs up to :data:`MAX_BYTES`.  Layout: varint ``n`` (bytes), 256 varints (the quantized frequency of each byte
    value; unused values get 0), then the :func:`encode` stream.  The table costs
    roughly 256 to 500 bytes, which is why rANS with a static table pays only on
    inputs of more than a few kilobytes.

    Examples
    --------
    >>> decompress(compress(b"abracadabra"))
    b'abracadabra'
    """
    symbols = np.frombuffer(bytes(data), np.uint8)
    if len(symbols) > MAX_BYTES:
        raise ValueError(f"input of {len(symbols)} bytes is over the limit of {MAX_BYTES}")
    counts = np.bincount(symbols, minlength=256)
    if not counts.any():
        counts[0] = 1  # empty input: any valid table will do
    cdf = quantize_pmf(counts / counts.sum(), precision, zero_unused=True)
    table = b"".join(write_varint(int(f)) for f in np.diff(cdf))
    return write_varint(len(symbols)) + table + encode(symbols, cdf)


def decompress(data: bytes) -> bytes:
    """Invert :func:`compress`.

    Raises
    ------
    CorruptStreamError
        Damaged table (frequencies not summing to a power of two in 2^12..2^16),
        implausible length, or a damaged rANS stream.
    """
    data = bytes(data)
    n, pos = read_varint(data, 0)
    freqs = []
    for _ in range(256):
        f, pos = read_varint(data, pos)
        freqs.append(f)
    total = sum(freqs)
    if total not in {1 << p for p in range(12, 17)}:
        raise CorruptStreamError(f"frequency table sums to {total}, not a power of two in 2^12..2^16")
    min_bits = -np.log2(max(freqs) / total)  # cheapest symbol's cost: bounds n by the stream length
    if n > MAX_BYTES or n * min_bits > 8 * len(data) + 64:
        raise CorruptStreamError(f"{n} symbols cannot come from a {len(data)}-byte stream")
    cdf = np.concatenate([[0], np.cumsum(freqs)])
    return decode(data[pos:], cdf, None, n).astype(np.uint8).tobytes()


def auto_lanes(n: int) -> int:
    """Default lane count for ``n`` symbols: ``max(ceil(n / 4096), min(32, ceil(n / 256)))``.

    A size/speed trade. Each lane costs 4 bytes (its final state), and each step
    costs ~20 NumPy calls whatever the lane count. So short inputs get few lanes
    (at least 256 symbols per lane: at most 1/8 bit of overhead per symbol),
    medium ones 32 lanes, and long ones enough lanes to finish in about 4096 steps
    (at most 4 bytes per 4096 symbols, under 0.1 % for data above 1 bit/symbol).

    Examples
    --------
    >>> auto_lanes(0), auto_lanes(1000), auto_lanes(100_000), auto_lanes(10**6)
    (1, 4, 32, 245)
    """
    n = int(n)
    return max(1, -(-n // TARGET_STEPS), min(32, -(-n // 256)))


def quantize_pmf(pmf, precision: int = 16, *, zero_unused: bool = False) -> np.ndarray:
    r"""Quantize a probability vector to integer frequencies summing to ``2**precision``.

    Parameters
    ----------
    pmf : array_like of float, shape (A,)
        Non-negative weights (need not sum to 1); ``1 <= A``.
    precision : int
        ``M = 2**precision``, 12..16.
    zero_unused : bool
        By default EVERY symbol gets frequency >= 1, so any symbol of the alphabet
        can be coded (a safety net for data the model did not foresee). With
        ``zero_unused=True``, symbols whose ``pmf`` is exactly 0 get frequency 0
        (and :func:`encode` refuses them); every symbol with ``pmf > 0`` still gets >= 1.

    Returns
    -------
    cdf : ndarray of int64, shape (A + 1,)
        ``cdf[0] = 0``, ``cdf[A] = M``, non-decreasing; ``f_s = cdf[s+1] - cdf[s]``.

    Notes
    -----
    With :math:`p_s` the normalized pmf and :math:`E` the eligible symbols, the rule is
    deterministic and exact in integers where it matters:

    1. :math:`f_s = \max(1, \lfloor p_s M \rfloor)` for :math:`s \in E`.
    2. If :math:`\sum f < M`: add 1 to the :math:`M - \sum f` symbols with the largest
       remainder :math:`p_s M - \lfloor p_s M \rfloor` among those not raised to 1
       (largest-remainder / Hamilton rounding; fewer than them are needed).
    3. If :math:`\sum f > M` (the raises to 1 overshot): shrink the mass above 1
       proportionally, :math:`f_s = 1 + \lfloor (f_s - 1)(M - |E|) / K \rfloor` with
       :math:`K = \sum (f_s - 1)`, then hand out the leftover by largest remainder.

    Ties go to the lowest symbol index. Needs :math:`|E| \le M`.

    Examples
    --------
    >>> quantize_pmf([0.5, 0.25, 0.25, 0.0], precision=12).tolist()
    [0, 2047, 3071, 4095, 4096]
    >>> quantize_pmf([0.5, 0.25, 0.25, 0.0], precision=12, zero_unused=True).tolist()
    [0, 2048, 3072, 4096, 4096]
    """
    precision = _check_precision(precision)
    M = 1 << precision
    p = np.asarray(pmf, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"pmf must be a non-empty 1-D array, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or not 0 < p.sum() < np.inf:
        raise ValueError("pmf must be finite, non-negative, with a positive sum")
    eligible = p > 0 if zero_unused else np.ones(p.size, dtype=bool)
    n_elig = int(eligible.sum())
    if n_elig > M:
        raise ValueError(f"{n_elig} symbols need frequency >= 1 but M = 2**{precision} = {M}")
    p = p / p.sum()
    scaled = p * M
    f = np.where(eligible, np.maximum(np.floor(scaled), 1), 0).astype(np.int64)
    total = int(f.sum())
    if total < M:  # step 2: largest remainder among the unclamped symbols
        rem = np.where(eligible & (scaled >= 1), scaled - np.floor(scaled), -1.0)
        f[np.argsort(-rem, kind="stable")[: M - total]] += 1
    elif total > M:  # step 3: proportional shrink of the mass above 1, in integers
        K = int((f - 1)[eligible].sum())
        num = np.where(eligible, f - 1, 0) * (M - n_elig)
        f = np.where(eligible, 1 + num // K, 0)
        rem = np.where(eligible, num % K, -1)
        f[np.argsort(-rem, kind="stable")[: M - int(f.sum())]] += 1
    assert f.sum() == M and np.all(f[eligible] >= 1) and np.all(f[~eligible] == 0)
    return np.concatenate([[0], np.cumsum(f)]).astype(np.int64)


def ideal_bits(symbols, cdfs, contexts=None) -> float:
    r"""Ideal code length of ``symbols`` under the quantized tables, in bits.

    .. math:: \sum_i -\log_2 \frac{f_{c_i}(s_i)}{M}

    with :math:`c_i` = ``contexts[i]`` (0 if None). This is what an ideal arithmetic
    coder would reach with the same tables; :func:`encode` stays within about 0.1 %
    of it plus the per-lane overhead.

    Examples
    --------
    >>> ideal_bits([0, 1, 2], [0, 2048, 3072, 4096])
    5.0
    """
    freq, _, M = _parse_cdfs(cdfs)
    s, c = _check_symbols(symbols, contexts, freq)
    return float(-np.log2(freq[c, s] / M).sum())


def encode(symbols, cdfs, contexts=None, *, lanes: int | None = None) -> bytes:
    r"""rANS-encode integer symbols with static per-context tables.

    Parameters
    ----------
    symbols : array_like of int, shape (n,)
        Values in ``0 .. A-1``; each must have frequency >= 1 in its table.
    cdfs : array_like of int, shape (n_contexts, A + 1) or (A + 1,)
        Cumulative frequencies, each row starting at 0 and ending at the same
        ``M = 2**precision`` (precision 12..16, inferred from ``cdfs[..., -1]``).
    contexts : array_like of int, shape (n,), optional
        Row of ``cdfs`` for each symbol; None means row 0 for all.
    lanes : int, optional
        Number of interleaved coders; default :func:`auto_lanes` ``(n)``. Clipped to
        ``max(1, n)`` and stored in the stream.

    Returns
    -------
    bytes
        The stream described in the module docstring.

    Raises
    ------
    ValueError
        Bad tables, a symbol outside the alphabet or with zero frequency, a context
        outside ``0 .. n_contexts-1``, ``len(contexts) != n``, or ``lanes < 1``.

    Notes
    -----
    Per lane, for the symbols in REVERSE order (the decoder pops them forwards):

    .. math::

        x \leftarrow C(s, x) = \lfloor x / f_s \rfloor M + c_s + (x \bmod f_s)

    preceded by renormalization: while :math:`x \ge x_{max}(s) = 2^{31-\text{precision}}
    f_s`, output the low byte and set :math:`x \leftarrow \lfloor x / 256 \rfloor`,
    so that :math:`C(s,x)` lands back in :math:`[L, 256L)`. Bytes are emitted in the
    reverse of the order the decoder reads them, so they are collected per step and
    laid out at the end in decoder order (the "output grows backwards" of rans_byte.h).

    Examples
    --------
    Five symbols, one lane: the varint 1, then the 4-byte state; the 1 + 2 + 1 + 2 + 1
    = 7 bits of information all fit in the state, so no renormalization byte follows.

    >>> encode([0, 1, 0, 2, 0], [0, 2048, 3072, 4096]).hex()
    '0100b00040'
    """
    freq, start, M = _parse_cdfs(cdfs)
    s, c = _check_symbols(symbols, contexts, freq)
    n = s.size
    lanes = auto_lanes(n) if lanes is None else _check_lanes(lanes, n)
    prec = M.bit_length() - 1
    T = -(-n // lanes)  # steps
    f = np.ones(T * lanes, dtype=np.int64)  # padding: never coded (see k below)
    st = np.zeros(T * lanes, dtype=np.int64)
    f[:n], st[:n] = freq[c, s], start[c, s]
    f, st = f.reshape(T, lanes), st.reshape(T, lanes)
    x_max = f << (31 - prec)  # ((L >> prec) << 8) * f_s
    # Per step t, the bytes in DECODER read order: round 1 = every lane that emitted
    # (its last-emitted byte), round 2 = every lane that emitted twice (its low byte).
    out = np.zeros((T, 2, lanes), dtype=np.uint8)
    keep = np.zeros((T, 2, lanes), dtype=bool)
    x = np.full(lanes, RANS_L, dtype=np.int64)  # encoder's initial state
    for t in range(T - 1, -1, -1):  # encode in reverse: rANS is last-in, first-out
        k = min(lanes, n - t * lanes)  # only the last step can be partial
        xa, fa, xm = x[:k], f[t, :k], x_max[t, :k]
        # invariant: L <= xa < 256 L. At most 2 bytes go out: xa < 2^31 and
        # x_max >= 2^(31-prec) >= 2^15, so xa >> 16 < x_max.
        one, two = xa >= xm, xa >= xm << 8
        out[t, 0, :k] = np.where(two, xa >> 8, xa)  # emitted last, read first
        out[t, 1, :k] = xa  # low byte (uint8 keeps x mod 256)
        keep[t, 0, :k], keep[t, 1, :k] = one, two
        xa = xa >> ((one.astype(np.int64) + two) << 3)
        # now (L >> prec) f <= xa < x_max, so C(s, xa) lands in [L, 256 L)
        x[:k] = (xa // fa << prec) + xa % fa + st[t, :k]
    return write_varint(lanes) + x.astype("<u4").tobytes() + out[keep].tobytes()


def decode(data: bytes, cdfs, contexts, n: int, *, lanes: int | None = None) -> np.ndarray:
    r"""Decode ``n`` symbols from an :func:`encode` stream with the same tables.

    Parameters
    ----------
    data : bytes
        The stream.
    cdfs : array_like of int
        The tables given to :func:`encode`.
    contexts : array_like of int, shape (n,), or None
        The contexts given to :func:`encode`.
    n : int
        Number of symbols, ``0 <= n <= 2**28`` (refused above that before allocating).
    lanes : int, optional
        Not needed (the lane count is in the stream). If given, it must be the
        value given to :func:`encode`, and the header is checked against it.

    Returns
    -------
    ndarray of int64, shape (n,)

    Raises
    ------
    ValueError
        Bad tables, contexts or ``n`` (the caller's mistake).
    CorruptStreamError
        A lane count inconsistent with ``n``, a stream that ends early ("truncated"),
        or lanes that do not end in state ``L`` with every byte read ("final state
        mismatch"): these catch truncation and most corruption (not all: a flipped
        byte can still decode to other symbols, as with any entropy coder without a
        checksum).

    Notes
    -----
    Per lane and step, with slot :math:`r = x \bmod M`: the symbol is the :math:`s`
    with :math:`c_s \le r < c_s + f_s`, then
    :math:`x \leftarrow D(x) = f_s \lfloor x / M \rfloor + r - c_s`, then while
    :math:`x < L` read a byte: :math:`x \leftarrow 256 x + b`. At most 2 bytes per
    step: :math:`D(x) \ge f_s \lfloor L / M \rfloor \ge 2^{23-16}`.

    Examples
    --------
    >>> decode(bytes.fromhex('0100b00040'), [0, 2048, 3072, 4096], None, 5).tolist()
    [0, 1, 0, 2, 0]
    """
    freq, start, M = _parse_cdfs(cdfs)
    n = int(n)
    if not 0 <= n <= MAX_SYMBOLS:
        raise ValueError(f"n = {n} out of range [0, 2**28]")
    c = _check_contexts(contexts, n, freq.shape[0])
    prec = M.bit_length() - 1
    data = bytes(data)
    n_lanes, pos = read_varint(data, 0)
    if not 1 <= n_lanes <= max(1, n):
        raise CorruptStreamError(f"lane count {n_lanes} out of range [1, {max(1, n)}] for n = {n}")
    if lanes is not None and n_lanes != _check_lanes(lanes, n):
        raise CorruptStreamError(f"stream has {n_lanes} lanes, caller expected {_check_lanes(lanes, n)}")
    lanes = n_lanes
    if len(data) < pos + 4 * lanes:
        raise CorruptStreamError(f"stream ends inside the {lanes} lane states")
    x = np.frombuffer(data, dtype="<u4", count=lanes, offset=pos).astype(np.int64)
    if np.any(x < RANS_L) or np.any(x >= RANS_L << 8):
        raise CorruptStreamError("lane state outside [2**23, 2**31)")
    buf = np.frombuffer(data, dtype=np.uint8, offset=pos + 4 * lanes)
    T = -(-n // lanes)
    cpad = np.zeros(T * lanes, dtype=np.int64)
    cpad[:n] = c
    cpad = cpad.reshape(T, lanes)
    A = freq.shape[1]
    lookup = _slot_lookup(freq, start, M)
    ff, sf = freq.ravel(), start.ravel()
    out = np.zeros((T, lanes), dtype=np.int64)
    p = 0  # next byte of buf
    for t in range(T):
        k = min(lanes, n - t * lanes)
        xa, ca = x[:k], cpad[t, :k]
        # invariant: L <= xa < 256 L
        slot = xa & (M - 1)
        s = lookup(ca, slot)
        idx = ca * A + s
        xa = ff[idx] * (xa >> prec) + slot - sf[idx]
        # now 2^(23-prec) <= xa < 2^31: two rounds of reads always reach L
        for _ in range(2):
            need = xa < RANS_L
            m = int(np.count_nonzero(need))
            if m == 0:
                break
            if p + m > buf.size:
                raise CorruptStreamError(f"stream ends at step {t} of {T} (truncated)")
            xa[need] = (xa[need] << 8) | buf[p : p + m]
            p += m
        x[:k] = xa
        out[t, :k] = s
    if np.any(x != RANS_L) or p != buf.size:
        raise CorruptStreamError(
            f"final state mismatch ({int(np.count_nonzero(x != RANS_L))} lanes not at L, "
            f"{buf.size - p} bytes unread): corrupt stream or wrong tables/contexts"
        )
    return out.ravel()[:n]


# ---- helpers ----

def _check_precision(precision) -> int:
    precision = int(precision)
    if not MIN_PRECISION <= precision <= MAX_PRECISION:
        raise ValueError(f"precision {precision} out of range [{MIN_PRECISION}, {MAX_PRECISION}]")
    return precision


def _check_lanes(lanes, n: int) -> int:
    lanes = int(lanes)
    if lanes < 1:
        raise ValueError(f"lanes = {lanes} must be >= 1")
    return min(lanes, max(1, n))


def _parse_cdfs(cdfs) -> tuple[np.ndarray, np.ndarray, int]:
    """Validate tables; return ``freq``, ``start`` (both (n_contexts, A) int64) and ``M``."""
    cdfs = np.asarray(cdfs)
    if cdfs.ndim == 1:
        cdfs = cdfs[None, :]
    if cdfs.ndim != 2 or cdfs.shape[0] < 1 or cdfs.shape[1] < 2:
        raise ValueError(f"cdfs must have shape (n_contexts, A + 1) with A >= 1, got {cdfs.shape}")
    if cdfs.dtype.kind not in "iu":
        raise ValueError(f"cdfs must be integers, got dtype {cdfs.dtype}")
    cdfs = cdfs.astype(np.int64)
    M = int(cdfs[0, -1])
    if np.any(cdfs[:, -1] != M) or M & (M - 1) or not 1 << MIN_PRECISION <= M <= 1 << MAX_PRECISION:
        raise ValueError(f"every cdf row must end at the same M = 2**12 .. 2**16, got {np.unique(cdfs[:, -1])}")
    freq = np.diff(cdfs, axis=1)
    if np.any(cdfs[:, 0] != 0) or np.any(freq < 0):
        raise ValueError("every cdf row must start at 0 and be non-decreasing")
    return freq, cdfs[:, :-1], M


def _check_contexts(contexts, n: int, n_ctx: int) -> np.ndarray:
    if contexts is None:
        return np.zeros(n, dtype=np.int64)
    c = np.asarray(contexts)
    if c.shape != (n,):
        raise ValueError(f"contexts must have shape ({n},), got {c.shape}")
    if n and c.dtype.kind not in "iu":
        raise ValueError(f"contexts must be integers, got dtype {c.dtype}")
    c = c.astype(np.int64)
    if n and (c.min() < 0 or c.max() >= n_ctx):
        raise ValueError(f"contexts must lie in [0, {n_ctx - 1}], got [{c.min()}, {c.max()}]")
    return c


def _check_symbols(symbols, contexts, freq) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(symbols)
    if s.ndim != 1:
        raise ValueError(f"symbols must be 1-D, got shape {s.shape}")
    if s.size and s.dtype.kind not in "iu":
        raise ValueError(f"symbols must be integers, got dtype {s.dtype}")
    s = s.astype(np.int64)
    c = _check_contexts(contexts, s.size, freq.shape[0])
    A = freq.shape[1]
    if s.size and (s.min() < 0 or s.max() >= A):
        raise ValueError(f"symbols must lie in [0, {A - 1}], got [{s.min()}, {s.max()}]")
    zero = freq[c, s] == 0
    if np.any(zero):
        i = int(np.flatnonzero(zero)[0])
        raise ValueError(f"symbol {s[i]} at index {i} has frequency 0 in context {c[i]}")
    return s, c


def _slot_lookup(freq: np.ndarray, start: np.ndarray, M: int):
    """Return ``lookup(ctx, slot) -> symbol`` (vectorized) for the decoder.

    Small tables: a flat ``(n_contexts * M,)`` slot -> symbol array built with
    ``np.repeat``. Large ones: ``searchsorted`` on the rows laid end to end
    (row ``k`` shifted by ``k M``, so the whole array stays sorted); ``side="right"``
    skips zero-frequency symbols, whose start equals the next one's.
    """
    n_ctx, A = freq.shape
    if n_ctx * M <= MAX_LOOKUP_ENTRIES:
        table = np.repeat(np.tile(np.arange(A, dtype=np.int64), n_ctx), freq.ravel())
        return lambda ca, slot: table[ca * M + slot]
    flat = (start + np.arange(n_ctx, dtype=np.int64)[:, None] * M).ravel()
    return lambda ca, slot: np.searchsorted(flat, ca * M + slot, side="right") - 1 - ca * A
