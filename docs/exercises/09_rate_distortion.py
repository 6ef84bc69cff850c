# %% [markdown]
# # Exercise 09: rate-distortion curves and BD-rate
#
# Page: `docs/exercises/09_rate_distortion.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/09_rate_distortion.py
#
# Compared with `fundamentals.metrics` (`psnr`, `bpp`, `bd_rate`) and `classical.pcm`.
#
# Replace each `raise NotImplementedError(...)` below with your code.  Run the file
# (or its cells, in Jupyter or VS Code) to try it, then grade it.

# %%
# ruff: noqa: N999, F401 (NN_ file names give the course order)
import math

import numpy as np

from classical import pcm

# %% [markdown]
# ## 1. Distortion and rate
#
# $\mathrm{PSNR} = 10 \log_{10}(255^2 / \mathrm{MSE})$ on uint8 images (inf when equal);
# bpp $= 8 \cdot$ bytes $/ (H W)$: per PIXEL, so a raw RGB image is 24 bpp.

# %%
def psnr(reference, test):
    """PSNR in dB of two uint8 images, peak 255; inf for identical images."""
    raise NotImplementedError('exercise 09: write psnr')


def bpp(data, shape):
    """Bits per pixel of a stream ``data`` (bytes) for an image of ``shape`` (H, W) or (H, W, C)."""
    raise NotImplementedError('exercise 09: write bpp')


# %% [markdown]
# ## 2. An RD curve from real bytes
#
# For each bit depth, encode with `classical.pcm.encode(img, bits=b)`, decode, and
# measure bpp from `len()` of the stream (header included) and PSNR of the result.

# %%
def rd_curve(img, bits_list):
    """List of (bpp, psnr) pairs, one per bit depth in ``bits_list``."""
    raise NotImplementedError('exercise 09: write rd_curve')


# %% [markdown]
# ## 3. Bjontegaard delta rate
#
# Interpolate $\log_{10}$ rate as a function of PSNR for each curve, average the
# difference over the PSNR interval both curves cover, and turn it into percent:
# $100 (10^{\Delta} - 1)$.  Here: piecewise-linear interpolation (`np.interp`) and the
# trapezoid rule, exact when log-rate is linear in PSNR.

# %%
def bd_rate(rate_a, psnr_a, rate_b, psnr_b):
    """Average rate change of curve B against anchor A, in percent (negative: B is better)."""
    raise NotImplementedError('exercise 09: write bd_rate')


# %%
if __name__ == "__main__":
    from fundamentals.imageio import load_image

    img = load_image()
    for b, (r, d) in zip(range(1, 9), rd_curve(img, range(1, 9))):
        print(f"PCM {b} bits: {r:6.3f} bpp, {d:6.2f} dB")
