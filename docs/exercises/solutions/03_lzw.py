# %% [markdown]
# # Exercise 03 (reference solution): an LZW trace, in the Unix `compress` (.Z) format
#
# Page: `docs/exercises/03_lzw.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/03_lzw.py
#
# Your `compress` must be byte-identical to `classical.lzw.compress` for inputs of up
# to 256 bytes (short enough that every code is 9 bits wide).

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
    table = {bytes([i]): i for i in range(256)}
    free, w, out = FIRST, b"", []
    for c in data:
        wc = w + bytes([c])
        if wc in table:
            w = wc
        else:
            out.append(table[w])
            table[wc] = free
            free += 1
            w = bytes([c])
    if w:
        out.append(table[w])
    return out


# %% [markdown]
# ## 2. Packing codes LSB-first
#
# Code `i` occupies bits `i*n .. i*n + n - 1` of the stream, bit 0 of the code in the
# lowest free bit of the current byte; the last byte is padded with zero bits.

# %%
def pack_lsb(codes, n_bits):
    """Pack ``n_bits``-bit codes LSB-first into ceil(len(codes) * n_bits / 8) bytes."""
    acc = 0
    for i, code in enumerate(codes):
        acc |= code << (i * n_bits)
    return acc.to_bytes((len(codes) * n_bits + 7) // 8, "little")


# %% [markdown]
# ## 3. The .Z stream
#
# Magic `1F 9D`, one flags byte (block mode 0x80 | maxbits 16 = 0x90), then the codes.

# %%
def compress(data):
    """The .Z stream of ``data`` (at most 256 bytes, so all codes are 9 bits)."""
    return MAGIC + bytes([FLAGS]) + pack_lsb(lzw_codes(data), 9)


# %% [markdown]
# ## 4. The decoder, one entry behind
#
# The decoder adds `previous string + first byte of the current string`.  When a code
# is not in the table yet (the "KwKwK" case), it must be `previous + previous[0]`.

# %%
def decode_codes(codes):
    """Invert :func:`lzw_codes`: the bytes the codes stand for."""
    table = {i: bytes([i]) for i in range(256)}
    free, prev, out = FIRST, None, bytearray()
    for code in codes:
        if code in table:
            entry = table[code]
        elif code == free and prev is not None:
            entry = prev + prev[:1]  # KwKwK: the code being defined right now
        else:
            raise ValueError(f"bad code {code}")
        out += entry
        if prev is not None:
            table[free] = prev + entry[:1]
            free += 1
        prev = entry
    return bytes(out)


# %%
if __name__ == "__main__":
    text = b"TOBEORNOTTOBEORTOBEORNOT"
    codes = lzw_codes(text)
    print(codes)
    print(compress(text).hex())
    print(decode_codes(codes))
