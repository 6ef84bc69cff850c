# %% [markdown]
# # Exercise 08 (reference solution): vector quantization with k-means
#
# Page: `docs/exercises/08_kmeans_vq.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/08_kmeans_vq.py
#
# Compared with the building blocks of `classical.vq` (block cutting, Lloyd's
# assignment and update steps).

# %%
# ruff: noqa: N999 (NN_ file names give the course order)
import numpy as np

# %% [markdown]
# ## 1. Blocks as vectors
#
# Pad the image by edge replication to a multiple of `b`, cut it into `b x b` blocks in
# raster order, and flatten each block (row, column, channel) into one vector.

# %%
def image_to_blocks(img, b):
    """(n_blocks, b*b*C) array of the blocks of a uint8 image (H x W or H x W x C)."""
    x = img if img.ndim == 3 else img[:, :, None]
    H, W, ch = x.shape
    x = np.pad(x, ((0, -H % b), (0, -W % b), (0, 0)), mode="edge")
    nby, nbx = x.shape[0] // b, x.shape[1] // b
    return x.reshape(nby, b, nbx, b, ch).transpose(0, 2, 1, 3, 4).reshape(nby * nbx, b * b * ch)


# %% [markdown]
# ## 2. Lloyd's two steps
#
# Assignment: each vector goes to its nearest centroid (squared Euclidean distance; on a
# tie, the lowest index).  Update: each centroid becomes the mean of its vectors.  A
# centroid left without vectors is moved onto a far-away vector: the empty clusters, in
# increasing index, take the vectors with the largest distance to their (old) centroid,
# farthest first (on equal distances, the lowest vector index first).

# %%
def assign(X, C):
    """Index of the nearest centroid of every row of X (int array, ties to the lowest index)."""
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)  # (n, k)
    return np.argmin(d2, axis=1)


def update_centroids(X, labels, C):
    """Lloyd's update step with the empty-cluster rule above (float64, shape of C)."""
    C_new = np.array(C, dtype=np.float64)
    d2 = ((X - C[labels]) ** 2).sum(axis=1)
    empty = []
    for j in range(C.shape[0]):
        members = X[labels == j]
        if len(members):
            C_new[j] = members.mean(axis=0)
        else:
            empty.append(j)
    far = np.argsort(-d2, kind="stable")  # farthest first, ties to the lowest index
    for j, i in zip(empty, far):
        C_new[j] = X[i]
    return C_new


def inertia(X, C):
    """Sum over the rows of X of the squared distance to the nearest centroid."""
    return float(((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2).min(axis=1).sum())


# %%
if __name__ == "__main__":
    from fundamentals.imageio import load_image

    X = image_to_blocks(load_image()[:128, :128, 1], 4).astype(np.float64)
    rng = np.random.default_rng(0)
    C = X[rng.choice(len(X), 16, replace=False)]
    for it in range(10):
        C = update_centroids(X, assign(X, C), C)
        print(f"iteration {it}: MSE per sample {inertia(X, C) / X.size:.2f}")
