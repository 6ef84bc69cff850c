# %% [markdown]
# # Exercise 06: the DCT and energy compaction
#
# Page: `docs/exercises/06_dct.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/06_dct.py
#
# Compared with `classical.dct` (`dct_matrix`, `dct2`, `ZIGZAG`).
#
# Replace each `raise NotImplementedError(...)` below with your code.  Run the file
# (or its cells, in Jupyter or VS Code) to try it, then grade it.

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
    raise NotImplementedError('exercise 06: write dct_matrix')


def dct2(block):
    """2-D DCT of an 8x8 block: F = C B C^T."""
    raise NotImplementedError('exercise 06: write dct2')


# %% [markdown]
# ## 2. The zig-zag scan (T.81 Figure A.6)
#
# Walk the anti-diagonals `s = row + col`: even `s` upwards-right (row falling), odd
# `s` downwards-left (row rising).  Return the row-major index `n*row + col` of each
# visited coefficient.

# %%
def zigzag(n=8):
    """Zig-zag order of an n x n block as an int array of row-major indices."""
    raise NotImplementedError('exercise 06: write zigzag')


# %% [markdown]
# ## 3. Energy compaction
#
# The DCT is orthonormal, so $\sum F^2 = \sum f^2$ (Parseval).  How much of that energy
# sits in the first `k` coefficients of the zig-zag scan?  (1.0 for an all-zero block.)

# %%
def energy_compaction(block, k):
    """Share of sum(F**2) in the first k zig-zag coefficients of dct2(block)."""
    raise NotImplementedError('exercise 06: write energy_compaction')


# %%
if __name__ == "__main__":
    from fundamentals.imageio import load_image

    gray = load_image()[:64, :64, 1].astype(np.float64)
    blocks = gray.reshape(8, 8, 8, 8).swapaxes(1, 2).reshape(-1, 8, 8)
    for k in (1, 3, 6, 10, 15, 64):
        share = np.mean([energy_compaction(b - 128, k) for b in blocks])
        print(f"first {k:2d} coefficients: {100 * share:5.1f} % of the energy")
