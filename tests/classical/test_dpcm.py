import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from classical import ans, dpcm
from fundamentals.container import pack, unpack
from fundamentals.errors import CodecError, CorruptStreamError, UnsupportedError
from tests.pipeline.badstreams import check_decoder

images = st.one_of(
    arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40))),
    arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.just(3))),
)
#: Every (predictor, mode) pair the codec accepts.
SETTINGS = [(p, "simple") for p in dpcm.PREDICTORS] + [("med", "he"), ("gap", "he")]


def _reference_predict(x, predictor):
    """T.81 Annex H, one pixel at a time: Table H.1 and the H.1.2.1 border rules."""
    x = x.astype(int)
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if i == 0 and j == 0:
                out[i, j] = 128
            elif i == 0:
                out[i, j] = x[i, j - 1]
            elif j == 0:
                out[i, j] = x[i - 1, j]
            else:
                a, b, c = x[i, j - 1], x[i - 1, j], x[i - 1, j - 1]
                out[i, j] = {1: a, 2: b, 3: c, 4: a + b - c, 5: a + ((b - c) >> 1), 6: b + ((a - c) >> 1),
                             7: (a + b) >> 1, "med": min(a, b) if c >= max(a, b) else
                             max(a, b) if c <= min(a, b) else a + b - c}[predictor]
    return np.clip(out, 0, 255)


# ---- golden values ------------------------------------------------------------------------------

GOLDEN = np.array([[10, 12, 13], [11, 12, 15], [11, 13, 16]], np.uint8)
# Interior pixels (1,1), (1,2), (2,1), (2,2) have (a, b, c) = (11,12,10), (12,13,12), (11,12,11), (13,15,12).
GOLDEN_INTERIOR = {1: [11, 12, 11, 13], 2: [12, 13, 12, 15], 3: [10, 12, 11, 12], 4: [13, 13, 12, 16],
                   5: [12, 12, 11, 14], 6: [12, 13, 12, 15], 7: [11, 12, 11, 14], "med": [12, 13, 12, 15]}


@pytest.mark.parametrize("predictor", list(GOLDEN_INTERIOR))
def test_annex_h_golden(predictor):
    pred = dpcm.predict(GOLDEN, predictor)
    assert pred[0].tolist() == [128, 10, 12]  # first pixel 2**(P-1), then a
    assert pred[:, 0].tolist() == [128, 10, 11]  # first column: b
    assert pred[1:, 1:].ravel().tolist() == GOLDEN_INTERIOR[predictor]


@given(img=arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12))),
       predictor=st.sampled_from([1, 2, 3, 4, 5, 6, 7, "med"]))
def test_predict_matches_pixel_loop(img, predictor):
    assert (dpcm.predict(img, predictor) == _reference_predict(img, predictor)).all()


def test_gap_follows_edges():
    # a vertical edge (columns differ, rows constant): GAP predicts from above (d_h >> d_v)
    img = np.tile(np.array([0, 0, 200, 200, 0, 0, 200, 200], np.uint8), (6, 1))
    assert (dpcm.predict(img, "gap")[2:, 2:] == img[2:, 2:]).all()


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (2, 2), (5, 9), (9, 5), (12, 12)])
def test_wavefront_covers_each_pixel_once_after_its_neighbours(shape):
    spec, full = dpcm._Spec(shape, 4, 0, False), dpcm._neighbours(*shape)
    front_of = np.full(spec.n + 1, -1)
    front_of[-1] = -2  # the first pixel's stand-in value is there from the start
    for t, (k, nb) in enumerate(spec.fronts()):
        assert (nb == full[:, k]).all()
        assert (front_of[k] == -1).all() and (front_of[nb] != -1).all() and (front_of[nb] < t).all()
        front_of[k] = t
    assert (front_of[:-1] >= 0).all()


# ---- round trips --------------------------------------------------------------------------------


@given(img=images, setting=st.sampled_from(SETTINGS))
@example(img=np.zeros((1, 1), np.uint8), setting=("gap", "he"))
@example(img=np.full((1, 1, 3), 255, np.uint8), setting=("gap", "he"))
@example(img=np.full((7, 5, 3), 255, np.uint8), setting=("med", "he"))
@example(img=np.arange(256, dtype=np.uint8).reshape(16, 16), setting=(4, "simple"))
@example(img=np.tile(np.array([[0, 255], [255, 0]], np.uint8), (8, 9)), setting=("gap", "he"))
@example(img=np.dstack([np.zeros((9, 9), np.uint8), np.full((9, 9), 255, np.uint8),
                        np.zeros((9, 9), np.uint8)]), setting=("gap", "he"))
def test_lossless_round_trip(img, setting):
    predictor, mode = setting
    data = dpcm.encode(img, predictor=predictor, mode=mode)
    out = dpcm.decode(data)
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert (out == img).all()


@given(img=images, setting=st.sampled_from(SETTINGS), near=st.integers(1, 6))
@example(img=np.tile(np.array([[0, 255]], np.uint8), (5, 5)), setting=("gap", "he"), near=3)
def test_near_lossless_error_bound(img, setting, near):
    predictor, mode = setting
    out = dpcm.decode(dpcm.encode(img, predictor=predictor, mode=mode, near=near))
    assert out.shape == img.shape
    assert np.abs(out.astype(int) - img).max() <= near


def test_deterministic_and_compresses():
    from fundamentals.imageio import load_image

    smooth = load_image()[100:132, 200:248]
    a, b = dpcm.encode(smooth), dpcm.encode(smooth)
    assert a == b
    assert len(a) < smooth.size / 2  # a smooth image needs well under 4 bits per sample
    assert len(dpcm.encode(smooth, near=3)) < len(a)


