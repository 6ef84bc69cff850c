# %% [markdown]
# # Exercise 03: an LZW trace, in the Unix `compress` (.Z) format
#
# Page: `docs/exercises/03_lzw.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/03_lzw.py
#
# Your `compress` must be byte-identical to `classical.lzw.compress` for inputs of up
# to 256 bytes (short enough that every code is 9 bits wide).
#
# Replace each `raise NotImplementedError(...)` below with your code.  Run the file
# (or its cells, in Jupyter or VS Code) to try it, then grade it.

# %%
# ruff: noqa: N999 (NN_ file names give the course order)
MAGIC = b"\x1f\x9d"
FLAGS = 0x80 | 16  # block mode (code 256 is CLEAR), maxbits 16
CLEAR = 256
FIRST = 257  # first free dictionary code in block mode


# %% [markdown]
# ## 1. The encoder's code trace (Welch 1984)
#
# Start with the 256 single bytes as codes 0..255.  Grow the current string `w` while
# `w + c` is in the dictionary; otherwise emit the code of `w`, add `w + c` as the next
# free code (257, 258, ...), and restart from `c`.  At the end emit the code of `w`.

# %%
def lzw_codes(data):
    """The list of codes LZW emits for ``data`` (bytes)."""
    raise NotImplementedError('exercise 03: write lzw_codes')


# %% [markdown]
# ## 2. Packing codes LSB-first
#
# Code `i` occupies bits `i*n .. i*n + n - 1` of the stream, bit 0 of the code in the
# lowest free bit of the current byte; the last byte is padded with zero bits.

# %%
def pack_lsb(codes, n_bits):
    """Pack ``n_bits``-bit codes LSB-first into ceil(len(codes) * n_bits / 8) bytes."""
    raise NotImplementedError('exercise 03: write pack_lsb')


# %% [markdown]
# ## 3. The .Z stream
#
# Magic `1F 9D`, one flags byte (block mode 0x80 | maxbits 16 = 0x90), then the codes.

# %%
def compress(data):
    """The .Z stream of ``data`` (at most 256 bytes, so all codes are 9 bits)."""
    raise NotImplementedError('exercise 03: write compress')


# %% [markdown]
# ## 4. The decoder, one entry behind
#
# The decoder adds `previous string + first byte of the current string`.  When a code
# is not in the table yet (the "KwKwK" case), it must be `previous + previous[0]`.

# %%
def decode_codes(codes):
    """Invert :func:`lzw_codes`: the bytes the codes stand for."""
    raise NotImplementedError('exercise 03: write decode_codes')


# %%
if __name__ == "__main__":
    text = b"TOBEORNOTTOBEORTOBEORNOT"
    codes = lzw_codes(text)
    print(codes)
    print(compress(text).hex())
    print(decode_codes(codes))
