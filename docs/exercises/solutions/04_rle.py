# %% [markdown]
# # Exercise 04 (reference solution): run-length coding as TIFF's PackBits
#
# Page: `docs/exercises/04_rle.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/04_rle.py
#
# Your encoder must be byte-identical to `classical.rle.packbits_encode` (which follows
# the encoder rule below); your decoder must read any valid PackBits stream.

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
    data = bytes(data)
    runs = []  # (byte, length) of maximal runs
    i = 0
    while i < len(data):
        j = i
        while j < len(data) and data[j] == data[i]:
            j += 1
        runs.append((data[i], j - i))
        i = j
    out, literal = bytearray(), bytearray()
    last_was_repeat = True  # the start of the data counts like "after a repeat"

    def flush():
        for k in range(0, len(literal), MAX_PACKET):
            chunk = literal[k : k + MAX_PACKET]
            out.append(len(chunk) - 1)
            out.extend(chunk)
        literal.clear()

    for byte, n in runs:
        if n >= 3 or (n == 2 and last_was_repeat):
            flush()
            while n > 0:
                take = min(n, MAX_PACKET)
                if n - take == 1:  # never leave a single byte: 129 = 127 + 2, not 128 + 1
                    take -= 1
                out += bytes([257 - take, byte])
                n -= take
            last_was_repeat = True
        else:
            literal += bytes([byte]) * n
            last_was_repeat = False
    flush()
    return bytes(out)


# %% [markdown]
# ## 2. The decoder
#
# Header byte `h`: `h < 128` is a literal of `h + 1` bytes; `h > 128` repeats the next
# byte `257 - h` times; `h == 128` is a no-op.

# %%
def packbits_decode(data):
    """Unpack a PackBits stream (bytes)."""
    data = bytes(data)
    out = bytearray()
    i = 0
    while i < len(data):
        h = data[i]
        i += 1
        if h < 128:
            out += data[i : i + h + 1]
            i += h + 1
        elif h > 128:
            out += data[i : i + 1] * (257 - h)
            i += 1
    return bytes(out)


# %%
if __name__ == "__main__":
    for text in (b"aaaaaa\x80\x00*", b"abcc", b"ccab", b"\x00" * 129):
        packed = packbits_encode(text)
        print(text, "->", packed.hex(), "->", packbits_decode(packed) == text)
