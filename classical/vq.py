"""Vector quantization of image blocks with a k-means codebook (LBG / Lloyd).

Each image is cut into ``b x b`` blocks (all channels together: a vector of
``b*b*C`` samples), a codebook of ``k`` vectors is trained on the image's own
blocks with k-means (the generalized Lloyd algorithm of Linde, Buzo and Gray), and
every block is replaced by the index of its nearest codeword. The indices are
Huffman coded (:func:`classical.huffman.encode_symbols`); the codebook travels in
the stream as ``uint8``.

What it does
    * :func:`kmeans`: k-means++ seeding (greedy, ``2 + floor(ln k)`` candidates per
      centre, as scikit-learn), vectorized Lloyd iterations with distances
      :math:`\\|x\\|^2 - 2 x \\cdot c + \\|c\\|^2` in chunks of at most ``CHUNK_BYTES``,
      deterministic empty-cluster repair, ``n_init`` restarts, a seeded
      ``numpy.random.Generator``.
    * :func:`minibatch_kmeans`: Sculley's mini-batch k-means for large training sets.
    * :func:`encode` / :func:`decode`: the image codec (container id ``vq``), built on
      :func:`quantize_blocks` (codebook + indices) and :func:`reconstruct` (tiling).
    * ``encode(..., codebook='universal')``: a codebook trained once on blocks of many
      photos, shipped in ``classical/data`` and named in the stream instead of sent
      (:func:`train_universal_codebook`, :func:`load_codebook`).
    * ``encode(..., color='ycbcr420')``: Y, and Cb / Cr subsampled 2 x 2, quantized as gray
      planes (Y its own codebook, Cb and Cr one shared codebook).
    Both are in :mod:`classical._vq_modes` (byte layouts there).
What it does NOT do
    Tree-structured or product VQ, entropy coding of the codebook.

Rate: :math:`\\log_2 k / b^2` bits per pixel for the indices before Huffman coding
(all channels share one index), plus :math:`8 k b^2 C` bits of codebook.

Byte layout (the default mode): container, codec id ``vq``, params ``{"block": b, "k": k}``
(``k`` = codebook size actually used), payload:

=========================  =====================================================
field                      meaning
=========================  =====================================================
codebook                   ``k * b*b*C`` bytes, uint8, codeword by codeword, each
                           in (row, column, channel) order inside the block
indices                    :func:`classical.huffman.encode_symbols` stream of the
                           ``ceil(H/b) * ceil(W/b)`` indices, blocks in raster order
=========================  =====================================================

With ``codebook='universal'`` (or a file) the codebook field is absent and params add
``"codebook"`` (the file's name) and ``"sha"`` (16 hex digits identifying its contents).

Deterministic: the same image and parameters give the same bytes (seeded k-means++,
ties to the lowest index) on the same machine; a different BLAS may round the
distance products differently. Quality on 4 x 4 luma blocks of kodim23: inertia within
1 % of scikit-learn's ``KMeans(n_init=1)`` (``tests/classical/test_vq.py``).

The image is padded by edge replication to a multiple of ``b`` and cropped on
decode. If the image has fewer distinct blocks than ``k``, ``k`` is reduced to that
number (every distinct block then gets its own exact codeword).

References: Y. Linde, A. Buzo, R. Gray, "An algorithm for vector quantizer design",
IEEE Trans. Comm. 28(1), 1980; S. Lloyd, "Least squares quantization in PCM", IEEE
Trans. Inf. Theory 28(2), 1982; D. Arthur, S. Vassilvitskii, "k-means++: the
advantages of careful seeding", SODA 2007; D. Sculley, "Web-scale k-means
clustering", WWW 2010.

Examples
--------
>>> img = np.kron(np.array([[0, 255], [255, 0]], np.uint8), np.ones((4, 4), np.uint8))
>>> bool((decode(encode(img, k=2, block=4)) == img).all())
True
"""

from __future__ import annotations

import numpy as np

from classical import huffman
from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError
from fundamentals.imageio import check_image

