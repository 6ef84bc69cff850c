# %% [markdown]
# KNOWN-WRONG solution of exercise 02, for testing the grader (it must FAIL).
# The mistake: Shannon code lengths ceil(-log2 p) instead of Huffman's: a prefix code, but not an optimal one.
#
# # Exercise 02 (KNOWN-WRONG solution): entropy and Huffman codes by hand
#
# Page: `docs/exercises/02_huffman.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/02_huffman.py
#
# The grader compares your `entropy` with `fundamentals.metrics.entropy`, checks that
# your code lengths form a prefix code with the SAME total cost as
# `classical.huffman.code_lengths` (ties may be broken any way you like), and compares
# your canonical codes with `classical.huffman.canonical_codes`.

# %%
# ruff: noqa: N999, F401 (NN_ file names give the course order)
import heapq
import math
from collections import Counter

# %% [markdown]
# ## 1. Order-0 entropy
#
# $H = -\sum_s p_s \log_2 p_s$ bits per symbol, $p_s$ the relative frequency of byte $s$.

# %%
def entropy(data):
    """Order-0 entropy of a byte string in bits per symbol (0.0 if empty or constant)."""
    counts = Counter(data)
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) if len(counts) > 1 else 0.0


# %% [markdown]
# ## 2. Huffman code lengths
#
# Repeatedly merge the two lightest nodes; a symbol's code length is its depth in the
# tree.  Unused symbols (frequency 0) get length 0; a single used symbol gets length 1.

# %%
def code_lengths(freqs):
    """Optimal prefix-code length of every symbol (list of ints, 0 for unused symbols)."""
    total = sum(freqs)
    # MISTAKE: Shannon's lengths ceil(log2(1/p)) satisfy Kraft but are not optimal
    return [math.ceil(math.log2(total / f)) if f else 0 for f in freqs]


# %% [markdown]
# ## 3. Canonical codes
#
# Sort the used symbols by (length, symbol).  The first gets code 0; each next code is
# the previous code plus one, shifted left by the increase in length.

# %%
def canonical_codes(lengths):
    """Canonical code of every symbol as an int (0 for unused symbols), written MSB first."""
    codes = [0] * len(lengths)
    order = sorted((n, s) for s, n in enumerate(lengths) if n > 0)
    code, prev = 0, None
    for n, s in order:
        if prev is not None:
            code = (code + 1) << (n - prev)
        codes[s] = code
        prev = n
    return codes


# %%
if __name__ == "__main__":
    text = b"mississippi"
    freqs = [text.count(c) for c in b"imps"]
    lengths = code_lengths(freqs)
    print("entropy", round(entropy(text), 4), "bits/symbol")
    for sym, n, c in zip("imps", lengths, canonical_codes(lengths)):
        print(sym, n, format(c, f"0{n}b"))
    print("average", sum(f * n for f, n in zip(freqs, lengths)) / len(text), "bits/symbol")
