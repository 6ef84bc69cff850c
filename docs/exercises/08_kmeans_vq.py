# %% [markdown]
# # Exercise 08: vector quantization with k-means
#
# Page: `docs/exercises/08_kmeans_vq.md`.  Grade this file with
#
#     python -m pipeline.grade docs/exercises/08_kmeans_vq.py
#
# Compared with the building blocks of `classical.vq` (block cutting, Lloyd's
# assignment and update steps).
#
# Replace each `raise NotImplementedError(...)` below with your code.  Run the file
# (or its cells, in Jupyter or VS Code) to try it, then grade it.

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
    raise NotImplementedError('exercise 08: write image_to_blocks')


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
    raise NotImplementedError('exercise 08: write assign')


def update_centroids(X, labels, C):
    """Lloyd's update step with the empty-cluster rule above (float64, shape of C)."""
    raise NotImplementedError('exercise 08: write update_centroids')


def inertia(X, C):
    """Sum over the rows of X of the squared distance to the nearest centroid."""
    raise NotImplementedError('exercise 08: write inertia')


# %%
if __name__ == "__main__":
    from fundamentals.imageio import load_image

    X = image_to_blocks(load_image()[:128, :128, 1], 4).astype(np.float64)
    rng = np.random.default_rng(0)
    C = X[rng.choice(len(X), 16, replace=False)]
    for it in range(10):
        C = update_centroids(X, assign(X, C), C)
        print(f"iteration {it}: MSE per sample {inertia(X, C) / X.size:.2f}")
