"""The learned codec's bitstream: round trips through classical.ans, escapes, bad streams."""

import numpy as np
import pytest
from flax import nnx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError, UnsupportedError
from learned import codec
from learned.model import FactorizedPrior, ModelConfig


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("w") / "tiny.npz"
    codec.save_weights(FactorizedPrior(ModelConfig(N=8, M=8), rngs=nnx.Rngs(3)), path, lmbda=0.01)
    return path


def _image(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _reference(weights, img):
    """What the model itself reconstructs after rounding (no bitstream involved)."""
    model, tables, _, _ = codec.load_weights(weights)
    H, W = img.shape[:2]
    x = np.pad(img, ((0, -H % 16), (0, -W % 16), (0, 0)), mode="edge")
    y = np.asarray(codec._g_a(model, x))[0]
    q = np.rint(y.astype(np.float64) - tables.medians)
    return np.asarray(codec._g_s(model, (q.astype(np.float32) + tables.medians)[None]))[0, :H, :W]


@pytest.mark.parametrize("shape", [(1, 1, 3), (17, 35, 3), (32, 16, 3)])
def test_round_trip_equals_model_reconstruction(weights, shape):
    img = _image(shape)
    data = codec.encode(img, weights=weights)
    assert data == codec.encode(img, weights=weights)  # deterministic
    out = codec.decode(data, weights=weights)
    assert out.shape == img.shape and out.dtype == np.uint8
    np.testing.assert_array_equal(out, _reference(weights, img))
    header, _ = unpack(data, codec="learned")
    assert header.shape == shape and header.params["weights"] == codec.load_weights(weights)[3]


def test_gray_and_empty(weights):
    gray = _image((5, 7))
    out = codec.decode(codec.encode(gray, weights=weights), weights=weights)
    assert out.shape == (5, 7) and out.dtype == np.uint8
    for shape in [(0, 4), (3, 0, 3)]:  # images have at least one pixel (DESIGN.md)
        with pytest.raises(ValueError, match="at least one pixel"):
            codec.encode(np.zeros(shape, np.uint8), weights=weights)


def test_escapes_are_coded_not_clipped(weights, tmp_path):
    """Narrow tables (3 symbols) force many escapes; the latent integers still come back exactly."""
    tables = codec.load_weights(weights)[1]
    q = np.arange(-400, 400, 10).reshape(8, 2, 5)  # (M, h, w), partly far outside the table
    s, esc = codec._to_symbols(q, tables)
    assert len(esc) > 0 and (s <= tables.escape).all()
    np.testing.assert_array_equal(codec._from_symbols(s.reshape(q.shape), esc, tables), q)
    narrow = tmp_path / "narrow.npz"
    with np.load(weights) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["cdf"] = np.tile(np.array([0, 20000, 40000, 60000, 65536], np.int32), (8, 1))
    arrays["offsets"] = np.full(8, -1, np.int32)
    np.savez(narrow, **arrays)
    img = _image((32, 32, 3), seed=1)
    data = codec.encode(img, weights=narrow)
    np.testing.assert_array_equal(codec.decode(data, weights=narrow), _reference(narrow, img))


def test_bad_arguments(weights):
    with pytest.raises(ValueError, match="uint8"):
        codec.encode(np.zeros((4, 4), np.float32), weights=weights)
    with pytest.raises(ValueError, match="shape"):
        codec.encode(np.zeros((4, 4, 2), np.uint8), weights=weights)
    with pytest.raises(ValueError, match="quality"):
        codec.encode(np.zeros((4, 4), np.uint8), quality=9)


def test_bad_streams(weights):
    data = codec.encode(_image((16, 16, 3)), weights=weights)
    for bad in (data[:-3], data[:10], b"not a stream at all", data[:-1] + bytes([data[-1] ^ 0xFF])):
        with pytest.raises(CorruptStreamError):
            codec.decode(bad, weights=weights)
    header, payload = unpack(data)
    with pytest.raises(CorruptStreamError):  # trailing garbage after the escapes
        codec.decode(pack("learned", payload + b"\x00", shape=header.shape, params=header.params), weights=weights)
    with pytest.raises(UnsupportedError, match="weights"):
        other = dict(header.params, weights="0" * 16)
        codec.decode(pack("learned", payload, shape=header.shape, params=other), weights=weights)
    with pytest.raises(UnsupportedError, match="MAX_PIXELS"):
        codec.decode(pack("learned", payload, shape=(1 << 13, 1 << 13, 3), params=header.params), weights=weights)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arrays(np.uint8, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=16)), st.booleans())
