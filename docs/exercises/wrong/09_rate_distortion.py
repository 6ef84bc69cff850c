# %% [markdown]
# KNOWN-WRONG solution of exercise 09, for testing the grader (it must FAIL).
# The mistake: PSNR with peak 1.0 instead of 255 on uint8 images (48.13 dB too low).
#
# # Exercise 09 (KNOWN-WRONG solution): rate-distortion curves and BD-rate
#
# Page: `docs/exercises/09_rate_distortion.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/09_rate_distortion.py
#
# Compared with `fundamentals.metrics` (`psnr`, `bpp`, `bd_rate`) and `classical.pcm`.

# %%
# ruff: noqa: N999 (NN_ file names give the course order)
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
    err = np.mean((np.asarray(reference, np.float64) - np.asarray(test, np.float64)) ** 2)
    return math.inf if err == 0 else float(10 * np.log10(1.0 / err))  # MISTAKE: peak 1.0


def bpp(data, shape):
    """Bits per pixel of a stream ``data`` (bytes) for an image of ``shape`` (H, W) or (H, W, C)."""
    return 8 * len(data) / (shape[0] * shape[1])


# %% [markdown]
# ## 2. An RD curve from real bytes
#
# For each bit depth, encode with `classical.pcm.encode(img, bits=b)`, decode, and
# measure bpp from `len()` of the stream (header included) and PSNR of the result.

# %%
def rd_curve(img, bits_list):
    """List of (bpp, psnr) pairs, one per bit depth in ``bits_list``."""
    points = []
    for b in bits_list:
        data = pcm.encode(img, bits=b)
        points.append((bpp(data, img.shape), psnr(img, pcm.decode(data))))
    return points


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
    def mean_log_rate(rate, dist, lo, hi):
        order = np.argsort(dist)
        d, r = np.asarray(dist, float)[order], np.log10(np.asarray(rate, float)[order])
        grid = np.linspace(lo, hi, 1001)
        v = np.interp(grid, d, r)
        return float(np.sum((v[1:] + v[:-1]) / 2 * np.diff(grid)) / (hi - lo))
    lo = max(min(psnr_a), min(psnr_b))
    hi = min(max(psnr_a), max(psnr_b))
    delta = mean_log_rate(rate_b, psnr_b, lo, hi) - mean_log_rate(rate_a, psnr_a, lo, hi)
    return 100.0 * (10.0**delta - 1.0)


# %%
if __name__ == "__main__":
    from fundamentals.imageio import load_image

    img = load_image()
    for b, (r, d) in zip(range(1, 9), rd_curve(img, range(1, 9))):
        print(f"PCM {b} bits: {r:6.3f} bpp, {d:6.2f} dB")
