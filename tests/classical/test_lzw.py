"""Tests of classical.lzw: byte-identical to ncompress, readable by every .Z reader."""

import os
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from classical import lzw
from fundamentals.container import pack
from fundamentals.errors import CodecError, CorruptStreamError, UnsupportedError

ncompress = pytest.importorskip("ncompress")

DATA = os.environ.get("COMPRESS_DATA")
CANTERBURY = (
    sorted(p.name for p in (Path(DATA) / "canterbury").glob("*") if p.suffix not in (".md", ".tsv"))
    if DATA and (Path(DATA) / "canterbury").is_dir()
    else []
)


def _words_text(n_bytes: int, seed: int = 1) -> bytes:
    """Pseudo-random text from a 3000-word vocabulary: fills a 16-bit table in ~300 KB."""
    rng = random.Random(seed)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 9)))
        for _ in range(3000)
    ]
    return " ".join(rng.choice(words) for _ in range(n_bytes // 4)).encode()[:n_bytes]


def _codes(z: bytes, n_bits: int = 9) -> list[int]:
    """The codes of a short .Z stream that never leaves its first width."""
    buf = np.frombuffer(z + b"\0\0\0", np.uint8)
    return lzw._unpack(buf, 24, (8 * len(z) - 24) // n_bits, n_bits).tolist()


def _stream(codes, flags=0x90, n_bits=9, extra=b""):
    """A hand-made .Z stream: header, then ``codes`` of ``n_bits`` bits, LSB-first."""
    bits = sum(c << (n_bits * i) for i, c in enumerate(codes))
    return bytes([0x1F, 0x9D, flags]) + bits.to_bytes(-(-n_bits * len(codes) // 8), "little") + extra


def _count_clears(data: bytes, monkeypatch) -> int:
    """Number of CLEAR codes compress writes (each one pads its group once)."""
    calls = []
    original = lzw._epoch_bits
    monkeypatch.setattr(lzw, "_epoch_bits", lambda c, m, pad=False: calls.append(pad) or original(c, m, pad))
    lzw.compress(data)
    monkeypatch.undo()
    return sum(calls)


# ---- byte-identical to ncompress, and its output read back ----

repetitive = st.builds(lambda unit, k: unit * k, st.binary(min_size=1, max_size=40), st.integers(1, 3000))
small_alphabet = st.lists(st.sampled_from(b"ab\x00\xff"), max_size=70000).map(bytes)


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=65536) | repetitive | small_alphabet)
@example(data=b"")
@example(data=b"\x00")
@example(data=b"\x00" * 100_000)
@example(data=bytes(range(256)))
@example(data=bytes(range(256)) + b"\x00")  # last code fills the 9-bit range: keeps width 9
@example(data=bytes(range(256)) * 40)
def test_identical_to_ncompress(data):
    ours = lzw.compress(data)
    assert ours == ncompress.compress(data)
    assert lzw.decompress(ours) == data


def test_empty_input_is_the_header_alone():
    assert lzw.compress(b"") == ncompress.compress(b"") == bytes.fromhex("1f9d90")
    assert lzw.decompress(b"\x1f\x9d\x90") == b""


def test_table_full_and_clear(monkeypatch):
    text = _words_text(300_000)
    assert lzw.compress(text) == ncompress.compress(text)
    assert lzw.decompress(ncompress.compress(text)) == text
    # A burst of noise in the middle makes the ratio drop: ncompress writes one CLEAR.
    noise = bytes(random.Random(2).getrandbits(8) for _ in range(30_000))
    mixed = text[:250_000] + noise + text[250_000:]
    assert lzw.compress(mixed) == ncompress.compress(mixed)
    assert lzw.decompress(ncompress.compress(mixed)) == mixed
    assert _count_clears(mixed, monkeypatch) == 1


@pytest.mark.skipif(not CANTERBURY, reason="set COMPRESS_DATA to the data folder")
@pytest.mark.parametrize("name", CANTERBURY)
def test_canterbury_identical(name):
    data = (Path(DATA) / "canterbury" / name).read_bytes()
    z = ncompress.compress(data)
    assert lzw.compress(data) == z
    assert lzw.decompress(z) == data


# ---- golden ----


def test_golden_tobeornot():
    z = lzw.compress(b"TOBEORNOTTOBEORTOBEORNOT")
    assert z[:3] == b"\x1f\x9d\x90"  # magic, block mode | 16 bits
    # T O B E O R N O T, then TO BE OR TOB EO RN OT (entries 257.. as in docs/classical/lzw.md)
    assert _codes(z) == [84, 79, 66, 69, 79, 82, 78, 79, 84, 257, 259, 261, 266, 260, 262, 264]
    assert len(z) == 3 + 16 * 9 // 8


def test_kwkwk():
    # "aaaa...": code 258 is used while it is being defined
    z = lzw.compress(b"a" * 6)
    assert _codes(z) == [97, 257, 258]
    assert lzw.decompress(z) == b"a" * 6


def test_width_growth_pads_to_group_end():
    # 600 distinct pairs: 256 codes of 9 bits (32 groups), then 10-bit codes
    data = bytes(range(256)) + bytes(range(0, 256, 2)) + bytes(range(1, 256, 2)) + bytes(range(255, -1, -1))
    z = lzw.compress(data)
    assert z == ncompress.compress(data)
    assert lzw._segments(300, 16) == [(256, 9), (44, 10)]


def test_non_block_mode_stream():
    # Crafted by hand (no CLEAR, first free code 256): A B AB ABA, 9-bit codes, flags 0x10
    z = _stream([65, 66, 256, 258], flags=0x10)
    assert lzw.decompress(z) == b"ABABABA"
    if shutil.which("gzip"):
        assert subprocess.run(["gzip", "-dc"], input=z, capture_output=True, check=True).stdout == b"ABABABA"


@pytest.mark.parametrize("maxbits", [9, 10, 12, 15, 16])
def test_smaller_maxbits_round_trip(maxbits):
    data = _words_text(120_000, seed=maxbits) + bytes(range(256)) * 8
    z = lzw.compress(data, maxbits=maxbits)
    assert z[2] == 0x80 | maxbits
    assert lzw.decompress(z) == data
    if maxbits == 9:
        return  # gzip and unlzw3 read "9" as 10 bits, as compress 4.0 wrote it; ncompress keeps 9
    unlzw3 = pytest.importorskip("unlzw3")
    assert unlzw3.unlzw(z) == data
    if shutil.which("gzip"):
        assert subprocess.run(["gzip", "-dc"], input=z, capture_output=True, check=True).stdout == data


@pytest.mark.skipif(shutil.which("compress") is None, reason="no system compress")
def test_system_compress_identical():
    data = _words_text(50_000)
    z = subprocess.run(["compress", "-c"], input=data, capture_output=True, check=True).stdout
    assert lzw.compress(data) == z


# ---- bad input ----


@pytest.mark.parametrize("maxbits", [8, 17, 12.0, "16"])
def test_maxbits_range(maxbits):
    with pytest.raises(ValueError, match="9..16"):
        lzw.compress(b"abc", maxbits=maxbits)


@pytest.mark.parametrize(
    ("stream", "error", "match"),
    [
        (b"", CorruptStreamError, "too short"),
        (b"\x1f\x9d", CorruptStreamError, "too short"),
        (b"\x1f\x8b\x08abc", CorruptStreamError, "magic"),
        (b"\x1f\x9d\x91\x41\x00", UnsupportedError, "17-bit"),
        (b"\x1f\x9d\x88\x41\x00", CorruptStreamError, "below 9"),
        (_stream([256, 65]), CorruptStreamError, "first code 256"),  # CLEAR first
        (_stream([257]), CorruptStreamError, "first code 257"),
        (_stream([65, 66, 259]), CorruptStreamError, "beyond the next free code"),  # 258 is next
        (_stream([65], extra=bytes(8)), CorruptStreamError, "bits after the last"),  # 8 NULs + 8 bits
        (_stream([65])[:-1] + b"\x80", CorruptStreamError, "nonzero padding"),
        (_stream([65, 256]), CorruptStreamError, "CLEAR"),  # stream ends right after CLEAR
        (_stream([65, 66, 258]), type(None), ""),  # the KwKwK code itself is fine
    ],
)
def test_bad_streams(stream, error, match):
    if error is type(None):
        assert lzw.decompress(stream) == b"ABBB"
        return
    with pytest.raises(error, match=match):
        lzw.decompress(stream)


def test_max_length():
    z = lzw.compress(b"\x00" * 100_000)
    assert lzw.decompress(z, max_length=100_000) == b"\x00" * 100_000
    with pytest.raises(CorruptStreamError, match="max_length"):
        lzw.decompress(z, max_length=99_999)


@settings(max_examples=150, deadline=None)
@given(
    cut=st.integers(0, 400), flips=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 255)), max_size=3)
)
def test_damaged_streams_fail_cleanly(cut, flips):
    """Truncated or bit-flipped streams raise CodecError or decode to something: never hang or crash."""
    data = _words_text(3000)
    z = bytearray(lzw.compress(data)[:cut] if cut else lzw.compress(data))
    for where, mask in flips:
        if where < len(z):
            z[where] ^= mask
    try:
        out = lzw.decompress(bytes(z))
    except CodecError:
        return
    if not flips:  # a truncation that is not detected gives a prefix of the data
        assert data.startswith(out)


