# %% [markdown]
# KNOWN-WRONG solution of exercise 06, for testing the grader (it must FAIL).
# The mistake: zig-zag walked with the wrong parity: it goes down first (the transposed scan).
#
# # Exercise 06 (KNOWN-WRONG solution): the DCT and energy compaction
#
# Page: `docs/exercises/06_dct.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/06_dct.py
#
# Compared with `classical.dct` (`dct_matrix`, `dct2`, `ZIGZAG`).

# %%
# ruff: noqa: N999 (NN_ file names give the course order)
import numpy as np

# %% [markdown]
# ## 1. The orthonormal DCT-II matrix
#
# $C_{kx} = a(k) \cos\frac{(2x+1)k\pi}{2n}$, $a(0) = \sqrt{1/n}$, $a(k) = \sqrt{2/n}$.

# %%
def dct_matrix(n):
    """The n x n orthonormal DCT-II matrix (float64); row k is the k-th basis vector."""
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    C = np.sqrt(2.0 / n) * np.cos((2 * x + 1) * k * np.pi / (2 * n))
    C[0] /= np.sqrt(2.0)
    return C


def dct2(block):
    """2-D DCT of an 8x8 block: F = C B C^T."""
    C = dct_matrix(8)
    return C @ np.asarray(block, dtype=np.float64) @ C.T


# %% [markdown]
# ## 2. The zig-zag scan (T.81 Figure A.6)
#
# Walk the anti-diagonals `s = row + col`: even `s` upwards-right (row falling), odd
# `s` downwards-left (row rising).  Return the row-major index `n*row + col` of each
# visited coefficient.

# %%
def zigzag(n=8):
    """Zig-zag order of an n x n block as an int array of row-major indices."""
    order = []
    for s in range(2 * n - 1):
        rows = range(max(0, s - n + 1), min(s, n - 1) + 1)
        rows = reversed(rows) if s % 2 else rows  # MISTAKE: parity swapped
        order += [r * n + (s - r) for r in rows]
    return np.array(order, dtype=np.int64)


# %% [markdown]
# ## 3. Energy compaction
#
# The DCT is orthonormal, so $\sum F^2 = \sum f^2$ (Parseval).  How much of that energy
# sits in the first `k` coefficients of the zig-zag scan?  (1.0 for an all-zero block.)

# %%
def energy_compaction(block, k):
    """Share of sum(F**2) in the first k zig-zag coefficients of dct2(block)."""
    F = dct2(np.asarray(block, dtype=np.float64)).reshape(-1)[zigzag(8)]
    total = float(np.sum(F**2))
    return 1.0 if total == 0 else float(np.sum(F[:k] ** 2) / total)


# %%
if __name__ == "__main__":
    from fundamentals.imageio import load_image

    gray = load_image()[:64, :64, 1].astype(np.float64)
    blocks = gray.reshape(8, 8, 8, 8).swapaxes(1, 2).reshape(-1, 8, 8)
    for k in (1, 3, 6, 10, 15, 64):
        share = np.mean([energy_compaction(b - 128, k) for b in blocks])
        print(f"first {k:2d} coefficients: {100 * share:5.1f} % of the energy")
