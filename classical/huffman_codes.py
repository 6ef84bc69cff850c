"""Optimal prefix codes: Huffman's algorithm, length limits (package-merge), canonical codes.

The part of Huffman coding that is pure combinatorics: from symbol counts to code
lengths, and from lengths to the codes themselves.  :mod:`classical.huffman` (the
byte and image coder) and :mod:`classical.jpeg_huffman` (T.81 Annex K.2) build on it.

* :func:`code_lengths`: optimal lengths of at most ``max_len`` bits -- Huffman's
  (two queues, van Leeuwen 1976) when they fit, else package-merge (Larmore &
  Hirschberg 1990);
* :func:`canonical_codes`: DEFLATE's canonical code for given lengths (RFC 1951
  3.2.2), so that a decoder needs only the lengths;
* :func:`code_tree`: the same code as a binary tree, for the bit-by-bit decoder.

Examples
--------
>>> lengths = code_lengths([4, 1, 2, 4], 15)   # 'i', 'm', 'p', 's' in "mississippi"
>>> [format(int(c), f"0{n}b") for c, n in zip(canonical_codes(lengths), lengths)]
['10', '110', '111', '0']
"""

from __future__ import annotations

import numpy as np

__all__ = ["canonical_codes", "code_lengths", "code_tree"]


def code_lengths(freqs, max_len: int) -> np.ndarray:
    """Optimal prefix-code lengths of at most ``max_len`` bits (Huffman or package-merge).

    Parameters
    ----------
    freqs : array_like of int
        Count of every symbol, ``freqs[s] >= 0``; symbols with count 0 get no code.
    max_len : int
        Longest code allowed, >= 1; needs ``2**max_len`` >= number of used symbols.

    Returns
    -------
    np.ndarray of uint8
        ``lengths[s]``: 0 for unused symbols.  One used symbol gets length 1.

    Notes
    -----
    The lengths minimize the total :math:`\\sum_s f_s \\ell_s` subject to
    :math:`\\ell_s \\le` ``max_len`` and the Kraft inequality
    :math:`\\sum_s 2^{-\\ell_s} \\le 1`, which every prefix code obeys (it holds with
    equality here: the code is complete).

    Package-merge (Larmore & Hirschberg 1990): a leaf (symbol) at depth ``l`` is
    ``l`` "coins", one of width :math:`2^{-d}` for each depth ``d = 1..l``, worth
    its frequency.  Start with the list of leaves sorted by frequency (the coins of
    depth ``max_len``).  ``max_len - 1`` times: pair up neighbours into "packages"
    (worth the sum of the pair) and merge them into a fresh copy of the leaves,
    sorted.  The first ``2n - 2`` items of the last list are the cheapest coin set
    of total width ``n - 1``; a symbol's code length is the number of those items,
    unpacked down through every list, that contain its leaf.

    Package-merge costs ``max_len`` sorts, so Huffman's algorithm runs first (two
    queues, van Leeuwen 1976: leaves sorted by weight, merged nodes in the order
    made, which is sorted too); its lengths are kept when none exceeds ``max_len``.
    Without a binding cap both give the same lengths (the tests check this).

    Ties (a deterministic rule, so the same counts always give the same bytes):
    leaves are sorted by (frequency, symbol) and a leaf precedes a package (merged
    node) of equal weight.

    Examples
    --------
    >>> code_lengths([4, 1, 2, 4], 15).tolist()   # 'i', 'm', 'p', 's' in "mississippi"
    [2, 3, 3, 1]
    >>> code_lengths([1, 1, 2, 3, 5, 8, 13, 21], 15).tolist()   # Fibonacci: the deepest tree
    [7, 7, 6, 5, 4, 3, 2, 1]
    >>> code_lengths([1, 1, 2, 3, 5, 8, 13, 21], 4).tolist()   # the same, capped at 4 bits
    [4, 4, 4, 4, 3, 3, 2, 2]
    """
    freqs = np.asarray(freqs)
    if freqs.ndim != 1 or (freqs.size and freqs.dtype.kind not in "iu"):
        raise ValueError(f"freqs must be a 1-D integer array, got shape {freqs.shape} dtype {freqs.dtype}")
    if freqs.size and freqs.min() < 0:
        raise ValueError(f"frequencies must be >= 0, got {freqs.min()}")
    lengths = np.zeros(freqs.size, dtype=np.uint8)
    used = np.flatnonzero(freqs)
    if max_len < 1:
        raise ValueError(f"max_len {max_len} must be >= 1")
    if used.size <= 1:
        lengths[used] = 1
        return lengths
    if used.size > 1 << max_len:
        raise ValueError(f"{used.size} symbols need max_len >= {int(np.ceil(np.log2(used.size)))}, got {max_len}")
    order = used[np.lexsort((used, freqs[used]))]  # by frequency, then by symbol
    weights = freqs[order].astype(np.int64)
    depths = _huffman_depths(weights.tolist())  # Huffman's own lengths: often within the cap
    lengths[order] = depths if max(depths) <= max_len else _package_merge(weights, max_len)
    return lengths


