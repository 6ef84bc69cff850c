"""The 8x8 two-dimensional DCT of JPEG, the zig-zag scan, and block split/merge.

What it does
------------
* :func:`dct_matrix` builds the orthonormal DCT-II matrix ``C`` (``C @ C.T == I``).
* :func:`dct2` / :func:`idct2` transform a whole stack of blocks at once with two
  matrix products, ``F = C @ B @ C.T`` and ``B = C.T @ F @ C`` (T.81 A.3.3).
* :func:`dct2_naive` / :func:`idct2_naive` are the same transforms written as the
  quadruple sum of T.81 A.3.3, one block at a time: the teaching version, ~10^4
  times slower, kept to show that the matrix form computes exactly the formula.
* :data:`ZIGZAG` is the zig-zag order of T.81 Figure A.6 as an index array.
* :func:`split_blocks` / :func:`merge_blocks` cut a plane into 8x8 blocks (padding
  the right and bottom edges by replicating the last column/row) and put it back.

Scope (what it does NOT do)
---------------------------
No fast factorisations (AAN, Loeffler, libjpeg's ``jfdctint``): every transform is
a plain matrix product in float64.  No quantization (see :mod:`classical.jpeg`).

Scaling convention
------------------
T.81 A.3.3 defines the forward DCT of an 8x8 block :math:`f(x, y)` as

.. math::

    F(u, v) = \\tfrac14 C(u) C(v) \\sum_{x=0}^{7} \\sum_{y=0}^{7} f(x, y)
              \\cos\\frac{(2x+1)u\\pi}{16} \\cos\\frac{(2y+1)v\\pi}{16},
    \\qquad C(0) = 1/\\sqrt2,\\ C(k) = 1 \\ (k > 0).

For N = 8 this is *exactly* the orthonormal DCT-II (``scipy.fft.dctn(b,
norm='ortho')``): the 1-D orthonormal factor is :math:`\\sqrt{2/N}\\,C(k) =
\\tfrac12 C(k)`, and two of them make :math:`\\tfrac14 C(u)C(v)`.  So the JPEG DC
coefficient is ``8 * mean(block)`` and the transform preserves energy
(Parseval: ``sum(F**2) == sum(f**2)``).  In the code ``u`` indexes rows and ``v``
columns (T.81 uses ``x`` for the column; the transform is symmetric, so only the
names differ).

References
----------
ITU-T Recommendation T.81 (1992) | ISO/IEC 10918-1, clauses A.3.3 (FDCT/IDCT) and
A.3.6 (zig-zag sequence, Figure A.6).

Examples
--------
>>> import numpy as np
>>> block = np.full((8, 8), 10.0)
>>> F = dct2(block)
>>> round(float(F[0, 0]), 6), float(np.abs(F).sum() - abs(F[0, 0])) < 1e-9
(80.0, True)
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "ZIGZAG",
    "dct2",
    "dct2_naive",
    "dct_matrix",
    "idct2",
    "idct2_naive",
    "merge_blocks",
    "split_blocks",
]


def dct_matrix(n: int = 8) -> np.ndarray:
    """Return the orthonormal ``n x n`` DCT-II matrix.

    Parameters
    ----------
    n : int
        Transform size (8 for JPEG).

    Returns
    -------
    numpy.ndarray
        ``C`` with ``C[k, x] = a(k) cos((2x + 1) k pi / (2n))``, float64.

    Notes
    -----
    .. math::

        C_{kx} = a(k) \\cos\\frac{(2x+1)k\\pi}{2n}, \\qquad
        a(0) = \\sqrt{1/n},\\ a(k) = \\sqrt{2/n}.

    Row ``k`` is the ``k``-th cosine basis vector; the rows are orthonormal, so
    ``C.T`` is the inverse (the DCT-III).

    Examples
    --------
    >>> C = dct_matrix(8)
    >>> bool(np.allclose(C @ C.T, np.eye(8)))
    True
    """
    if n < 1:
        raise ValueError(f"DCT size n={n} must be >= 1")
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    C = np.sqrt(2.0 / n) * np.cos((2 * x + 1) * k * np.pi / (2 * n))
    C[0] /= np.sqrt(2.0)
    return C


#: The 8x8 orthonormal DCT-II matrix used by :func:`dct2` and :func:`idct2`.
_C8 = dct_matrix(8)


def _zigzag(n: int = 8) -> np.ndarray:
    # Walk the anti-diagonals s = row + col; odd ones go down-left (row rising),
    # even ones up-right (row falling), as in T.81 Figure A.6.
    order = sorted(
        ((r, c) for r in range(n) for c in range(n)),
        key=lambda rc: (rc[0] + rc[1], rc[0] if (rc[0] + rc[1]) % 2 else rc[1]),
    )
    return np.array([r * n + c for r, c in order], dtype=np.intp)


#: Zig-zag order of T.81 Figure A.6: ``ZIGZAG[k]`` is the row-major index
#: (``8*row + col``) of the ``k``-th coefficient in the zig-zag sequence ``zz``.
#: So ``zz = block.reshape(-1, 64)[:, ZIGZAG]`` scans, and
#: ``block.reshape(-1, 64)[:, ZIGZAG] = zz`` puts the sequence back.
ZIGZAG = _zigzag(8)
ZIGZAG.flags.writeable = False


def dct2(blocks: np.ndarray) -> np.ndarray:
    """Forward 2-D DCT-II (orthonormal) of every 8x8 block in a stack.

    Parameters
    ----------
    blocks : array_like, shape (..., 8, 8)
        Any number of leading axes; typically ``(n, 8, 8)`` level-shifted samples.

    Returns
    -------
    numpy.ndarray
        The coefficients ``F = C @ B @ C.T`` (float64, same shape).  ``F[..., 0, 0]``
        is the DC coefficient, ``8 * mean`` of the block.

    Notes
    -----
    Equal to T.81 A.3.3's FDCT and to ``scipy.fft.dctn(B, axes=(-2, -1),
    norm='ortho')``.  One ``matmul`` pair transforms all blocks at once.

    Examples
    --------
    >>> B = np.arange(64.0).reshape(8, 8)
    >>> bool(np.allclose(idct2(dct2(B)), B))
    True
    """
    B = np.asarray(blocks, dtype=np.float64)
    _check_8x8(B)
    return _C8 @ B @ _C8.T


def idct2(coefs: np.ndarray) -> np.ndarray:
    """Inverse 2-D DCT (DCT-III, orthonormal) of every 8x8 block in a stack.

    Parameters
    ----------
    coefs : array_like, shape (..., 8, 8)
        DCT coefficients.

    Returns
    -------
    numpy.ndarray
        ``B = C.T @ F @ C`` (float64, same shape), the inverse of :func:`dct2`.

    Examples
    --------
    >>> F = np.zeros((8, 8)); F[0, 0] = 80.0
    >>> round(float(idct2(F)[3, 5]), 9)
    10.0
    """
    F = np.asarray(coefs, dtype=np.float64)
    _check_8x8(F)
    return _C8.T @ F @ _C8


def dct2_naive(block: np.ndarray) -> np.ndarray:
    """Forward DCT of one 8x8 block, the quadruple sum of T.81 A.3.3 (teaching version).

    Parameters
    ----------
    block : array_like, shape (8, 8)
        Samples ``f[y, x]`` (row ``y``, column ``x``).

    Returns
    -------
    numpy.ndarray
        ``F[v, u]`` (row frequency ``v``, column frequency ``u``), float64.

    Notes
    -----
    .. math::

        F(v, u) = \\tfrac14 C(u) C(v) \\sum_{y=0}^{7}\\sum_{x=0}^{7} f(y, x)
                  \\cos\\frac{(2x+1)u\\pi}{16}\\cos\\frac{(2y+1)v\\pi}{16}

    4096 multiply-adds per block in pure Python: use :func:`dct2` for real work.

    Examples
    --------
    >>> B = np.random.default_rng(0).integers(-128, 128, (8, 8))
    >>> bool(np.allclose(dct2_naive(B), dct2(B)))
    True
    """
    f = np.asarray(block, dtype=np.float64)
    if f.shape != (8, 8):
        raise ValueError(f"block shape {f.shape} must be (8, 8)")
    F = np.zeros((8, 8))
    for v in range(8):
        for u in range(8):
            cu = 1 / math.sqrt(2) if u == 0 else 1.0
            cv = 1 / math.sqrt(2) if v == 0 else 1.0
            s = 0.0
            for y in range(8):
                for x in range(8):
                    s += (f[y, x] * math.cos((2 * x + 1) * u * math.pi / 16)
                          * math.cos((2 * y + 1) * v * math.pi / 16))
            F[v, u] = 0.25 * cu * cv * s
    return F


def idct2_naive(coefs: np.ndarray) -> np.ndarray:
    """Inverse DCT of one 8x8 block, the quadruple sum of T.81 A.3.3 (teaching version).

    Parameters
    ----------
    coefs : array_like, shape (8, 8)
        Coefficients ``F[v, u]``.

    Returns
    -------
    numpy.ndarray
        Samples ``f[y, x]``, float64.

    Notes
    -----
    .. math::

        f(y, x) = \\tfrac14 \\sum_{u=0}^{7}\\sum_{v=0}^{7} C(u) C(v) F(v, u)
                  \\cos\\frac{(2x+1)u\\pi}{16}\\cos\\frac{(2y+1)v\\pi}{16}

    Examples
    --------
    >>> F = np.zeros((8, 8)); F[0, 1] = 1.0
    >>> bool(np.allclose(idct2_naive(F), idct2(F)))
    True
    """
    F = np.asarray(coefs, dtype=np.float64)
    if F.shape != (8, 8):
        raise ValueError(f"block shape {F.shape} must be (8, 8)")
    f = np.zeros((8, 8))
    for y in range(8):
        for x in range(8):
            s = 0.0
            for v in range(8):
                for u in range(8):
                    cu = 1 / math.sqrt(2) if u == 0 else 1.0
                    cv = 1 / math.sqrt(2) if v == 0 else 1.0
                    s += (cu * cv * F[v, u] * math.cos((2 * x + 1) * u * math.pi / 16)
                          * math.cos((2 * y + 1) * v * math.pi / 16))
            f[y, x] = 0.25 * s
    return f


def split_blocks(plane: np.ndarray, *, multiple: int | tuple[int, int] = 8) -> np.ndarray:
    """Cut a 2-D plane into 8x8 blocks, replicating the edges to fill partial blocks.

    Parameters
    ----------
    plane : array_like, shape (H, W)
        One image plane, ``H, W >= 1``.
    multiple : int or (int, int)
        Pad the height and width up to multiples of this (8, or 16 for the luma of
        4:2:0 whose MCU is 16x16); must be a multiple of 8.  A pair gives
        ``(rows, cols)`` separately.

    Returns
    -------
    numpy.ndarray, shape (H' // 8, W' // 8, 8, 8)
        ``blocks[i, j]`` is the block at block-row ``i``, block-column ``j`` of the
        padded plane; same dtype as ``plane``.  ``blocks.reshape(-1, 8, 8)`` is the
        raster-order stack :func:`dct2` takes.

    Notes
    -----
    Edge replication (repeating the last row/column) rather than zero padding keeps
    the padded blocks smooth, so they cost few bits; it is what libjpeg does.

    Examples
    --------
    >>> split_blocks(np.arange(90).reshape(9, 10)).shape
    (2, 2, 8, 8)
    >>> split_blocks(np.ones((9, 10)), multiple=16).shape
    (2, 2, 8, 8)
    """
    p = np.asarray(plane)
    if p.ndim != 2 or 0 in p.shape:
        raise ValueError(f"plane shape {p.shape} must be 2-D with both sides >= 1")
    my, mx = (multiple, multiple) if np.isscalar(multiple) else multiple
    if my < 8 or mx < 8 or my % 8 or mx % 8:
        raise ValueError(f"multiple={multiple} must be a positive multiple of 8")
    H, W = p.shape
    Hp, Wp = -(-H // my) * my, -(-W // mx) * mx
    p = np.pad(p, ((0, Hp - H), (0, Wp - W)), mode="edge")
    # (Hp, Wp) -> (Hp/8, 8, Wp/8, 8) -> (Hp/8, Wp/8, 8, 8)
    return p.reshape(Hp // 8, 8, Wp // 8, 8).swapaxes(1, 2)


def merge_blocks(blocks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Put 8x8 blocks back into a plane and crop it to ``shape`` (inverse of :func:`split_blocks`).

    Parameters
    ----------
    blocks : array_like, shape (by, bx, 8, 8)
        Blocks in the layout :func:`split_blocks` returns.
    shape : (int, int)
        ``(H, W)`` of the original plane, at most ``(8 by, 8 bx)``.

    Returns
    -------
    numpy.ndarray, shape (H, W)

    Examples
    --------
    >>> P = np.arange(99).reshape(9, 11)
    >>> bool((merge_blocks(split_blocks(P), P.shape) == P).all())
    True
    """
    b = np.asarray(blocks)
    if b.ndim != 4 or b.shape[2:] != (8, 8):
        raise ValueError(f"blocks shape {b.shape} must be (by, bx, 8, 8)")
    by, bx = b.shape[:2]
    H, W = shape
    if not (0 <= H <= 8 * by and 0 <= W <= 8 * bx):
        raise ValueError(f"shape {shape} does not fit in {by}x{bx} blocks")
    return b.swapaxes(1, 2).reshape(8 * by, 8 * bx)[:H, :W]


def _check_8x8(a: np.ndarray) -> None:
    if a.ndim < 2 or a.shape[-2:] != (8, 8):
        raise ValueError(f"blocks shape {a.shape} must end in (8, 8)")