# ---- image codec ----

images = arrays(np.uint8, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40)) | arrays(
    np.uint8, st.tuples(st.integers(1, 30), st.integers(1, 30), st.just(3))
)


@settings(max_examples=60, deadline=None)
@given(img=images, maxbits=st.sampled_from([9, 12, 16]))
@example(img=np.zeros((1, 1), np.uint8), maxbits=16)
@example(img=np.arange(256, dtype=np.uint8).reshape(16, 16), maxbits=9)
@example(img=np.full((64, 64, 3), 255, np.uint8), maxbits=16)
def test_image_round_trip(img, maxbits):
    out = lzw.decode(lzw.encode(img, maxbits=maxbits))
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert (out == img).all()


def test_image_planes_in_order():
    img = np.zeros((2, 3, 3), np.uint8)
    img[..., 1] = 1
    img[..., 2] = 2
    blob = lzw.encode(img)
    assert blob.endswith(lzw.compress(bytes(6) + b"\x01" * 6 + b"\x02" * 6))


@pytest.mark.parametrize(
    ("img", "match"),
    [
        (np.zeros((4, 4), np.float32), "dtype uint8"),
        (np.zeros((4, 4, 4), np.uint8), r"shape \(H, W\)"),
        (np.zeros(5, np.uint8), r"shape \(H, W\)"),
        ([[1, 2]], "numpy array"),
    ],
)
def test_image_validation(img, match):
    with pytest.raises(ValueError, match=match):
        lzw.encode(img)


def test_image_wrong_payload_length():
    blob = pack("lzw", lzw.compress(b"\x00" * 5), shape=(2, 3))
    with pytest.raises(CorruptStreamError, match="needs 6"):
        lzw.decode(blob)
    blob = pack("lzw", lzw.compress(b"\x00" * 7), shape=(2, 3))
    with pytest.raises(CorruptStreamError):
        lzw.decode(blob)
    with pytest.raises(CorruptStreamError, match="codec"):
        lzw.decode(pack("rle", b"", shape=(1, 1)))
