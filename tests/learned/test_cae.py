"""The plain-autoencoder baseline: ``train --model cae`` on a tiny configuration and ``learned.cae_codec``."""

import csv
import json

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from PIL import Image

from fundamentals.container import pack, unpack
from fundamentals.errors import CodecError, CorruptStreamError, UnsupportedError
from learned import cae_codec, train
from learned.model import CAE

TINY = ["--model", "cae", "--cae-channels", "8,8,8", "--batch", "2", "--crop", "32", "--n-val", "1",
        "--val-every", "2", "--ckpt-every", "2", "--log-every", "1", "--no-progress", "--lr", "1e-3"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:48]
    for k in range(3):  # smooth synthetic images with a little noise
        im = np.stack([(xx * 4 + 40 * k) % 256, yy * 6, (xx + yy) * 3], -1) + rng.integers(0, 8, (40, 48, 3))
        Image.fromarray(np.clip(im, 0, 255).astype(np.uint8)).save(folder / f"img{k}.png")
    return str(folder)


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    """A 2-step CAE run with export: (run folder, weights file)."""
    out = tmp_path_factory.mktemp("cae")
    weights = out / "cae.npz"
    assert train.main(["--data", data, "--out", str(out), "--steps", "2", "--export", str(weights), *TINY]) == 0
    return out, weights


@pytest.fixture(scope="module")
def other_weights(tmp_path_factory):
    """Weights of another (untrained, differently seeded) CAE of the same size."""
    path = tmp_path_factory.mktemp("other") / "other.npz"
    cae_codec.save_weights(CAE((8, 8, 8), rngs=nnx.Rngs(1)), path)
    return path


def _arrays(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


# ---- training ----


def test_cae_run_writes_log_checkpoint_and_weights(run):
    out, weights = run
    with open(out / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == [1, 2]
    assert all(r["bpp"] == "" for r in rows)  # no rate term, no estimated rate while training
    assert float(rows[0]["loss"]) == float(rows[0]["mse"])  # loss = MSE
    assert 0 < float(rows[1]["val_bpp"]) <= 8 * 8 / 64  # order-0 entropy of 8-bit symbols, c3 = 8
    assert float(rows[1]["val_psnr"]) > 0
    ckpt = _arrays(out / "checkpoint.npz")
    config = json.loads(str(ckpt["config"]))
    assert int(ckpt["step"]) == 2 and config["model"] == "cae" and config["cae_channels"] == [8, 8, 8]
    assert any(k.startswith("model/encoder/") for k in ckpt) and any(k.startswith("opt/") for k in ckpt)
    _, meta, digest = cae_codec.load_weights(weights)
    assert meta == {"model": "cae", "channels": [8, 8, 8], "step": 2} and len(digest) == 16
    assert weights.stat().st_size < 1 << 20


def test_cae_resume_matches_uninterrupted_run(data, run, tmp_path):
    args = ["--data", data, "--out", str(tmp_path), "--steps", "2", *TINY]
    assert train.main([*args, "--until", "1"]) == 0
    assert train.main([*args, "--resume"]) == 0
    a, b = _arrays(run[0] / "checkpoint.npz"), _arrays(tmp_path / "checkpoint.npz")
    assert a.keys() == b.keys()
    for k in a:
        if k not in ("seconds", "config"):
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_cae_channels_are_checked():
    with pytest.raises(SystemExit):
        train.main(["--out", "unused", "--model", "cae", "--cae-channels", "8,8"])
    with pytest.raises(ValueError, match="model"):
        train.TrainConfig(model="vae")


# ---- the codec ----


@settings(max_examples=10)
@given(arrays(np.uint8, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=17))
       | arrays(np.uint8, st.tuples(st.integers(1, 17), st.integers(1, 17), st.just(3))))
@example(np.zeros((1, 1), np.uint8))
@example(np.full((8, 8, 3), 255, np.uint8))
@example(np.arange(256, dtype=np.uint8).reshape(16, 16))
def test_round_trip_shape_and_dtype(run, img):
    weights = run[1]
    out = cae_codec.decode(cae_codec.encode(img, weights=weights), weights=weights)
    assert out.shape == img.shape and out.dtype == np.uint8


@pytest.mark.parametrize("shape", [(0, 0), (0, 5, 3), (4, 0)])
def test_empty_images_are_refused(run, shape):
    with pytest.raises(ValueError, match="at least one pixel"):
        cae_codec.encode(np.zeros(shape, np.uint8), weights=run[1])


def test_decode_mirrors_the_model(run):
    """Symbols are round(255 z) of the padded image; the decoder sees s / 255, as CAE(quantize=True)."""
    weights = run[1]
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (13, 21, 3), dtype=np.uint8)
    blob = cae_codec.encode(img, weights=weights)
    model, _, _ = cae_codec.load_weights(weights)
    x = np.pad(img, ((0, 3), (0, 3), (0, 0)), mode="edge")[None].astype(np.float32) / 255  # (1, 16, 24, 3)
    z = nnx.jit(CAE.encode)(model, jnp.asarray(x))  # (1, 2, 3, 8)
    s = np.round(np.asarray(z) * 255).astype(np.uint8)
    from classical import huffman

    _, payload = unpack(blob, codec="cae")
    np.testing.assert_array_equal(huffman.decode_symbols(payload), s[0].transpose(2, 0, 1).ravel())
    x_hat = nnx.jit(CAE.decode)(model, jnp.asarray(s, jnp.float32) / 255)
    expected = np.round(np.clip(np.asarray(x_hat[0]), 0, 1) * 255).astype(np.uint8)[:13, :21]
    np.testing.assert_array_equal(cae_codec.decode(blob, weights=weights), expected)


