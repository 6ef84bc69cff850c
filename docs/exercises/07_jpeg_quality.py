# %% [markdown]
# # Exercise 07: JPEG quantization tables and the quality setting
#
# Page: `docs/exercises/07_jpeg_quality.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/07_jpeg_quality.py
#
# Compared with `classical.jpeg.quant_tables` and the DCT of `classical.dct`.
#
# Replace each `raise NotImplementedError(...)` below with your code.  Run the file
# (or its cells, in Jupyter or VS Code) to try it, then grade it.

# %%
# ruff: noqa: N999, F401 (NN_ file names give the course order)
import numpy as np

from classical.dct import dct2, idct2
from classical.jpeg import K1_LUMINANCE

# %% [markdown]
# ## 1. Scaling Annex K's tables (IJG's `jpeg_quality_scaling`)
#
# $s = \lfloor 5000 / q \rfloor$ for $q < 50$, $s = 200 - 2q$ otherwise; every entry
# becomes $\lfloor (t s + 50) / 100 \rfloor$, clamped to 1..255.

# %%
def quant_table(base, quality):
    """Scale an 8x8 base table (K.1 or K.2) for ``quality`` 1..100 (int array)."""
    raise NotImplementedError('exercise 07: write quant_table')


# %% [markdown]
# ## 2. Quantizing DCT coefficients (T.81 A.3.4)
#
# $Sq = \operatorname{round}(F / Q)$, halves rounded away from zero.

# %%
def quantize_block(F, Q):
    """Quantized coefficients Sq (int array) of an 8x8 coefficient block F with table Q."""
    raise NotImplementedError('exercise 07: write quantize_block')


# %% [markdown]
# ## 3. One block through JPEG's lossy path
#
# Level shift (-128), DCT, quantize with the luma table of `quality`, dequantize
# ($Sq \cdot Q$), inverse DCT, +128, round (halves up) and clip to 0..255.

# %%
def jpeg_block(block, quality):
    """(Sq, reconstruction as uint8) of one 8x8 block of samples at ``quality``."""
    raise NotImplementedError('exercise 07: write jpeg_block')


# %%
if __name__ == "__main__":
    from fundamentals.imageio import load_image

    block = load_image()[100:108, 100:108, 1]
    for q in (10, 50, 90):
        Sq, rec = jpeg_block(block, q)
        err = np.abs(rec.astype(int) - block).max()
        print(f"quality {q:3d}: {np.count_nonzero(Sq):2d} nonzero coefficients, max error {err}")
