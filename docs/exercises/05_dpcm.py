# %% [markdown]
# # Exercise 05: DPCM predictors (T.81 Annex H and MED)
#
# Page: `docs/exercises/05_dpcm.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/05_dpcm.py
#
# Your `predict` must equal `classical.dpcm.predict` for predictors 1..7 and "med",
# borders included.
#
# Replace each `raise NotImplementedError(...)` below with your code.  Run the file
# (or its cells, in Jupyter or VS Code) to try it, then grade it.

# %%
# ruff: noqa: N999, F401 (NN_ file names give the course order)
import numpy as np

# %% [markdown]
# ## 1. Predictions
#
# Neighbours of `x` (T.81 Figure H.1): `a` left, `b` above, `c` above-left.
#
# | sel | prediction | sel | prediction |
# |---|---|---|---|
# | 1 | a | 5 | a + ((b - c) >> 1) |
# | 2 | b | 6 | b + ((a - c) >> 1) |
# | 3 | c | 7 | (a + b) >> 1 |
# | 4 | a + b - c | med | min(a,b) if c >= max(a,b); max(a,b) if c <= min(a,b); else a + b - c |
#
# Borders: the first pixel is predicted as 128; the rest of row 0 uses the left
# neighbour for a, b and c (predictor 1 whatever is chosen); the rest of column 0 uses
# the neighbour above for all three (predictor 2).  Predictions are clipped to 0..255.

# %%
def predict(plane, predictor):
    """Prediction of every sample of a uint8 plane from its original neighbours (int32 array)."""
    raise NotImplementedError('exercise 05: write predict')


# %% [markdown]
# ## 2. What the prediction buys
#
# The residual `e = x - predict(x)` taken modulo 256 is what a DPCM coder codes; its
# order-0 entropy (bits per pixel) is the rate a static entropy coder could reach.

# %%
def residual_entropy(plane, predictor):
    """Order-0 entropy (bits per pixel) of the residuals modulo 256."""
    raise NotImplementedError('exercise 05: write residual_entropy')


# %%
if __name__ == "__main__":
    from fundamentals.imageio import load_image

    gray = load_image()[..., 1]  # the green plane of the embedded sample image
    for sel in (1, 2, 3, 4, 5, 6, 7, "med"):
        print(f"predictor {sel!s:>3}: {residual_entropy(gray, sel):.3f} bpp")
