# %% [markdown]
# # Exercise 02: entropy and Huffman codes by hand
#
# Page: `docs/exercises/02_huffman.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/02_huffman.py
#
# The grader compares your `entropy` with `fundamentals.metrics.entropy`, checks that
# your code lengths form a prefix code with the SAME total cost as
# `classical.huffman.code_lengths` (ties may be broken any way you like), and compares
# your canonical codes with `classical.huffman.canonical_codes`.
#
# Replace each `raise NotImplementedError(...)` below with your code.  Run the file
# (or its cells, in Jupyter or VS Code) to try it, then grade it.

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
    raise NotImplementedError('exercise 02: write entropy')


# %% [markdown]
# ## 2. Huffman code lengths
#
# Repeatedly merge the two lightest nodes; a symbol's code length is its depth in the
# tree.  Unused symbols (frequency 0) get length 0; a single used symbol gets length 1.

# %%
def code_lengths(freqs):
    """Optimal prefix-code length of every symbol (list of ints, 0 for unused symbols)."""
    raise NotImplementedError('exercise 02: write code_lengths')


# %% [markdown]
# ## 3. Canonical codes
#
# Sort the used symbols by (length, symbol).  The first gets code 0; each next code is
# the previous code plus one, shifted left by the increase in length.

# %%
def canonical_codes(lengths):
    """Canonical code of every symbol as an int (0 for unused symbols), written MSB first."""
    raise NotImplementedError('exercise 02: write canonical_codes')


# %%
if __name__ == "__main__":
    text = b"mississippi"
    freqs = [text.count(c) for c in b"imps"]
    lengths = code_lengths(freqs)
    print("entropy", round(entropy(text), 4), "bits/symbol")
    for sym, n, c in zip("imps", lengths, canonical_codes(lengths)):
        print(sym, n, format(c, f"0{n}b"))
    print("average", sum(f * n for f, n in zip(freqs, lengths)) / len(text), "bits/symbol")
