# %% [markdown]
# # Exercise 04: run-length coding as TIFF's PackBits
#
# Page: `docs/exercises/04_rle.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/04_rle.py
#
# Your encoder must be byte-identical to `classical.rle.packbits_encode` (which follows
# the encoder rule below); your decoder must read any valid PackBits stream.
#
# Replace each `raise NotImplementedError(...)` below with your code.  Run the file
# (or its cells, in Jupyter or VS Code) to try it, then grade it.

# %%
# ruff: noqa: N999 (NN_ file names give the course order)
MAX_PACKET = 128


# %% [markdown]
# ## 1. The encoder
#
# Rule: cut the input into maximal runs of equal bytes.  A run of 3 or more becomes
# repeat packets (header `257 - n` as a byte, then the byte) of at most 128 bytes,
# splitting 129 as 127 + 2 (every repeat covers 2..128).  A run of exactly 2 is a
# repeat packet when it starts the data or follows a repeat packet; after a literal
# byte it joins the literal.  A chain of 2-runs takes the decision of its first run.
# Everything else goes into literal packets (header `n - 1`, then `n` bytes, n <= 128).

# %%
def packbits_encode(data):
    """PackBits packets for ``data`` (bytes), by the rule above."""
    raise NotImplementedError('exercise 04: write packbits_encode')


# %% [markdown]
# ## 2. The decoder
#
# Header byte `h`: `h < 128` is a literal of `h + 1` bytes; `h > 128` repeats the next
# byte `257 - h` times; `h == 128` is a no-op.

# %%
def packbits_decode(data):
    """Unpack a PackBits stream (bytes)."""
    raise NotImplementedError('exercise 04: write packbits_decode')


# %%
if __name__ == "__main__":
    for text in (b"aaaaaa\x80\x00*", b"abcc", b"ccab", b"\x00" * 129):
        packed = packbits_encode(text)
        print(text, "->", packed.hex(), "->", packbits_decode(packed) == text)
