import itertools
import time

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from classical import _vq_modes, vq
from fundamentals.container import pack, unpack
from fundamentals.errors import CodecError, CorruptStreamError, UnsupportedError
from tests.pipeline.badstreams import check_decoder

images = st.one_of(
    arrays(np.uint8, st.tuples(st.integers(1, 20), st.integers(1, 20))),
    arrays(np.uint8, st.tuples(st.integers(1, 20), st.integers(1, 20), st.just(3))),
)


def _blobs(n=600, dim=4, centres=5, seed=0):
    rng = np.random.default_rng(seed)
    mu = rng.uniform(0, 100, (centres, dim))
    return mu[rng.integers(0, centres, n)] + rng.normal(0, 3, (n, dim))


def _luma_blocks():
    from fundamentals.color import rgb_to_ycbcr
    from fundamentals.imageio import load_image

    y = rgb_to_ycbcr(load_image(), as_uint8=True)[..., 0]  # T.871 luma, rounded
    return vq._to_blocks(y, 4).astype(np.float64)


# ---- k-means ------------------------------------------------------------------------------------


def test_lloyd_never_increases_inertia():
    X = _blobs(dim=3, centres=8)
    rng = np.random.default_rng(3)
    C = X[rng.choice(len(X), 12, replace=False)]  # plain random seeding: many iterations
    labels, d2 = vq._assign(X, None, C)
    history = [d2.sum()]
    for _ in range(30):
        C = vq._update(X, labels, d2, C)
        labels, d2 = vq._assign(X, None, C)
        history.append(d2.sum())
    assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(history))


def test_final_labels_are_nearest_centroids():
    X = _blobs(n=500, dim=5, centres=7, seed=1)
    C, labels, inertia = vq.kmeans(X, 9, seed=4)
    D = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    assert np.allclose(D[np.arange(len(X)), labels], D.min(1))
    assert np.isclose(inertia, D.min(1).sum())


def test_reproducible_with_seed():
    X = _blobs(seed=2)
    a, b = vq.kmeans(X, 6, seed=11, n_init=2), vq.kmeans(X, 6, seed=11, n_init=2)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    assert np.array_equal(vq.kmeans(X, 6, seed=rng_a)[0], vq.kmeans(X, 6, seed=rng_b)[0])


def test_empty_cluster_is_repaired_with_the_farthest_vector():
    X = np.array([[0.0], [1.0], [2.0], [10.0]])
    C = np.array([[1.0], [1000.0], [10.0]])  # the middle centroid attracts nothing
    labels, d2 = vq._assign(X, None, C)
    C_new = vq._update(X, labels, d2, C)
    far = np.argmax(d2)  # 0 or 2, both 1 away from centroid 1.0: ties to the lowest index
    assert C_new[1, 0] == X[far, 0] == 0.0
    assert vq._assign(X, None, C_new)[1].sum() < d2.sum()


def test_k_equals_n_and_duplicates():
    X = np.array([[1.0, 1.0], [1.0, 1.0], [5.0, 5.0]])
    assert vq.kmeans(X, 3)[2] == 0.0  # duplicates: k-means++ falls back to any vector, no crash
    assert vq.kmeans(X, 1)[2] == pytest.approx(192 / 9)  # centroid (7/3, 7/3)


@pytest.mark.parametrize("k", [0, 4, 2.5])
def test_k_out_of_range(k):
    with pytest.raises(ValueError, match="k must be"):
        vq.kmeans(np.zeros((3, 2)), k)


def test_minibatch_close_to_full_kmeans():
    X = _blobs(n=3000, dim=4, centres=6, seed=7)
    full = vq.kmeans(X, 6, seed=0)[2]
    mini = vq.minibatch_kmeans(X, 6, batch_size=256, max_iter=50, seed=0)[2]
    assert mini <= 1.1 * full


def _compare_with_sklearn(ks, seeds, threads=None):
    """Mean inertia ratio (asserted <= 1.01) and time ratio (printed) against scikit-learn."""
    KMeans = pytest.importorskip("sklearn.cluster").KMeans
    from threadpoolctl import threadpool_limits

    X = _luma_blocks()
    for k in ks:
        ratios, times = [], []
        for s in seeds:
            with threadpool_limits(threads):  # None: the libraries' defaults
                t0 = time.perf_counter()
                ref = KMeans(n_clusters=k, n_init=1, random_state=s).fit(X)
                t1 = time.perf_counter()
                ours = vq.kmeans(X, k, seed=s)
                t2 = time.perf_counter()
            ratios.append(ours[2] / ref.inertia_)
            times.append((t2 - t1) / (t1 - t0))
        print(f"k={k}, threads={threads}: inertia ratio {np.mean(ratios):.4f}, "
              f"time ratio {np.mean(times):.2f} (ours / scikit-learn)")
        assert np.mean(ratios) <= 1.01