def test_open_loop_drifts_closed_loop_does_not():
    ramp = np.tile(np.arange(0, 200, 2, dtype=np.uint8), (4, 1))
    drift = np.abs(dpcm.open_loop(ramp, 1, near=1).astype(int) - ramp)
    assert drift.max() > 10  # errors add up along the row
    closed = dpcm.decode(dpcm.encode(ramp, predictor=1, near=1))
    assert np.abs(closed.astype(int) - ramp).max() <= 1


def test_he_beats_simple_on_sample_image():
    from fundamentals.imageio import load_image

    img = load_image()[:96, :128]
    he, simple = len(dpcm.encode(img)), len(dpcm.encode(img, predictor="med", mode="simple"))
    assert he < 0.9 * simple


# ---- the rANS stream format ---------------------------------------------------------------------


def test_rans_encoder_matches_classical_ans():
    rng = np.random.default_rng(0)
    cdfs = np.stack([ans.quantize_pmf(rng.random(300) ** 4, 16) for _ in range(3)])
    ctx = rng.integers(0, 3, 5000)
    sym = rng.integers(0, 300, 5000)
    start = cdfs[ctx, sym]
    ours = dpcm._rans_encode(cdfs[ctx, sym + 1] - start, start, 64)
    assert ours == ans.encode(sym, cdfs, ctx, lanes=64)


def test_rans_stepper_decodes_classical_ans_in_pieces():
    rng = np.random.default_rng(1)
    cdf = ans.quantize_pmf(rng.random(512), 16)

    class Table:
        start = cdf[None, :]
        flat = cdf[None, :]

    sym = rng.integers(0, 512, 1000)
    stepper = dpcm._RansStepper(ans.encode(sym, cdf), 1000)
    pieces, got = [3, 1, 500, 6, 490], []
    for m in pieces:
        got.append(stepper(np.zeros(m, np.int64), None, Table))
    assert (np.concatenate(got) == sym).all()


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    ({"predictor": 0}, "predictor"), ({"predictor": "gap", "mode": "simplex"}, "mode"),
    ({"predictor": 4, "mode": "he"}, "mode"), ({"near": -1}, "near"), ({"near": 33}, "near"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        dpcm.encode(np.zeros((2, 2), np.uint8), **kwargs)


@pytest.mark.parametrize("setting", [("gap", "he"), (5, "simple")])
def test_damaged_streams(setting):
    rng = np.random.default_rng(2)
    img = np.cumsum(rng.integers(-3, 4, (9, 11, 3)), axis=0).clip(0, 255).astype(np.uint8)
    good = dpcm.encode(img, predictor=setting[0], mode=setting[1])
    header, payload = unpack(good)
    assert check_decoder(dpcm.decode, good, header_end=header.size) == []

    def repack(p):  # damage behind a valid header and CRC: reaches the payload decoder
        return pack("dpcm", p, shape=img.shape, params=header.params)

    for k in range(0, len(payload), 3):
        for damaged in (payload[:k], payload[:k] + bytes([payload[k] ^ 0x5A]) + payload[k + 1 :]):
            try:
                out = dpcm.decode(repack(damaged))
            except CodecError:
                continue
            assert out.shape == img.shape and out.dtype == np.uint8


@pytest.mark.parametrize("params", [
    {"mode": "he", "predictor": 4, "near": 0, "rct": True}, {"mode": "he", "predictor": "gap", "near": 0},
    {"mode": "simple", "predictor": 1, "near": 99, "rct": False}, {"mode": "x", "predictor": 1, "near": 0},
    {"mode": "he", "predictor": "gap", "near": 0, "rct": False},  # RGB lossless he always uses the RCT
])
def test_forged_params(params):
    with pytest.raises(CorruptStreamError, match="parameters"):
        dpcm.decode(pack("dpcm", b"\0" * 8, shape=(2, 2, 3), params=params))


def test_decompression_bomb_refused():
    params = {"mode": "he", "predictor": "gap", "near": 0, "rct": False}
    with pytest.raises(UnsupportedError, match="limit"):
        dpcm.decode(pack("dpcm", b"\1" + b"\0" * 8, shape=(1 << 14, 1 << 14), params=params))


# ---- data set -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_kodak_bits_per_pixel(data_dir):
    from fundamentals.imageio import load_image

    bpp = []
    for path in sorted((data_dir / "kodak").glob("*.png")):
        img = load_image(path)
        data = dpcm.encode(img)
        assert (dpcm.decode(data) == img).all()
        bpp.append(8 * len(data) / (img.shape[0] * img.shape[1]))
    print(f"dpcm lossless on Kodak: {np.mean(bpp):.3f} bpp (WebP lossless 9.61, PNG 13.40)")
    assert len(bpp) == 24 and np.mean(bpp) <= 9.6


@pytest.mark.parametrize("predictor", range(1, 8))
def test_format_jpeg_lossless_is_a_real_sof3_file(predictor):
    """format='jpeg-lossless' writes T.81 process 14; Pillow (libjpeg-turbo 3) opens it pixel-exact."""
    import io

    from PIL import Image

    img = np.random.default_rng(predictor).integers(0, 256, (13, 17, 3), dtype=np.uint8)
    data = dpcm.encode(img, predictor=predictor, format="jpeg-lossless")
    assert data[:2] == b"\xff\xd8" and b"\xff\xc3" in data
    np.testing.assert_array_equal(dpcm.decode(data), img)
    with Image.open(io.BytesIO(data)) as im:
        np.testing.assert_array_equal(np.asarray(im), img)
    with pytest.raises(ValueError, match="jpeg-lossless"):
        dpcm.encode(img, predictor="gap", format="jpeg-lossless")
    with pytest.raises(ValueError, match="format"):
        dpcm.encode(img, format="png")
