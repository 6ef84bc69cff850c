import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from classical import pcm
from fundamentals.container import pack
from fundamentals.errors import CorruptStreamError


@given(img=arrays(np.uint8, st.tuples(st.integers(1, 9), st.integers(1, 9))), bits=st.integers(1, 8))
def test_error_bound_and_size(img, bits):
    data = pcm.encode(img, bits=bits)
    out = pcm.decode(data)
    step = 1 << (8 - bits)
    assert np.abs(out.astype(int) - img).max() <= step // 2
    payload = (img.size * bits + 7) // 8
    assert len(data) == len(pack("pcm", b"\0" * payload, shape=img.shape, params={"bits": bits}))


def test_bits_range():
    with pytest.raises(ValueError, match="1..8"):
        pcm.encode(np.zeros((2, 2), np.uint8), bits=0)


def test_forged_params_are_refused():
    blob = pack("pcm", b"\0", shape=(1, 1), params={"bits": 9})
    with pytest.raises(CorruptStreamError, match="bits"):
        pcm.decode(blob)
    blob = pack("pcm", b"\0", shape=(1, 1, 4), params={"bits": 8})
    with pytest.raises(CorruptStreamError, match="shape"):
        pcm.decode(blob)