def test_deterministic(run):
    img = np.random.default_rng(4).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    a = cae_codec.encode(img, weights=run[1])
    assert a == cae_codec.encode(img.copy(), weights=run[1])
    np.testing.assert_array_equal(cae_codec.decode(a, weights=run[1]), cae_codec.decode(a, weights=run[1]))


def test_gray_decodes_to_gray(run):
    img = np.random.default_rng(5).integers(0, 256, (9, 10), dtype=np.uint8)
    out = cae_codec.decode(cae_codec.encode(img, weights=run[1]), weights=run[1])
    assert out.shape == (9, 10)


def test_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        cae_codec.encode(np.zeros((8, 8), np.float32), weights="unused.npz")
    with pytest.raises(ValueError, match="shape"):
        cae_codec.encode(np.zeros((8, 8, 4), np.uint8), weights="unused.npz")


def test_other_weights_unsupported(run, other_weights):
    blob = cae_codec.encode(np.zeros((8, 8, 3), np.uint8), weights=run[1])
    with pytest.raises(UnsupportedError, match="weights"):
        cae_codec.decode(blob, weights=other_weights)


def test_truncated_and_corrupted_streams_raise_codec_errors_only(run):
    weights = run[1]
    blob = cae_codec.encode(np.random.default_rng(6).integers(0, 256, (16, 24, 3), dtype=np.uint8), weights=weights)
    for n in range(len(blob)):
        with pytest.raises(CorruptStreamError):
            cae_codec.decode(blob[:n], weights=weights)
    rng = np.random.default_rng(7)
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 1 << int(rng.integers(8))
        try:
            out = cae_codec.decode(bytes(bad), weights=weights)
        except CodecError:
            continue
        assert out.dtype == np.uint8  # a flip the header tolerates (e.g. in a varint's slack) still decodes


def test_valid_container_bad_payload(run):
    weights = run[1]
    digest = cae_codec.load_weights(weights)[2]
    from classical import huffman

    cases = [
        pack("cae", b"junk", shape=(8, 8, 3), params={"weights": digest}),  # not a Huffman stream
        pack("cae", huffman.encode_symbols(np.zeros(7, np.uint8), 256), shape=(8, 8, 3),
             params={"weights": digest}),  # 7 symbols, the latent has 8
        pack("cae", huffman.encode_symbols(np.zeros(8, np.uint8), 16), shape=(8, 8, 3),
             params={"weights": digest}),  # wrong alphabet
        pack("cae", b"", shape=(8, 8, 3), params={}),  # no digest
        pack("cae", b"", shape=(8, 8, 3), params={"weights": 5}),
        pack("cae", b"x", shape=(0, 8), params={"weights": digest}),  # payload after an empty image
        pack("cae", b"", shape=(8, 8, 2), params={"weights": digest}),
        pack("cae", b"", shape=(8, 8, 3), dtype="uint16", params={"weights": digest}),
        pack("learned", b"", shape=(8, 8, 3), params={"weights": digest}),
    ]
    for blob in cases:
        with pytest.raises(CorruptStreamError):
            cae_codec.decode(blob, weights=weights)
    ok = pack("cae", huffman.encode_symbols(np.zeros(8, np.uint8), 256), shape=(8, 8, 3), params={"weights": digest})
    assert cae_codec.decode(ok, weights=weights).shape == (8, 8, 3)


@pytest.mark.skipif(not cae_codec.DEFAULT_WEIGHTS.exists(), reason="learned/weights/cae.npz not trained yet")
def test_shipped_weights_on_the_sample_image():
    from fundamentals.imageio import load_image
    from fundamentals.metrics import psnr

    img = load_image()[:64, :96]
    out = cae_codec.decode(cae_codec.encode(img))
    assert out.shape == img.shape and psnr(img, out) > 20