@example(np.full((1, 1), 255, np.uint8), True)
@example(np.arange(256, dtype=np.uint8).reshape(16, 16), True)
def test_round_trip_any_small_image(weights, plane, rgb):
    """Shapes up to 16x16 (one padded size, one compile): 1x1, gray or RGB, extreme values."""
    img = np.stack([plane, plane[::-1], 255 - plane], axis=-1) if rgb else plane
    data = codec.encode(img, weights=weights)
    out = codec.decode(data, weights=weights)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert codec.encode(img, weights=weights) == data


_DECODE_ELSEWHERE = """
import sys, numpy as np, jax
from learned import codec
data = open(sys.argv[1], "rb").read()
np.save(sys.argv[3], codec.decode(data, weights=sys.argv[2]))
print(len(jax.devices()), jax.config.jax_enable_x64)
"""


def test_stream_decodes_identically_with_x64_and_two_devices(weights, tmp_path):
    """Only integers decide the symbols: another process with x64 on and 2 devices decodes the same image."""
    import os
    import subprocess
    import sys

    img = _image((24, 40, 3), seed=7)
    data = codec.encode(img, weights=weights)
    (tmp_path / "s.bin").write_bytes(data)
    env = dict(os.environ, JAX_ENABLE_X64="1", XLA_FLAGS="--xla_force_host_platform_device_count=2",
               JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, "-c", _DECODE_ELSEWHERE, str(tmp_path / "s.bin"), str(weights),
                           str(tmp_path / "out.npy")], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == ["2", "True"]
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), codec.decode(data, weights=weights))


def test_real_rate_matches_the_integer_tables(weights):
    """len(bytes) is within 2% (+ header, lane states and escapes) of the ideal rate of the coded symbols."""
    from classical import ans

    img = _image((64, 96, 3), seed=2)
    model, tables, _, _ = codec.load_weights(weights)
    x = np.pad(img, ((0, 0), (0, 0), (0, 0)), mode="edge")
    y = np.asarray(codec._g_a(model, x))[0]  # (4, 6, M)
    q = np.rint(y.astype(np.float64) - tables.medians).astype(np.int64).transpose(2, 0, 1)  # (M, h, w)
    symbols, escapes = codec._to_symbols(q, tables)
    M = q.shape[0]
    contexts = np.repeat(np.arange(M), q[0].size)
    ideal = ans.ideal_bits(symbols.reshape(-1), tables.cdf, contexts) / 8
    data = codec.encode(img, weights=weights)
    _, payload = unpack(data, codec="learned")
    lanes = ans.auto_lanes(symbols.size)
    overhead = 4 * lanes + 4 + 3 * len(escapes)
    assert len(payload) <= 1.02 * ideal + overhead
    assert len(payload) >= ideal - 1


@pytest.mark.parametrize("quality", codec.available_qualities() or [pytest.param(3, marks=pytest.mark.skip(
    reason="no shipped weights yet"))])
def test_shipped_weights_real_bpp_near_the_model_estimate(quality):
    """On a crop of the sample image, the real bits are within 2% of sum(-log2 p) of the model.

    Fixed framing is not rate and is added to the 2% exactly: the container header, and in the
    payload the rANS lane states (4 bytes per lane, 1024 bits for the 32 lanes of this crop),
    the 4-byte length and the escapes.  The relative part, 2%, is the issue's.
    """
    import jax.numpy as jnp

    from classical import ans
    from fundamentals.imageio import load_image

    img = load_image()[:256, :384]
    model, tables, _, _ = codec.load_weights(codec.weights_file(quality))
    out = model(jnp.asarray(img[None], jnp.float32) / 255.0, training=False)
    estimated_bits = float(-jnp.log2(out.likelihoods).sum())
    data = codec.encode(img, quality=quality)
    header, _ = unpack(data, codec="learned")
    real_bits = 8 * (len(data) - header.size)
    y = np.asarray(codec._g_a(model, jnp.asarray(img)))[0]  # (16, 24, M)
    q = np.rint(y.astype(np.float64) - tables.medians).astype(np.int64).transpose(2, 0, 1)  # (M, h, w)
    _, escapes = codec._to_symbols(q, tables)
    framing_bits = 8 * (4 * ans.auto_lanes(q.size) + 4 + 3 * len(escapes))
    print(f"q{quality}: estimated {estimated_bits:.0f} bits, real {real_bits} bits ({framing_bits} of framing)")
    assert abs(real_bits - framing_bits - estimated_bits) <= 0.02 * estimated_bits
