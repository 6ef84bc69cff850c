"""Tests for classical.dct: the matrix DCT against scipy, the teaching loops, zig-zag, blocks."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from classical.dct import ZIGZAG, dct2, dct2_naive, dct_matrix, idct2, idct2_naive, merge_blocks, split_blocks

scipy_fft = pytest.importorskip("scipy.fft")

# libjpeg's jpeg_natural_order (jutils.c), i.e. T.81 Figure A.6 written out
FIGURE_A6 = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]

blocks = arrays(np.float64, st.tuples(st.integers(1, 6), st.just(8), st.just(8)),
                elements=st.floats(-1024, 1024, allow_nan=False))


@pytest.mark.parametrize("n", [1, 2, 8, 16])
def test_dct_matrix_is_orthonormal(n):
    C = dct_matrix(n)
    assert np.allclose(C @ C.T, np.eye(n))
    assert np.allclose(C[0], 1 / np.sqrt(n))


def test_dct_matrix_rejects_bad_size():
    with pytest.raises(ValueError, match="n=0"):
        dct_matrix(0)


@given(blocks)
def test_dct2_matches_scipy_ortho(B):
    assert np.allclose(dct2(B), scipy_fft.dctn(B, axes=(-2, -1), norm="ortho"), atol=1e-9)
    assert np.allclose(idct2(B), scipy_fft.idctn(B, axes=(-2, -1), norm="ortho"), atol=1e-9)


@given(blocks)
def test_idct2_inverts_dct2_and_preserves_energy(B):
    F = dct2(B)
    assert np.allclose(idct2(F), B, atol=1e-9)
    assert np.allclose((F**2).sum(), (B**2).sum())  # Parseval: the transform is orthonormal


def test_dct2_keeps_leading_axes():
    B = np.random.default_rng(1).normal(size=(3, 4, 8, 8))
    assert dct2(B).shape == (3, 4, 8, 8)
    assert np.allclose(dct2(B)[2, 3], dct2(B[2, 3]))


def test_dc_is_eight_times_the_mean():
    B = np.random.default_rng(2).integers(-128, 128, (8, 8))
    assert dct2(B)[0, 0] == pytest.approx(8 * B.mean())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_naive_loops_match_scipy(seed):
    B = np.random.default_rng(seed).integers(-128, 128, (8, 8)).astype(float)
    F = scipy_fft.dctn(B, norm="ortho")
    assert np.allclose(dct2_naive(B), F)
    assert np.allclose(idct2_naive(F), B)


def test_basis_image_of_one_coefficient():
    F = np.zeros((8, 8))
    F[0, 1] = 1.0  # horizontal frequency 1: constant down each column, a half cosine across
    b = idct2(F)
    assert np.allclose(b, b[0])  # every row equal
    assert np.allclose(b[0], -b[0, ::-1])  # antisymmetric left-right


@pytest.mark.parametrize("func", [dct2, idct2])
def test_rejects_blocks_that_are_not_8x8(func):
    with pytest.raises(ValueError, match=r"\(8, 8\)"):
        func(np.zeros((4, 8, 7)))


@pytest.mark.parametrize("func", [dct2_naive, idct2_naive])
def test_naive_rejects_bad_shape(func):
    with pytest.raises(ValueError, match=r"\(8, 8\)"):
        func(np.zeros((2, 8, 8)))


def test_zigzag_is_figure_a6():
    assert ZIGZAG.tolist() == FIGURE_A6
    assert sorted(ZIGZAG.tolist()) == list(range(64))
    assert not ZIGZAG.flags.writeable


def test_zigzag_scan_and_unscan():
    block = np.arange(64).reshape(8, 8)
    zz = block.reshape(-1)[ZIGZAG]
    assert zz[:6].tolist() == [0, 1, 8, 16, 9, 2]  # (0,0), (0,1), (1,0), (2,0), (1,1), (0,2)
    back = np.empty(64, dtype=int)
    back[ZIGZAG] = zz
    assert (back.reshape(8, 8) == block).all()


@pytest.mark.parametrize("shape,multiple,blocks_shape", [
    ((1, 1), 8, (1, 1)), ((7, 13), 8, (1, 2)), ((17, 9), 8, (3, 2)),
    ((17, 9), 16, (4, 2)), ((16, 16), 16, (2, 2)), ((9, 33), (8, 16), (2, 6)),
])
def test_split_blocks_shapes(shape, multiple, blocks_shape):
    P = np.arange(np.prod(shape)).reshape(shape)
    b = split_blocks(P, multiple=multiple)
    assert b.shape == (*blocks_shape, 8, 8)
    assert (merge_blocks(b, shape) == P).all()


def test_split_blocks_replicates_edges():
    P = np.arange(7 * 13).reshape(7, 13)
    full = merge_blocks(split_blocks(P), (8, 16))
    assert (full[7] == full[6]).all()  # last row repeated
    assert (full[:, 13:] == full[:, 12:13]).all()  # last column repeated
    assert split_blocks(P)[0, 0, 0, 0] == 0 and split_blocks(P)[0, 1, 0, 0] == 8


def test_split_blocks_raster_order_for_dct():
    P = np.random.default_rng(3).integers(0, 256, (16, 24))
    b = split_blocks(P)
    assert (b.reshape(-1, 8, 8)[4] == P[8:16, 8:16]).all()  # block row 1, column 1


@pytest.mark.parametrize("plane,multiple", [(np.zeros((0, 3)), 8), (np.zeros((3,)), 8), (np.zeros((4, 4)), 12)])
def test_split_blocks_rejects(plane, multiple):
    with pytest.raises(ValueError):
        split_blocks(plane, multiple=multiple)


def test_merge_blocks_rejects():
    with pytest.raises(ValueError, match="does not fit"):
        merge_blocks(np.zeros((1, 1, 8, 8)), (9, 8))
    with pytest.raises(ValueError, match="by, bx"):
        merge_blocks(np.zeros((8, 8)), (8, 8))


@given(arrays(np.uint8, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40)))
@example(np.zeros((1, 1), dtype=np.uint8))
@example(np.arange(256, dtype=np.uint8).reshape(16, 16))
def test_split_merge_round_trip(P):
    for multiple in (8, 16):
        b = split_blocks(P, multiple=multiple)
        assert b.dtype == P.dtype
        assert (merge_blocks(b, P.shape) == P).all()
        # the blocks transform and come back
        assert np.allclose(idct2(dct2(b)), b)
