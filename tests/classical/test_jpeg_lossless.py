"""Tests for classical.jpeg_lossless, with libjpeg-turbo (via Pillow and imagecodecs) as the reference.

What is checked, and against what:

* Pillow (libjpeg-turbo 3) opens every file we write pixel-exact: gray and RGB, every
  predictor 1..7, odd sizes, constant images, 0/255 extremes, restart intervals, a point
  transform, K.3 or optimized tables, and (Hypothesis) arbitrary small images.
* Our decoder reads libjpeg-turbo's lossless files (``imagecodecs.jpeg8_encode(...,
  lossless=True, predictor=p)``) pixel-exact, and on kodim23 our files are the same size
  as libjpeg-turbo's to within the header bytes.
* The building blocks: Table H.1 and the border rules of H.1.2.1, the cumulative-sum and
  wavefront reconstructions agree, category 16 of Table H.2, codes longer than the lookahead.
* Bad streams (every truncation, random mutations, random bytes) raise only ``CodecError``;
  other SOF types, precisions, sampling factors and YCbCr-marked files are ``UnsupportedError``.
"""

import hashlib
import io
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from classical import jpeg
from classical import jpeg_lossless as jl
from classical.jpeg_huffman import STD_DC_LUMINANCE, optimal_table
from fundamentals.bitio import pack_codes
from fundamentals.errors import CodecError, CorruptStreamError, UnsupportedError

Image = pytest.importorskip("PIL.Image")
imagecodecs = pytest.importorskip("imagecodecs")

SAMPLE = Path(jl.__file__).resolve().parents[1] / "fundamentals" / "data" / "kodim23.png"
PREDICTORS = range(1, 8)


# ---- helpers ----------------------------------------------------------------------------------