__all__ = ["decode", "encode", "kmeans", "load_codebook", "minibatch_kmeans", "quantize_blocks", "reconstruct",
           "save_codebook", "train_universal_codebook", "write_universal_codebooks"]

CODEC_ID = "vq"
BLOCKS = (2, 4, 8)
MAX_K = 4096
#: Largest distance matrix computed at once, in bytes.
CHUNK_BYTES = 64 << 20
#: Preferred size of that matrix: smaller chunks stay in cache, larger ones keep a
#: multi-threaded BLAS busy; 8 MiB measured best of 1 and 8 MiB (4x4 blocks, k = 64, 256).
CACHE_BYTES = 8 << 20


# ---- k-means ------------------------------------------------------------------------------------


def kmeans(X, k: int, *, n_init: int = 1, max_iter: int = 100, tol: float = 1e-4, seed=0):
    """k-means (Lloyd's algorithm) with greedy k-means++ seeding.

    Parameters
    ----------
    X : array_like, shape (n, dim)
        Training vectors.
    k : int
        Number of centroids, ``1 <= k <= n``.
    n_init : int
        Independent runs (different seeds from the same generator); the lowest inertia wins.
    max_iter : int
        Most Lloyd iterations per run.
    tol : float
        Stop when :math:`\\sum_j \\|c_j^{new} - c_j\\|^2 \\le` ``tol`` x the mean
        per-dimension variance of ``X`` (scikit-learn's rule), or when no label changes.
    seed : int or numpy.random.Generator
        Seed of the generator: same inputs, same result.

    Returns
    -------
    centroids : ndarray of float64, shape (k, dim)
    labels : ndarray of int64, shape (n,)
        Index of the nearest centroid of every vector.
    inertia : float
        :math:`\\sum_i \\min_j \\|x_i - c_j\\|^2`.

    Notes
    -----
    Lloyd (1982) alternates two steps that each can only lower the inertia:
    assignment :math:`l_i = \\arg\\min_j \\|x_i - c_j\\|^2` (ties to the lowest ``j``),
    update :math:`c_j = \\operatorname{mean}\\{x_i : l_i = j\\}`. A centroid left with
    no vector is moved onto the vector farthest from its centroid (deterministic:
    the largest distances, ties to the lowest index), which lowers the inertia too.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> c, labels, inertia = kmeans(X, 2)
    >>> sorted(c.ravel().tolist()), inertia
    ([0.5, 10.5], 1.0)
    """
    X = _check_X(X)
    k = _check_k(k, X.shape[0])
    if n_init < 1 or max_iter < 0 or tol < 0:
        raise ValueError(f"need n_init >= 1, max_iter >= 0, tol >= 0; got {n_init}, {max_iter}, {tol}")
    rng = np.random.default_rng(seed)
    x2 = np.einsum("ij,ij->i", X, X)
    XT = np.ascontiguousarray(X.T)  # rows of X.T are contiguous: fast bincount sums
    tol_abs = tol * float(np.mean(np.var(X, axis=0))) if X.shape[0] > 1 else 0.0
    best = None
    for _ in range(n_init):
        C = _kmeans_pp(X, x2, k, rng)
        labels, d2 = _assign(X, x2, C)
        for _ in range(max_iter):
            C_new = _update(X, labels, d2, C, XT)
            shift = float(((C_new - C) ** 2).sum())
            C = C_new
            new_labels, d2 = _assign(X, x2, C)
            same = np.array_equal(new_labels, labels)
            labels = new_labels
            if same or shift <= tol_abs:
                break
        inertia = float(d2.sum())
        if best is None or inertia < best[2]:
            best = (C, labels, inertia)
    return best