def test_inertia_matches_sklearn_k16():
    """4x4 luma blocks of the sample image (kodim23), mean over 3 seeds."""
    _compare_with_sklearn((16,), range(3))


@pytest.mark.slow
@pytest.mark.parametrize("threads", [None, 1])
def test_inertia_and_time_vs_sklearn(threads):
    """The full comparison: k = 16, 64, 256, mean over 5 seeds; the time ratio is printed."""
    _compare_with_sklearn((16, 64, 256), range(5), threads)


# ---- the codec ----------------------------------------------------------------------------------


@given(img=images, k=st.integers(1, 16), block=st.sampled_from(vq.BLOCKS))
@example(img=np.zeros((1, 1), np.uint8), k=1, block=8)
@example(img=np.full((5, 9, 3), 255, np.uint8), k=4, block=2)
def test_round_trip_shape_and_dtype(img, k, block):
    data = vq.encode(img, k=k, block=block)
    out = vq.decode(data)
    assert out.shape == img.shape and out.dtype == np.uint8
    n_blocks = -(-img.shape[0] // block) * -(-img.shape[1] // block)
    assert unpack(data)[0].params["k"] <= min(k, n_blocks)


@given(img=arrays(np.uint8, st.tuples(st.integers(1, 12), st.integers(1, 12))))
def test_exact_when_every_block_has_a_codeword(img):
    # with k >= the number of blocks, k shrinks to the distinct blocks and VQ is lossless
    assert (vq.decode(vq.encode(img, k=4096, block=2)) == img).all()


def test_deterministic_and_quality():
    from fundamentals.imageio import load_image

    img = load_image()[:128, :128]
    a, b = vq.encode(img, k=32, block=4, seed=3), vq.encode(img, k=32, block=4, seed=3)
    assert a == b
    out = vq.decode(a)
    mse = np.mean((out.astype(float) - img) ** 2)
    assert 10 * np.log10(255**2 / mse) > 24
    assert len(a) < img.size / 8  # well under 1 bpp per channel


@pytest.mark.parametrize("kwargs, match", [({"k": 0}, "k must"), ({"k": 5000}, "k must"),
                                           ({"block": 3}, "block")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        vq.encode(np.zeros((4, 4), np.uint8), **kwargs)


def test_damaged_streams():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    good = vq.encode(img, k=8, block=2)
    header, payload = unpack(good)
    assert check_decoder(vq.decode, good, header_end=header.size) == []
    for cut in range(len(payload)):
        damaged = pack("vq", payload[:cut], shape=img.shape, params=header.params)
        with pytest.raises(CodecError):
            vq.decode(damaged)
    for pos in range(0, len(payload), 2):  # mutations behind a valid CRC
        bad = payload[:pos] + bytes([payload[pos] ^ 0xA5]) + payload[pos + 1 :]
        try:
            out = vq.decode(pack("vq", bad, shape=img.shape, params=header.params))
        except CodecError:
            continue
        assert out.shape == img.shape


@pytest.mark.parametrize("params", [{"block": 3, "k": 2}, {"block": 2, "k": 0}, {"block": 2, "k": 5000},
                                    {"block": 2.0, "k": 2}, {"k": 2}])
def test_forged_params(params):
    with pytest.raises(CorruptStreamError, match="parameters"):
        vq.decode(pack("vq", b"\0" * 64, shape=(4, 4), params=params))


# ---- universal codebooks and YCbCr 4:2:0 ----------------------------------------------------------

SHIPPED = {"vq_universal_rgb_b4_k256": 48, "vq_universal_gray_b4_k256": 16, "vq_universal_chroma_b4_k256": 16}


@pytest.mark.parametrize("name, dim", SHIPPED.items())
def test_shipped_codebooks_load(name, dim):
    got, book, sha = vq.load_codebook(name)
    assert got == name and book.dtype == np.uint8 and book.shape == (256, dim)
    assert len(sha) == 16 and sha == _vq_modes.codebook_sha(book)
    assert len(np.unique(book, axis=0)) == 256  # no dead codewords


@given(img=images, color=st.sampled_from(["rgb", "ycbcr420"]), universal=st.booleans(), k=st.integers(1, 16))
@example(img=np.zeros((1, 1, 3), np.uint8), color="ycbcr420", universal=False, k=1)
@example(img=np.zeros((1, 1, 3), np.uint8), color="ycbcr420", universal=True, k=1)
@example(img=np.zeros((1, 1), np.uint8), color="rgb", universal=True, k=1)
@example(img=np.full((7, 13, 3), 200, np.uint8), color="ycbcr420", universal=True, k=1)
@example(img=np.arange(91, dtype=np.uint8).reshape(7, 13), color="rgb", universal=True, k=1)
def test_modes_round_trip(img, color, universal, k):
    if color == "ycbcr420" and img.ndim == 2:
        with pytest.raises(ValueError, match="RGB"):
            vq.encode(img, color=color)
        return
    kwargs = {"codebook": "universal"} if universal else {"k": k}
    data = vq.encode(img, block=4, color=color, **kwargs)
    out = vq.decode(data)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert vq.encode(img, block=4, color=color, **kwargs) == data  # deterministic
    params = unpack(data)[0].params
    assert ("codebook" in params) == universal and ("color" in params) == (color == "ycbcr420")


def test_universal_stream_carries_no_codebook():
    from fundamentals.imageio import load_image

    img = load_image()[:64, :64]
    own, uni = vq.encode(img, k=256), vq.encode(img, codebook="universal")
    header, payload = unpack(uni)
    assert header.params == {"block": 4, "codebook": "vq_universal_rgb_b4_k256", "k": 256,
                             "sha": vq.load_codebook("vq_universal_rgb_b4_k256")[2]}
    assert len(uni) < len(own) - 256 * 48 // 2
    _, book, _ = vq.load_codebook("vq_universal_rgb_b4_k256")
    labels = _vq_modes.huffman.decode_symbols(payload, alphabet_size=256)
    assert np.array_equal(vq.decode(uni), vq.reconstruct(book, labels, img.shape, 4))


def test_ycbcr420_quality_and_gray_universal():
    from fundamentals.imageio import load_image

    img = load_image()[:128, :128]
    for kwargs in ({"k": 64}, {"codebook": "universal"}):
        out = vq.decode(vq.encode(img, color="ycbcr420", **kwargs))
        assert 10 * np.log10(255**2 / np.mean((out.astype(float) - img) ** 2)) > 27
    gray = img[..., 1]
    assert unpack(vq.encode(gray, codebook="universal"))[0].params["codebook"] == "vq_universal_gray_b4_k256"


def test_codebook_from_a_file(tmp_path):
    rng = np.random.default_rng(1)
    book = rng.integers(0, 256, (32, 12), dtype=np.uint8)  # 2 x 2 RGB blocks
    path = tmp_path / "my_book.npz"
    sha = vq.save_codebook(path, book, 2)
    img = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    data = vq.encode(img, block=2, codebook=path)
    assert unpack(data)[0].params == {"block": 2, "codebook": "my_book", "k": 32, "sha": sha}
    out = vq.decode(data, codebook_dir=tmp_path)
    assert out.shape == img.shape and set(map(bytes, vq._to_blocks(out, 2))) <= set(map(bytes, book))
    with pytest.raises(UnsupportedError, match="not available"):
        vq.decode(data)  # not in the shipped folder
    vq.save_codebook(path, book[::-1].copy(), 2)  # same name, other codebook
    with pytest.raises(UnsupportedError, match="sha"):
        vq.decode(data, codebook_dir=tmp_path)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a vq codebook"):
        vq.encode(img, block=2, codebook=tmp_path / "junk.npz")
    path.write_bytes(b"not a zip")
    with pytest.raises(UnsupportedError, match="cannot be read"):
        vq.decode(data, codebook_dir=tmp_path)


def test_train_universal_codebook_is_deterministic():
    rng = np.random.default_rng(2)
    imgs = [rng.integers(0, 256, (24, 20, 3), dtype=np.uint8) for _ in range(3)]
    a = vq.train_universal_codebook(imgs, k=8, samples=60, max_iter=5, lloyd_iter=2)
    b = vq.train_universal_codebook(imgs, k=8, samples=60, max_iter=5, lloyd_iter=2)
    assert a.dtype == np.uint8 and a.shape == (8, 48) and np.array_equal(a, b)
    assert vq.train_universal_codebook(imgs, k=4, samples=60, planes="chroma", max_iter=5).shape == (4, 16)


@pytest.mark.parametrize("kwargs, match", [
    ({"color": "yuv"}, "color"), ({"codebook": "universal", "block": 8}, "universal"),
    ({"codebook": "universal", "k": 64}, "universal"), ({"codebook": 3}, "codebook"),
    ({"codebook": "no_such_book.npz"}, "not available"), ({"color": "ycbcr420", "k": 0}, "k must"),
    ({"color": "ycbcr420", "codebook": "x.npz"}, "path")])
def test_bad_mode_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        vq.encode(np.zeros((8, 8, 3), np.uint8), **kwargs)


@pytest.mark.parametrize("kwargs", [{"color": "ycbcr420", "k": 8}, {"codebook": "universal"},
                                    {"color": "ycbcr420", "codebook": "universal"}])
def test_damaged_mode_streams(kwargs):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (13, 10, 3), dtype=np.uint8)
    good = vq.encode(img, **kwargs)
    header, payload = unpack(good)
    assert check_decoder(vq.decode, good, header_end=header.size) == []
    for cut in range(len(payload)):
        with pytest.raises(CodecError):
            vq.decode(pack("vq", payload[:cut], shape=img.shape, params=header.params))
    with pytest.raises(CodecError):
        vq.decode(pack("vq", payload + b"\0", shape=img.shape, params=header.params))
    for pos in range(len(payload)):  # mutations behind a valid CRC
        bad = payload[:pos] + bytes([payload[pos] ^ 0x5A]) + payload[pos + 1 :]
        try:
            out = vq.decode(pack("vq", bad, shape=img.shape, params=header.params))
        except CodecError:
            continue
        assert out.shape == img.shape and out.dtype == np.uint8


_UNI = vq.encode(np.zeros((8, 8, 3), np.uint8), codebook="universal")
_YCC = vq.encode(np.zeros((8, 8, 3), np.uint8), codebook="universal", color="ycbcr420")


@pytest.mark.parametrize("stream, change, error", [
    (_UNI, {"codebook": "vq_universal_rgb_b4_k512"}, UnsupportedError),
    (_UNI, {"codebook": "nonexistent"}, UnsupportedError),
    (_UNI, {"sha": "0123456789abcdef"}, UnsupportedError),
    (_UNI, {"codebook": "vq_universal_gray_b4_k256"}, UnsupportedError),  # its sha differs
    (_UNI, {"codebook": "../data/vq_universal_rgb_b4_k256"}, CorruptStreamError),
    (_UNI, {"codebook": 7}, CorruptStreamError), (_UNI, {"sha": None}, CorruptStreamError),
    (_UNI, {"k": 64}, CorruptStreamError), (_UNI, {"k": [256]}, CorruptStreamError),
    (_UNI, {"block": 2}, CodecError), (_UNI, {"color": "yuv"}, CorruptStreamError),
    (_YCC, {"sha": ["0123456789abcdef", "0123456789abcdef"]}, UnsupportedError),
    (_YCC, {"codebook": ["vq_universal_gray_b4_k256"]}, CorruptStreamError),
    (_YCC, {"k": 256}, CorruptStreamError), (_YCC, {"k": [256, 0]}, CorruptStreamError),
    (_YCC, {"k": [256, True]}, CorruptStreamError),
    (_YCC, {"codebook": ["vq_universal_chroma_b4_k256", "vq_universal_gray_b4_k256"]}, UnsupportedError),
])
def test_forged_mode_params(stream, change, error):
    header, payload = unpack(stream)
    with pytest.raises(error):
        vq.decode(pack("vq", payload, shape=header.shape, params={**header.params, **change}))


def test_forged_ycbcr420_on_a_gray_shape():
    header, payload = unpack(vq.encode(np.zeros((8, 8, 3), np.uint8), k=4, color="ycbcr420"))
    with pytest.raises(CorruptStreamError, match="parameters"):
        vq.decode(pack("vq", payload, shape=(8, 8), params=header.params))