def pil_load(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def synthetic(shape, seed=0) -> np.ndarray:
    """A gradient plus noise, wrapping around 255 -> 0 (large differences too)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]]
    base = 40 + 7 * x + 11 * y
    if len(shape) == 3:
        base = np.stack([base, 255 - 2 * base, base[::-1] + 30], axis=-1)
    return ((base + rng.integers(0, 24, shape)) % 256).astype(np.uint8)


def segments(data: bytes):
    """(offset of FF, marker, payload) for each marker segment up to the first SOS."""
    pos, out = 2, []
    while True:
        marker, L = data[pos + 1], int.from_bytes(data[pos + 2:pos + 4], "big")
        out.append((pos, marker, data[pos + 4:pos + 2 + L]))
        if marker == 0xDA:
            return out
        pos += 2 + L


def replace_segment(data: bytes, marker: int, payload: bytes | None, new_marker: int | None = None) -> bytes:
    """Replace (None: drop) the first segment with this marker, optionally renaming it."""
    for pos, m, old in segments(data):
        if m == marker:
            m = m if new_marker is None else new_marker
            new = b"" if payload is None else bytes([0xFF, m]) + (len(payload) + 2).to_bytes(2, "big") + payload
            return data[:pos] + new + data[pos + 4 + len(old):]
    raise AssertionError(f"no marker {marker:02x}")


def payload_of(data: bytes, marker: int) -> bytes:
    return next(p for _, m, p in segments(data) if m == marker)


def assert_exact(data: bytes, img: np.ndarray, pillow: bool = True) -> None:
    np.testing.assert_array_equal(jl.decode(data), img)
    if pillow:
        np.testing.assert_array_equal(pil_load(data), img)


@pytest.fixture(scope="module")
def kodim23() -> np.ndarray:
    return np.asarray(Image.open(SAMPLE).convert("RGB"))


@pytest.fixture(scope="module")
def crop(kodim23) -> np.ndarray:
    return np.ascontiguousarray(kodim23[180:244, 300:396])  # 64 x 96, detailed


# ---- predictors and reconstruction (H.1.2.1) -----------------------------------------------------


@pytest.mark.parametrize("predictor,expected", [(1, 40), (2, 20), (3, 10), (4, 50), (5, 45), (6, 35), (7, 30)])
def test_table_h1(predictor, expected):
    x = np.array([[10, 20, 30], [40, 50, 60], [70, 80, 95]])  # at (1, 1): Ra = 40, Rb = 20, Rc = 10
    assert jl.predict(x, predictor)[1, 1] == expected


@pytest.mark.parametrize("predictor", PREDICTORS)
def test_border_rules(predictor):
    x = np.arange(1, 31).reshape(6, 5) * 3
    P = jl.predict(x, predictor, initial=64, rows_per_interval=3)
    for r in (0, 3):  # first line of the image and of the second restart interval: Ra, then 2**(P-Pt-1)
        assert P[r].tolist() == [64, *x[r, :-1]]
    assert P[[1, 2, 4, 5], 0].tolist() == x[[0, 1, 3, 4], 0].tolist()  # first column: Rb


def test_predictor_shift_is_arithmetic():
    x = np.array([[0, 0], [0, 0]]); x[0, 0] = 1  # at (1, 1): Ra = 0, Rb = 0, Rc = 1
    assert [int(jl.predict(x, p)[1, 1]) for p in (5, 6, 7)] == [-1, -1, 0]  # (0 - 1) >> 1 = -1


@pytest.mark.parametrize("rows", [0, 1, 3])
@pytest.mark.parametrize("predictor", PREDICTORS)
def test_reconstruct_inverts_predict(predictor, rows):
    x = np.random.default_rng(predictor).integers(0, 256, (7, 9, 3))
    diff = x - jl.predict(x, predictor, rows_per_interval=rows)
    np.testing.assert_array_equal(jl._reconstruct(diff, predictor, 128, rows), x)


@pytest.mark.parametrize("predictor", [1, 2])
def test_cumsum_equals_wavefront(predictor):
    d = np.random.default_rng(0).integers(-300, 300, (2, 5, 7, 3))
    np.testing.assert_array_equal(jl._undo_cumsum(d, predictor, 128, 0xFFFF), jl._undo_wavefront(d, predictor, 128, 0xFFFF))


# ---- difference coding (H.1.2.2, H.2) ------------------------------------------------------------


def test_category_16_has_no_extra_bits():
    t = optimal_table(np.bincount([0, 0, 16], minlength=256))  # codes: 0 -> '0', 16 -> '10'
    lookup = jl._lookup(t.BITS, t.HUFFVAL)
    assert lookup[0b10 << 14] == (2, 32768, 0)
    assert lookup[0xFFFF][2] == -1  # the all-ones pattern is no code
    # a 1 x 2 gray file whose second difference is 32768: decoded, then found out of range
    data = jl.encode(np.zeros((1, 2), dtype=np.uint8), optimize=False)
    sof = data[2:data.index(b"\xff\xc4")]
    sos = data[data.index(b"\xff\xda"):data.index(b"\xff\xda") + 10]  # Ls = 8 for one component
    dht = b"\xff\xc4\x00\x15" + bytes([0x00, 1, 1] + [0] * 14 + [0, 16])
    scan = pack_codes([0, 0b10], [1, 2], fill=1)  # Diff = 0, then category 16
    with pytest.raises(CorruptStreamError, match="sample 32896"):  # 128 + 32768
        jl.decode(b"\xff\xd8" + sof + dht + sos + scan + b"\xff\xd9")


def test_codes_longer_than_the_lookahead():
    freq = np.zeros(256, dtype=np.int64)
    freq[:17] = 1 << np.arange(17)  # powers of two: the deepest tree, cut to 16 bits (K.2, Figure K.3)
    t = optimal_table(freq)
    assert max(t.HUFFSIZE) == 16 and max(t.EHUFSI[:16] + np.arange(16)) > 16  # code + extra bits > 16
    rng = np.random.default_rng(1)
    ssss = rng.integers(0, 17, 500)
    diff = np.where(ssss == 16, 32768, (1 << ssss) - 1 - rng.integers(0, 1 << np.maximum(ssss - 1, 0)))
    diff = np.where(rng.random(500) < 0.5, diff, np.where(ssss == 16, 32768, -diff))
    extra = np.where(ssss == 16, 0, ssss)
    amp = np.where(diff < 0, diff + (1 << extra) - 1, diff) & ((1 << extra) - 1)
    codes = (t.EHUFCO[ssss] << extra) | amp
    seg = np.frombuffer(pack_codes(codes, t.EHUFSI[ssss] + extra, fill=1), dtype=np.uint8)
    out: list[int] = []
    jl._decode_interval(seg, 500, [jl._lookup(t.BITS, t.HUFFVAL)], out)
    assert out == diff.tolist()


# ---- our files, read by Pillow (libjpeg-turbo) ---------------------------------------------------


@pytest.mark.parametrize("size", [(1, 1), (7, 13), (17, 9)])
@pytest.mark.parametrize("channels", [(), (3,)])
@pytest.mark.parametrize("predictor", PREDICTORS)
def test_pillow_opens_our_files(predictor, channels, size):
    img = synthetic(size + channels, seed=predictor)
    assert_exact(jl.encode(img, predictor=predictor), img)


def extremes(shape):
    checker = (np.indices(shape[:2]).sum(0) % 2 * 255).astype(np.uint8)
    noise = (np.random.default_rng(5).random(shape[:2]) < 0.5).astype(np.uint8) * 255
    planes = [np.zeros(shape[:2], np.uint8), np.full(shape[:2], 255, np.uint8), checker, noise]
    return planes + [np.stack([checker, noise, 255 - checker], axis=-1), np.full(shape, 77, np.uint8)]


@pytest.mark.parametrize("predictor", PREDICTORS)
def test_constant_and_extreme_images(predictor):
    for img in extremes((9, 14, 3)):
        for optimize in (True, False):
            assert_exact(jl.encode(img, predictor=predictor, optimize=optimize), img)


@pytest.mark.parametrize("kw", [
    {"restart_interval": 13}, {"restart_interval": 13 * 4, "optimize": False}, {"restart_interval": 13 * 17},
    {"point_transform": 2}, {"point_transform": 7, "predictor": 6, "restart_interval": 26},
])
@pytest.mark.parametrize("channels", [(), (3,)])
def test_restarts_and_point_transform(kw, channels):
    img = synthetic((17, 13) + channels, seed=3)
    data = jl.encode(img, **{"predictor": 4, **kw})
    Pt = kw.get("point_transform", 0)
    expected = (img >> Pt) << Pt
    assert_exact(data, expected)
    np.testing.assert_array_equal(imagecodecs.jpeg8_decode(data), expected)
    assert data.count(b"\xff\xdd") == ("restart_interval" in kw)


def test_markers_and_fields():
    data = jl.encode(synthetic((5, 6, 3)), predictor=6, point_transform=1, restart_interval=12)
    assert [m for _, m, _ in segments(data)] == [0xC3, 0xC4, 0xDD, 0xDA]
    assert payload_of(data, 0xC3).hex() == "08" "0005" "0006" "03" "521100" "471100" "421100"
    assert payload_of(data, 0xDA).hex() == "03" "5200" "4710" "4220" "06" "00" "01"  # Ss, Se, Ah|Al
    assert payload_of(data, 0xDD).hex() == "000c"
    gray = jl.encode(synthetic((5, 6)), optimize=False)
    assert payload_of(gray, 0xC4) == bytes([0, *STD_DC_LUMINANCE.BITS, *STD_DC_LUMINANCE.HUFFVAL])


def test_deterministic_golden():
    data = jl.encode(synthetic((16, 24, 3)), predictor=5)
    assert data == jl.encode(synthetic((16, 24, 3)), predictor=5)
    assert hashlib.sha256(data).hexdigest()[:16] == "258396202c734d02"


@pytest.mark.parametrize("kw,match", [
    ({"predictor": 0}, "predictor"), ({"predictor": 8}, "predictor"), ({"predictor": True}, "predictor"),
    ({"point_transform": 8}, "point_transform"), ({"restart_interval": 5}, "multiple of the width"),
    ({"restart_interval": -1}, "restart_interval"),
])
def test_encode_rejects_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        jl.encode(synthetic((4, 6)), **kw)


@pytest.mark.parametrize("img", [np.zeros((0, 3), np.uint8), np.zeros((2, 2, 4), np.uint8),
                                 np.zeros((2, 2), np.float32), [[1, 2]], np.zeros((1, 65536), np.uint8)])
def test_encode_rejects_images(img):
    with pytest.raises(ValueError):
        jl.encode(img)


# ---- libjpeg-turbo's files, read by us -----------------------------------------------------------


@pytest.mark.parametrize("gray", [False, True])
@pytest.mark.parametrize("predictor", PREDICTORS)
def test_decode_libjpeg_turbo(crop, predictor, gray):
    for img in (crop[..., 1].copy() if gray else crop, synthetic((17, 9) if gray else (17, 9, 3))):
        data = imagecodecs.jpeg8_encode(img, lossless=True, predictor=predictor)
        assert payload_of(data, 0xDA)[-3] == predictor
        np.testing.assert_array_equal(jl.decode(data), img)


images = st.one_of(
    arrays(np.uint8, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=20)),
    arrays(np.uint8, st.tuples(st.integers(1, 20), st.integers(1, 20), st.just(3))),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images, st.integers(1, 7), st.booleans())
@example(np.zeros((1, 1), dtype=np.uint8), 1, True)
@example(np.arange(256, dtype=np.uint8).reshape(16, 16), 4, False)
@example(np.full((3, 2, 3), 255, dtype=np.uint8), 7, True)
def test_any_image_both_ways(img, predictor, optimize):
    ours = jl.encode(img, predictor=predictor, optimize=optimize)
    assert_exact(ours, img)
    theirs = imagecodecs.jpeg8_encode(img, lossless=True, predictor=predictor)
    np.testing.assert_array_equal(jl.decode(theirs), img)


def test_one_scan_per_component():
    img = synthetic((6, 7, 3))
    parts = []
    for k, C in enumerate(jl.RGB_IDS):  # each plane coded as a gray file, then re-labelled
        gray = jl.encode(img[..., k].copy(), predictor=k + 1)
        sos = bytearray(payload_of(gray, 0xDA))
        sos[1] = C
        start = gray.index(b"\xff\xda") + 2 + 2 + len(sos)
        dht = gray[gray.index(b"\xff\xc4"):gray.index(b"\xff\xda")]
        parts.append(dht + b"\xff\xda" + (len(sos) + 2).to_bytes(2, "big") + sos + gray[start:-2])
    full = jl.encode(img)
    sof = full[2:full.index(b"\xff\xc4")]
    data = b"\xff\xd8" + sof + b"".join(parts) + b"\xff\xd9"
    assert_exact(data, img)


# ---- bad and unsupported streams -----------------------------------------------------------------


def test_dct_sof_types_are_unsupported():
    with pytest.raises(UnsupportedError, match=r"baseline DCT \(SOF0\)"):
        jl.decode(jpeg.encode(synthetic((8, 8))))
    buf = io.BytesIO()
    Image.fromarray(synthetic((16, 16, 3))).save(buf, "JPEG", progressive=True)
    with pytest.raises(UnsupportedError, match="SOF2"):
        jl.decode(buf.getvalue())


@pytest.mark.parametrize("marker,match", [(0xC7, "SOF7"), (0xCB, "SOF11"), (0xC1, "SOF1")])
def test_other_sof_types_are_unsupported(marker, match):
    data = jl.encode(synthetic((8, 8)))
    with pytest.raises(UnsupportedError, match=match):
        jl.decode(replace_segment(data, 0xC3, payload_of(data, 0xC3), new_marker=marker))


def patched(data: bytes, marker: int, at: int, value: bytes) -> bytes:
    p = bytearray(payload_of(data, marker))
    p[at:at + len(value)] = value
    return replace_segment(data, marker, bytes(p))


@pytest.mark.parametrize("marker,at,value,error,match", [
    (0xC3, 0, b"\x0c", UnsupportedError, "P=12"),
    (0xC3, 7, b"\x21", UnsupportedError, "sampling"),
    (0xC3, 3, b"\x00\x00", CorruptStreamError, "X=0"),
    (0xC3, 1, b"\xff\xff\xff\xff", UnsupportedError, "MAX_PIXELS"),
    (0xC3, 9, b"\x52", CorruptStreamError, "repeated component"),
    (0xDA, 7, b"\x00", CorruptStreamError, "Ss=0"),
    (0xDA, 7, b"\x08", CorruptStreamError, "Ss=8"),
    (0xDA, 2, b"\x30", CorruptStreamError, "undefined Huffman table 3"),
    (0xDA, 1, b"\x01", CorruptStreamError, "component id 1"),
])
def test_bad_headers(marker, at, value, error, match):
    data = jl.encode(synthetic((16, 16, 3)))
    t = time.perf_counter()
    with pytest.raises(error, match=match):
        jl.decode(patched(data, marker, at, value))
    assert time.perf_counter() - t < 5  # refused before allocating anything large


def test_unsupported_component_counts_and_colour():
    data = jl.encode(synthetic((8, 8)))
    four = payload_of(data, 0xC3)[:5] + bytes([4]) + b"".join(bytes([c, 0x11, 0]) for c in range(1, 5))
    with pytest.raises(UnsupportedError, match="4 components"):
        jl.decode(replace_segment(data, 0xC3, four))
    rgb = jl.encode(synthetic((8, 8, 3)))
    jfif = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    with pytest.raises(UnsupportedError, match="YCbCr"):
        jl.decode(rgb[:2] + jfif + rgb[2:])
    np.testing.assert_array_equal(jl.decode(data[:2] + jfif + data[2:]), synthetic((8, 8)))  # gray: fine


def test_restart_errors():
    data = jl.encode(synthetic((8, 10)), restart_interval=20)
    assert b"\xff\xd1" in data
    with pytest.raises(CorruptStreamError, match="expected RST1"):
        jl.decode(data.replace(b"\xff\xd1", b"\xff\xd5"))
    with pytest.raises(CorruptStreamError, match="not a multiple"):
        jl.decode(replace_segment(data, 0xDD, b"\x00\x07"))


@pytest.mark.parametrize("data", [b"", b"\xff", b"GIF89a", b"\xff\xd8", b"\xff\xd8\xff\xd9", b"\xff\xd8\xff\xc4\x00"])
def test_not_jpeg_or_empty(data):
    with pytest.raises(CorruptStreamError):
        jl.decode(data)


MUTATION_BASE = [
    jl.encode(synthetic((9, 7, 3)), predictor=4),
    jl.encode(synthetic((9, 11)), predictor=1, restart_interval=11, optimize=False),
    jl.encode(synthetic((6, 5, 3)), predictor=7, restart_interval=10, point_transform=1),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("base", range(len(MUTATION_BASE)))
def test_every_truncation_raises_codec_error(base):
    data = MUTATION_BASE[base]
    full = jl.decode(data)
    for n in range(len(data)):
        try:
            out = jl.decode(data[:n])
        except CodecError:
            continue
        assert n >= len(data) - 2 and (out == full).all()  # without EOI the full image still decodes


@pytest.mark.timeout(300)
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_streams_raise_only_codec_errors(data):
    blob = bytearray(MUTATION_BASE[data.draw(st.integers(0, len(MUTATION_BASE) - 1))])
    for _ in range(data.draw(st.integers(1, 4))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    try:
        out = jl.decode(bytes(blob))
    except CodecError:
        return
    assert out.dtype == np.uint8 and out.ndim in (2, 3)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
@example(b"\xff\xc3\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00")  # SOF, no tables, no scan
@example(b"\xff\xda\x00\x08\x01\x01\x00\x01\x00\x00")  # SOS before SOF
def test_arbitrary_bytes_raise_only_codec_errors(blob):
    try:
        jl.decode(b"\xff\xd8" + blob)
    except CodecError:
        pass


# ---- the sample image, against libjpeg-turbo -------------------------------------------------------


def test_kodim23_same_size_as_libjpeg_turbo(kodim23):
    gray = np.ascontiguousarray(kodim23[..., 1])
    data = jl.encode(gray, predictor=7)
    assert_exact(data, gray)
    theirs = imagecodecs.jpeg8_encode(gray, lossless=True, predictor=7)
    assert len(data) == len(theirs) - 18  # the same optimal table and scan; they add a JFIF APP0


@pytest.mark.slow
def test_measure_against_libjpeg_turbo(kodim23, capsys):
    """Prints (does not assert) bpp and times against libjpeg-turbo (imagecodecs) on kodim23."""
    def best(f, n=3):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        return min(times)
    rows = ["image  pred  bpp ours  bpp libjpeg-turbo  enc s ours (ljt)  dec s ours (ljt)"]
    for name, img in (("RGB", kodim23), ("gray", np.ascontiguousarray(kodim23[..., 1]))):
        for p in PREDICTORS:
            ours, theirs = jl.encode(img, predictor=p), imagecodecs.jpeg8_encode(img, lossless=True, predictor=p)
            np.testing.assert_array_equal(jl.decode(theirs), img)
            assert_exact(ours, img)
            te = best(lambda p=p, img=img: jl.encode(img, predictor=p))
            tte = best(lambda p=p, img=img: imagecodecs.jpeg8_encode(img, lossless=True, predictor=p))
            td, ttd = best(lambda d=ours: jl.decode(d)), best(lambda d=theirs: imagecodecs.jpeg8_decode(d))
            bpp = [8 * len(d) / (img.shape[0] * img.shape[1]) for d in (ours, theirs)]
            rows.append(f"{name:5}  {p:4}  {bpp[0]:8.3f}  {bpp[1]:16.3f}  {te:7.2f} ({tte:.3f})  "
                        f"{td:7.2f} ({ttd:.3f})")
    with capsys.disabled():
        print("\n" + "\n".join(rows))