def minibatch_kmeans(X, k: int, *, batch_size: int = 1024, max_iter: int = 100, seed=0):
    """Mini-batch k-means (Sculley 2010): each step moves centroids towards a random batch.

    Parameters
    ----------
    X : array_like, shape (n, dim)
    k : int
        ``1 <= k <= n``.
    batch_size : int
        Vectors drawn (with replacement) per step.
    max_iter : int
        Number of batches.
    seed : int or numpy.random.Generator

    Returns
    -------
    centroids, labels, inertia
        As :func:`kmeans` (labels and inertia from a final full assignment).

    Notes
    -----
    With :math:`v_j` the number of vectors centroid :math:`j` has absorbed so far,
    each vector of the batch moves its nearest centroid by the per-centre learning
    rate :math:`\\eta = 1 / v_j`: :math:`c_j \\leftarrow (1 - \\eta) c_j + \\eta x`.
    Applied to the :math:`m_j` vectors of a batch with sum :math:`S_j`, that is the
    running mean :math:`c_j \\leftarrow (v_j c_j + S_j) / (v_j + m_j)`.
    Seeding is k-means++ on a sample of ``max(3 k, batch_size)`` vectors.

    Examples
    --------
    >>> X = np.repeat([[0.0, 0.0], [9.0, 9.0]], 50, axis=0)
    >>> c, labels, inertia = minibatch_kmeans(X, 2, batch_size=16, max_iter=5)
    >>> inertia
    0.0
    """
    X = _check_X(X)
    k = _check_k(k, X.shape[0])
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    sample = X[rng.choice(n, min(n, max(3 * k, batch_size)), replace=False)]
    C = _kmeans_pp(sample, np.einsum("ij,ij->i", sample, sample), k, rng)
    v = np.zeros(k)
    for _ in range(max_iter):
        B = X[rng.integers(0, n, batch_size)]
        lab, _ = _assign(B, np.einsum("ij,ij->i", B, B), C)
        m, S = _sums(np.ascontiguousarray(B.T), lab, k)
        hit = m > 0
        C[hit] = (v[hit, None] * C[hit] + S[hit]) / (v[hit] + m[hit])[:, None]
        v += m
    labels, d2 = _assign(X, np.einsum("ij,ij->i", X, X), C)
    return C, labels, float(d2.sum())


# ---- the image codec ----------------------------------------------------------------------------


def encode(img: np.ndarray, *, k: int | None = None, block: int = 4, seed: int = 0, n_init: int = 1,
           codebook=None, color: str = "rgb") -> bytes:
    """Vector-quantize ``block x block`` blocks with a codebook of ``k`` vectors trained on the image.

    Parameters
    ----------
    img : numpy.ndarray
        ``uint8`` ``(H, W)`` or ``(H, W, 3)``.
    k : int or None
        Codebook size, 1..4096 (reduced to the number of distinct blocks if larger);
        ``None``: 64 for a codebook trained on the image, the file's size for a fixed one.
    block : int
        Block side ``b``: 2, 4 or 8.
    seed, n_init : int
        Passed to :func:`kmeans`: same input and parameters, same bytes.
    codebook : None, 'universal' or path
        ``None``: train on the image and send the codebook. ``'universal'``: the shipped
        codebook trained on many photos (``vq_universal_{rgb,gray}_b4_k256``; only
        ``block=4``, ``k`` None or 256), not sent. A path to an ``.npz`` file of
        :func:`save_codebook`: that codebook, not sent (the decoder needs the file too:
        ``decode(data, codebook_dir=...)``).
    color : {'rgb', 'ycbcr420'}
        ``'rgb'``: blocks of all the image's channels together. ``'ycbcr420'`` (RGB images
        only): JFIF YCbCr, Cb and Cr subsampled 2 x 2, each plane quantized as a gray image
        (Y with its own codebook, Cb and Cr sharing one; both ``k`` vectors).

    Returns
    -------
    bytes
        Container stream (layout in the module docstring and :mod:`classical._vq_modes`).

    Examples
    --------
    >>> img = np.arange(64, dtype=np.uint8).reshape(8, 8)
    >>> decode(encode(img, k=4, block=2)).shape
    (8, 8)
    """
    if codebook is not None or color != "rgb":
        from classical import _vq_modes

        return _vq_modes.encode(img, k=k, block=block, seed=seed, n_init=n_init, codebook=codebook, color=color)
    book, labels = quantize_blocks(img, k=64 if k is None else k, block=block, seed=seed, n_init=n_init)
    payload = book.tobytes() + huffman.encode_symbols(labels, book.shape[0])
    return pack(CODEC_ID, payload, shape=img.shape, params={"block": int(block), "k": int(book.shape[0])})


