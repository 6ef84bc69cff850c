# %% [markdown]
# # Exercise 01 (reference solution): sampling and quantization
#
# Page: `docs/exercises/01_sampling_quantization.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/01_sampling_quantization.py
#
# Fill in every function that raises `NotImplementedError`; use NumPy only (the
# grader compares your answers with `fundamentals.quantization` and
# `fundamentals.sampling`, so do not call them here).

# %%
# ruff: noqa: N999 (NN_ file names give the course order)
import numpy as np

# %% [markdown]
# ## 1. The uniform mid-tread quantizer
#
# Index $q = \operatorname{sign}(u)\,\lfloor |u| + \tfrac12 \rfloor$ with $u = x / \Delta$
# (halves round AWAY from zero, like libjpeg), reconstruction $\hat x = q \Delta$.

# %%
def quantize_midtread(x, step):
    """Indices (int64 array) of the mid-tread quantizer with step ``step``, grid anchored at 0."""
    u = np.asarray(x, dtype=np.float64) / step
    return (np.sign(u) * np.floor(np.abs(u) + 0.5)).astype(np.int64)


def dequantize_midtread(q, step):
    """Reconstruction levels (float64 array) ``q * step``."""
    return np.asarray(q, dtype=np.float64) * step


# %% [markdown]
# ## 2. Bit-depth reduction
#
# Keep the top `bits` bits: $\Delta = 2^{8-\text{bits}}$, $q = \lfloor x / \Delta \rfloor$,
# and reconstruct at the middle of the cell, $\hat x = q\Delta + \lfloor \Delta/2 \rfloor$.

# %%
def reduce_bit_depth(img, bits):
    """Requantize a uint8 image to ``bits`` (1..8) bits; the result is uint8, same shape."""
    img = np.asarray(img, dtype=np.uint8)
    delta = 1 << (8 - bits)
    return ((img // delta) * delta + delta // 2).astype(np.uint8)


# %% [markdown]
# ## 3. Chroma subsampling 4:2:0 and back
#
# Each output sample is the mean of a 2x2 neighbourhood; an odd last row or column is
# first REPLICATED (so an edge sample averages the real sample with itself).

# %%
def subsample_420(plane):
    """Halve both sides of a plane by 2x2 averaging (float64, shape ceil(H/2) x ceil(W/2))."""
    x = np.asarray(plane, dtype=np.float64)
    x = np.pad(x, ((0, x.shape[0] % 2), (0, x.shape[1] % 2)), mode="edge")
    h, w = x.shape
    return x.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def upsample_420(plane, shape):
    """Replicate each sample into a 2x2 block and crop to ``shape`` (float64)."""
    x = np.asarray(plane, dtype=np.float64)
    x = np.repeat(np.repeat(x, 2, axis=0), 2, axis=1)
    return x[: shape[0], : shape[1]]


# %%
if __name__ == "__main__":
    x = np.array([-1.5, -0.5, 0.5, 1.4, 2.5])
    print("indices   ", quantize_midtread(x, 1))
    print("levels    ", dequantize_midtread(quantize_midtread(x, 1), 1))
    print("4 bits    ", reduce_bit_depth(np.array([[0, 100, 200, 255]], np.uint8), 4))
    cb = np.arange(15.0).reshape(3, 5)
    print("4:2:0     ", subsample_420(cb))
    print("and back  ", upsample_420(subsample_420(cb), cb.shape))
