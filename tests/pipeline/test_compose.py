import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fundamentals.errors import CodecError
from pipeline import compose
from tests.pipeline.badstreams import check_decoder

LOSSLESS_BYTE_STAGES = [n for n, s in compose.STAGES.items() if s.lossless and s.kind == "bytes"]
LOSSLESS_ARRAY_STAGES = [n for n, s in compose.STAGES.items() if s.lossless and s.kind == "array"]

images = st.one_of(
    arrays(np.uint8, st.tuples(st.integers(1, 24), st.integers(1, 24))),
    arrays(np.uint8, st.tuples(st.integers(1, 16), st.integers(1, 16), st.just(3)),
           elements=st.sampled_from([0, 1, 2, 255])),
)
lossless_chains = st.tuples(
    st.lists(st.sampled_from(LOSSLESS_ARRAY_STAGES), max_size=2) if LOSSLESS_ARRAY_STAGES else st.just([]),
    st.lists(st.sampled_from(LOSSLESS_BYTE_STAGES), min_size=1, max_size=3),
).map(lambda ab: "|".join(ab[0] + ab[1]))


@given(img=images, chain=lossless_chains)
def test_every_lossless_chain_round_trips(img, chain):
    assert compose.is_lossless(chain)
    np.testing.assert_array_equal(compose.decode(compose.encode(img, chain)), img)


@given(img=images, bits=st.integers(1, 8), coder=st.sampled_from(LOSSLESS_BYTE_STAGES))
def test_quantize_chain_error_bound(img, bits, coder):
    chain = f"quantize(bits={bits})|{coder}"
    assert not compose.is_lossless(chain) or bits == 8
    out = compose.decode(compose.encode(img, chain))
    assert np.abs(out.astype(int) - img).max() <= (1 << (8 - bits)) // 2


@pytest.mark.parametrize("chain, bad", [
    ("", "empty"),
    ("rle||lzw", "''"),
    ("jpeg2000|rle", "jpeg2000"),
    ("quantize(bits=9)|rle", "bits"),
    ("quantize(bits=)|rle", "bits="),
    ("quantize(depth=3)", "depth"),
    ("rle|quantize(bits=2)", "quantize"),
    ("rle(", "rle("),
])
def test_malformed_chains_name_the_bad_part(chain, bad):
    with pytest.raises(ValueError, match=bad.replace("(", r"\(")):
        compose.parse(chain)


def test_quantize_then_rle_beats_rle_alone_on_a_gradient():
    img = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 32, axis=0)
    plain = len(compose.encode(img, "rle"))
    quantized = len(compose.encode(img, "quantize(bits=3)|rle"))
    assert quantized < plain / 4


def test_bad_streams_are_codec_errors():
    img = np.arange(300, dtype=np.uint8).reshape(15, 20) // 3
    for chain in ["quantize(bits=3)|rle|huffman", "lzw|ans"]:
        good = compose.encode(img, chain)
        assert check_decoder(compose.decode, good, header_end=40) == []
    with pytest.raises(CodecError):
        compose.decode(b"")


def test_vq_chains_and_why_rle_after_vq_rarely_helps():
    from fundamentals.imageio import load_image

    img = load_image()[:128, :192]
    plain = compose.encode(img, "vq(k=64,block=4)|huffman")
    rle = compose.encode(img, "vq(k=64,block=4)|rle")
    a, b = compose.decode(plain), compose.decode(rle)
    np.testing.assert_array_equal(a, b)  # same VQ, same reconstruction, different index coders
    assert a.shape == img.shape and not compose.is_lossless("vq|rle")
    # on this textured crop (the parrots' heads) the index map has few runs, so PackBits pays about a
    # byte per index where Huffman pays ~5 bits; on flat backgrounds (all of kodim23) RLE can win
    assert len(rle) > len(plain)


@given(img=images, predictor=st.integers(1, 7))
def test_dpcm_stage_is_lossless_for_every_predictor(img, predictor):
    chain = f"dpcm(predictor={predictor})|huffman"
    np.testing.assert_array_equal(compose.decode(compose.encode(img, chain)), img)