def decode(data: bytes, *, codebook_dir=None) -> np.ndarray:
    """Invert :func:`encode`: look up every index in the codebook, crop the padding.

    ``codebook_dir``: where a stream's named codebook file is looked for (default: the
    shipped ``classical/data``).

    Raises
    ------
    CorruptStreamError
        Not a ``vq`` stream, bad parameters, short codebook or damaged indices.
    UnsupportedError
        The stream names a codebook file that is missing or differs (sha) from the one here.
    """
    header, payload = unpack(data, codec=CODEC_ID)
    shape, b, k = header.shape, header.params.get("block"), header.params.get("k")
    if header.dtype != "uint8" or not (len(shape) == 2 or (len(shape) == 3 and shape[2] == 3)) or 0 in shape:
        raise CorruptStreamError(f"impossible vq image shape {shape} / dtype {header.dtype}")
    if b not in BLOCKS or type(b) is not int:
        raise CorruptStreamError(f"bad vq parameters {header.params}")
    if not header.params.keys() <= {"block", "k"}:  # universal codebook or YCbCr 4:2:0
        from classical import _vq_modes

        return _vq_modes.decode(header, payload, codebook_dir)
    if type(k) is not int or not 1 <= k <= MAX_K:
        raise CorruptStreamError(f"bad vq parameters {header.params}")
    ch = shape[2] if len(shape) == 3 else 1
    dim, nby, nbx = b * b * ch, -(-shape[0] // b), -(-shape[1] // b)
    if len(payload) < k * dim:
        raise CorruptStreamError(f"payload of {len(payload)} bytes cannot hold a {k} x {dim} codebook")
    book = np.frombuffer(payload, np.uint8, k * dim).reshape(k, dim)
    labels = huffman.decode_symbols(payload[k * dim :], alphabet_size=k)
    if labels.size != nby * nbx:
        raise CorruptStreamError(f"{labels.size} indices for {nby * nbx} blocks")
    return reconstruct(book, labels, shape, b)


def quantize_blocks(img: np.ndarray, *, k: int = 64, block: int = 4, seed: int = 0, n_init: int = 1):
    """Train a codebook on the image's blocks and map every block to its nearest codeword.

    The first half of :func:`encode`, without the entropy coding (codec chains such
    as ``"vq|rle"`` in :mod:`pipeline.compose` code the indices their own way).

    Returns
    -------
    book : ndarray of uint8, shape (k', b*b*C)
        The rounded codebook (``k' <= k``: fewer if the image has fewer distinct blocks).
    labels : ndarray of int64, shape (ceil(H/b) * ceil(W/b),)
        Index of the nearest rounded codeword of every block, blocks in raster order.
    """
    img = check_image(img)
    if not (isinstance(k, (int, np.integer)) and 1 <= k <= MAX_K):
        raise ValueError(f"k must be an integer in 1..{MAX_K}, got {k!r}")
    if block not in BLOCKS:
        raise ValueError(f"block must be one of {BLOCKS}, got {block!r}")
    return _quantize_vectors(_to_blocks(img, block), int(k), seed, n_init)  # blocks: (n, b*b*C) uint8


def reconstruct(book: np.ndarray, labels: np.ndarray, shape, block: int) -> np.ndarray:
    """Tile the codewords ``book[labels]`` back into an image of ``shape`` (the decoder's half).

    ``labels`` must hold ``ceil(H/b) * ceil(W/b)`` indices below ``len(book)``.
    """
    b = block
    ch = shape[2] if len(shape) == 3 else 1
    nby, nbx = -(-shape[0] // b), -(-shape[1] // b)
    tiles = book[labels].reshape(nby, nbx, b, b, ch).transpose(0, 2, 1, 3, 4)
    out = tiles.reshape(nby * b, nbx * b, ch)[: shape[0], : shape[1]]
    return np.ascontiguousarray(out.reshape(shape))


# ---- universal codebooks (implemented in classical._vq_modes) ----------------------------------------


def train_universal_codebook(images, *, k: int = 256, block: int = 4, samples: int = 200_000, seed: int = 0,
                             **kwargs) -> np.ndarray:
    """Train a codebook on ``samples`` blocks drawn from many images: uint8 ``(k, b*b*C)``.

    Deterministic: ``samples // len(images)`` distinct random block positions per image
    (``numpy.random.default_rng(seed)``), :func:`minibatch_kmeans` then a few full Lloyd
    iterations. ``images``: uint8 arrays or image files. Keywords ``planes`` (None = as
    given, 'rgb', 'gray' = JFIF luma, 'chroma' = Cb and Cr after 4:2:0), ``batch_size``, ``max_iter``,
    ``lloyd_iter``: see :func:`classical._vq_modes.train_universal_codebook`.

    Examples
    --------
    >>> imgs = [np.kron(np.eye(2, dtype=np.uint8) * 200, np.ones((4, 4), np.uint8))] * 2
    >>> train_universal_codebook(imgs, k=2, block=4, samples=8, lloyd_iter=0).shape
    (2, 16)
    """
    from classical import _vq_modes

    return _vq_modes.train_universal_codebook(images, k=k, block=block, samples=samples, seed=seed, **kwargs)


def write_universal_codebooks(folder, out_dir=None, **kwargs) -> dict:
    """Train the shipped codebooks (rgb, gray, chroma; b = 4, k = 256) on ``folder/*.png``: ``{name: sha}``."""
    from classical import _vq_modes

    return _vq_modes.write_universal_codebooks(folder, out_dir or _vq_modes.DATA_DIR, **kwargs)


def load_codebook(source, *, codebook_dir=None):
    """``(name, book, sha)`` of a codebook file: a shipped name (``vq_universal_rgb_b4_k256``) or a path."""
    from classical import _vq_modes

    return _vq_modes.load_codebook(source, codebook_dir=codebook_dir)


def save_codebook(path, book: np.ndarray, block: int) -> str:
    """Write a uint8 codebook ``(k, block*block*C)`` as an ``.npz`` file usable as ``encode(codebook=path)``."""
    from classical import _vq_modes

    return _vq_modes.save_codebook(path, book, block)


# ---- helpers ------------------------------------------------------------------------------------


def _quantize_vectors(V: np.ndarray, k: int, seed, n_init: int):
    """Codebook (uint8) and nearest-codeword labels of the uint8 vectors ``V`` (see :func:`quantize_blocks`)."""
    if not (isinstance(k, (int, np.integer)) and 1 <= k <= MAX_K):
        raise ValueError(f"k must be an integer in 1..{MAX_K}, got {k!r}")
    distinct = np.unique(V, axis=0)
    if distinct.shape[0] <= k:  # every distinct block gets an exact codeword
        book = distinct
    else:
        C, _, _ = kmeans(V.astype(np.float64), int(k), n_init=n_init, seed=seed)
        book = np.clip(np.rint(C), 0, 255).astype(np.uint8)
    labels, _ = _assign(V.astype(np.float64), None, book.astype(np.float64))  # nearest ROUNDED codeword
    return book, labels


def _check_X(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1 or not np.all(np.isfinite(X)):
        raise ValueError(f"X must be a finite 2-D array with at least one row, got shape {X.shape}")
    return X


def _check_k(k, n: int) -> int:
    if not (isinstance(k, (int, np.integer)) and 1 <= k <= n):
        raise ValueError(f"k must be an integer in 1..{n} (the number of vectors), got {k!r}")
    return int(k)


def _assign(X, x2, C):
    """Nearest centroid (ties to the lowest index) and squared distance, in bounded chunks.

    :math:`\\|x - c\\|^2 = \\|x\\|^2 - 2 (x \\cdot c - \\|c\\|^2 / 2)`: the bracket is ONE
    matrix product of ``[x, 1]`` with ``[c, -|c|^2/2]``, and its arg-max is the nearest centroid.
    """
    if x2 is None:
        x2 = np.einsum("ij,ij->i", X, X)
    Ca = np.hstack([C, -0.5 * np.einsum("ij,ij->i", C, C)[:, None]]).T  # (dim + 1, k)
    n = X.shape[0]
    rows = max(1, min(CHUNK_BYTES, CACHE_BYTES) // (8 * C.shape[0]))
    labels, d2 = np.empty(n, np.int64), np.empty(n)
    for s in range(0, n, rows):
        Xs = X[s : s + rows]
        G = Xs @ Ca[:-1]
        G += Ca[-1]
        lab = np.argmax(G, axis=1)
        labels[s : s + rows] = lab
        d2[s : s + rows] = np.maximum(x2[s : s + rows] - 2 * G[np.arange(lab.size), lab], 0)
    return labels, d2


def _update(X, labels, d2, C, XT=None):
    """Lloyd's update step: centroid = mean of its vectors; empty clusters re-seeded."""
    m, S = _sums(np.ascontiguousarray(X.T) if XT is None else XT, labels, C.shape[0])
    C_new = C.copy()
    hit = m > 0
    C_new[hit] = S[hit] / m[hit, None]
    empty = np.flatnonzero(~hit)
    if empty.size:  # farthest vectors first, ties to the lowest index
        far = np.argsort(-d2, kind="stable")[: empty.size]
        C_new[empty] = X[far]
    return C_new


def _sums(XT, labels, k):
    """Vectors per cluster ``m`` and their sums ``(k, dim)``: one ``bincount`` per (contiguous) row of ``X.T``."""
    m = np.bincount(labels, minlength=k).astype(np.float64)
    return m, np.stack([np.bincount(labels, row, k) for row in XT], axis=1)


def _kmeans_pp(X, x2, k, rng):
    """Greedy k-means++ (Arthur & Vassilvitskii 2007; scikit-learn's 2 + ln k trials)."""
    n = X.shape[0]
    trials = 2 + int(np.log(k))
    C = np.empty((k, X.shape[1]))
    C[0] = X[rng.integers(n)]
    closest = np.maximum(x2 - 2 * X @ C[0] + C[0] @ C[0], 0)
    pot = closest.sum()
    for j in range(1, k):
        if pot <= 0:  # every vector already sits on a centre: take any
            C[j] = X[rng.integers(n)]
            continue
        cand = np.searchsorted(np.cumsum(closest), rng.random(trials) * pot)
        cand = np.minimum(cand, n - 1)
        Y = X[cand]
        d = Y @ X.T  # (trials, n) squared distances, computed in place
        d *= -2
        d += x2
        d += np.einsum("ij,ij->i", Y, Y)[:, None]
        np.maximum(d, 0, out=d)
        np.minimum(closest, d, out=d)
        sums = d.sum(1)
        best = int(np.argmin(sums))
        C[j], closest, pot = Y[best], d[best], sums[best]
    return C


def _to_blocks(img: np.ndarray, b: int) -> np.ndarray:
    """Edge-replicate to a multiple of ``b`` and cut into vectors ``(n_blocks, b*b*C)``, raster order."""
    x = img if img.ndim == 3 else img[:, :, None]
    H, W, ch = x.shape
    x = np.pad(x, ((0, -H % b), (0, -W % b), (0, 0)), mode="edge")
    nby, nbx = x.shape[0] // b, x.shape[1] // b
    return x.reshape(nby, b, nbx, b, ch).transpose(0, 2, 1, 3, 4).reshape(nby * nbx, b * b * ch)
