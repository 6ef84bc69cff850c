# %% [markdown]
# # Exercise 05 (reference solution): DPCM predictors (T.81 Annex H and MED)
#
# Page: `docs/exercises/05_dpcm.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/05_dpcm.py
#
# Your `predict` must equal `classical.dpcm.predict` for predictors 1..7 and "med",
# borders included.

# %%
# ruff: noqa: N999 (NN_ file names give the course order)
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
    x = np.asarray(plane).astype(np.int64)
    a = np.zeros_like(x)
    b = np.zeros_like(x)
    c = np.zeros_like(x)
    a[1:, 1:], b[1:, 1:], c[1:, 1:] = x[1:, :-1], x[:-1, 1:], x[:-1, :-1]
    a[0, 1:] = b[0, 1:] = c[0, 1:] = x[0, :-1]  # row 0: everything is the left neighbour
    a[1:, 0] = b[1:, 0] = c[1:, 0] = x[:-1, 0]  # column 0: everything is the neighbour above
    a[0, 0] = b[0, 0] = c[0, 0] = 128  # first pixel: 2**(P-1)
    if predictor == "med":
        mx, mn = np.maximum(a, b), np.minimum(a, b)
        p = np.where(c >= mx, mn, np.where(c <= mn, mx, a + b - c))
    else:
        p = {1: a, 2: b, 3: c, 4: a + b - c, 5: a + ((b - c) >> 1), 6: b + ((a - c) >> 1),
             7: (a + b) >> 1}[predictor]
    return np.clip(p, 0, 255).astype(np.int32)


# %% [markdown]
# ## 2. What the prediction buys
#
# The residual `e = x - predict(x)` taken modulo 256 is what a DPCM coder codes; its
# order-0 entropy (bits per pixel) is the rate a static entropy coder could reach.

# %%
def residual_entropy(plane, predictor):
    """Order-0 entropy (bits per pixel) of the residuals modulo 256."""
    e = (np.asarray(plane).astype(np.int64) - predict(plane, predictor)) % 256
    counts = np.bincount(e.ravel(), minlength=256)
    p = counts[counts > 0] / e.size
    return float(-(p * np.log2(p)).sum()) if p.size > 1 else 0.0


# %%
if __name__ == "__main__":
    from fundamentals.imageio import load_image

    gray = load_image()[..., 1]  # the green plane of the embedded sample image
    for sel in (1, 2, 3, 4, 5, 6, 7, "med"):
        print(f"predictor {sel!s:>3}: {residual_entropy(gray, sel):.3f} bpp")
