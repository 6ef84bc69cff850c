import itertools
import time

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from classical import vq
from fundamentals.container import pack, unpack
from fundamentals.errors import CodecError, CorruptStreamError
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