def canonical_codes(lengths) -> np.ndarray:
    """Canonical prefix codes for the given code lengths (RFC 1951 3.2.2).

    Symbols are sorted by (length, symbol); the first gets code 0, and each next code
    is the previous code plus one, shifted left by the length increase.

    Parameters
    ----------
    lengths : array_like of int
        ``lengths[s]`` in 0..32 (0: no code).

    Returns
    -------
    np.ndarray of uint32
        ``codes[s]``, to be written in ``lengths[s]`` bits, MSB first (0 if unused).

    Raises
    ------
    ValueError
        If the lengths are over-full: :math:`\\sum_s 2^{-\\ell_s} > 1` (no prefix
        code has them).  Under-full lengths are accepted (some bit patterns are
        then no code).

    Notes
    -----
    With the used symbols sorted by (length, symbol) and :math:`L` the longest
    length, code ``i`` is the Kraft sum of the codes before it, written in
    :math:`\\ell_i` bits:

    .. math:: c_i = \\Big(\\sum_{j<i} 2^{L-\\ell_j}\\Big) / 2^{L-\\ell_i}

    (exact, because :math:`\\ell_j \\le \\ell_i`).  Sorted by (length, symbol) the
    codes are also sorted as bit strings, which the table decoder relies on.

    Examples
    --------
    >>> [format(int(c), f"0{n}b") for c, n in zip(canonical_codes([2, 3, 3, 1]), [2, 3, 3, 1])]
    ['10', '110', '111', '0']
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or (lengths.size and lengths.dtype.kind not in "iu"):
        raise ValueError(f"lengths must be a 1-D integer array, got shape {lengths.shape}")
    if lengths.size and not 0 <= lengths.min() <= lengths.max() <= 32:
        raise ValueError(f"code lengths must lie in [0, 32], got [{lengths.min()}, {lengths.max()}]")
    codes = np.zeros(lengths.size, dtype=np.uint32)
    used = np.flatnonzero(lengths)
    if used.size == 0:
        return codes
    order = used[np.lexsort((used, lengths[used]))]  # by length, then by symbol
    ell = lengths[order].astype(np.int64)
    longest = int(ell[-1])
    width = np.int64(1) << (longest - ell)  # 2**(L - l_i): share of the code space
    start = np.cumsum(width) - width
    if int(start[-1] + width[-1]) > 1 << longest:
        raise ValueError("over-full code lengths: Kraft sum sum(2**-l) > 1")
    codes[order] = start >> (longest - ell)
    return codes


# ---- helpers ----


def _package_merge(weights: np.ndarray, max_len: int) -> np.ndarray:
    """Code lengths for leaf ``weights`` (sorted ascending); see :func:`code_lengths`."""
    n = weights.size
    is_leaf = np.ones(n, dtype=bool)
    leaves_seen = [np.arange(1, n + 1)]  # per list: leaves among its first j+1 items
    items = weights
    for _ in range(max_len - 1):
        pairs = items[: items.size // 2 * 2]
        packages = pairs[0::2] + pairs[1::2]
        merged = np.concatenate([weights, packages])
        order = np.argsort(merged, kind="stable")  # stable: a leaf wins a tie
        items = merged[order]
        leaves_seen.append(np.cumsum(np.concatenate([is_leaf, np.zeros(packages.size, bool)])[order]))
    depth = np.zeros(n, dtype=np.uint8)
    take = 2 * n - 2  # items taken from the current list, last list first
    for seen in reversed(leaves_seen):
        leaves = int(seen[take - 1]) if take else 0
        depth[:leaves] += 1  # leaves are merged in sorted order: the first ones are taken
        take = 2 * (take - leaves)  # each package taken takes its two items below
    assert take == 0, "package-merge left items unassigned"
    return depth


def code_tree(lengths: np.ndarray) -> list:
    """Binary tree of the canonical code: nested ``[zero, one]`` lists, symbols at leaves."""
    codes = canonical_codes(lengths)
    root: list = [None, None]
    for symbol in np.flatnonzero(lengths).tolist():
        node, length = root, int(lengths[symbol])
        for k in range(length - 1, 0, -1):
            bit = (int(codes[symbol]) >> k) & 1
            if node[bit] is None:
                node[bit] = [None, None]
            node = node[bit]
        node[int(codes[symbol]) & 1] = symbol
    return root



def _huffman_depths(weights: list) -> list:
    """Huffman code lengths of ``weights`` (sorted ascending, two or more), leaf first on ties."""
    n = len(weights)
    parent = [0] * (2 * n - 1)
    merged = []  # weights of the merged nodes n, n+1, ...: made in ascending order
    i = j = 0  # next leaf, next merged node
    for node in range(n, 2 * n - 1):  # take the two lightest nodes left; a leaf wins a tie
        if i < n and (j >= len(merged) or weights[i] <= merged[j]):
            parent[i] = node
            total = weights[i]
            i += 1
        else:
            parent[n + j] = node
            total = merged[j]
            j += 1
        if i < n and (j >= len(merged) or weights[i] <= merged[j]):
            parent[i] = node
            total += weights[i]
            i += 1
        else:
            parent[n + j] = node
            total += merged[j]
            j += 1
        merged.append(total)
    depth = [0] * (2 * n - 1)
    for node in range(2 * n - 3, -1, -1):
        depth[node] = depth[parent[node]] + 1
    return depth[:n]
