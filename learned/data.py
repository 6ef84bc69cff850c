"""Random-crop patch loader over a folder of images, for training the learned codec.

What it does: loads every image of a folder ONCE into memory as ``uint8`` RGB (the 233
photos of ``train/`` take about 140 MB), keeps the last ``n_val`` images (sorted by file name)
apart as a fixed validation set (one centre crop each), and serves training batches of random
crops with random horizontal and vertical flips.

Determinism: batch ``step`` is drawn from ``numpy.random.default_rng([seed, step])``, so a
batch depends only on ``(seed, step)``: a resumed run sees exactly the data stream of an
uninterrupted one, without saving any generator state.

Not done here: resizing/down-scaling (CompressAI's Vimeo/ImageNet pipelines down-scale large
photos), colour-space changes, prefetching, or any download -- the folder must already exist.
Batches are ``uint8``; the training step converts them to float32 in ``[0, 1]``.

The folder comes from the caller; :func:`default_folder` falls back to
``$COMPRESS_DATA/train`` (the data folder beside the project, see ``DESIGN.md``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["PatchDataset", "default_folder"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")


def default_folder() -> Path:
    """``$COMPRESS_DATA/train`` (``COMPRESS_DATA`` defaults to ``../shared/data`` beside the project)."""
    root = os.environ.get("COMPRESS_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    return Path(root) / "train"


def _load_rgb(path: Path) -> np.ndarray:
    from PIL import Image  # Pillow comes with matplotlib; imported here so the module loads without it

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)  # (H, W, 3)


class PatchDataset:
    """Random ``crop x crop`` RGB patches from the images of a folder (or from given arrays).

    Parameters
    ----------
    images : str, Path or sequence of numpy.ndarray, optional
        A folder (every file with an image suffix, sorted by name) or a list of ``uint8``
        ``(H, W, 3)`` arrays.  ``None``: :func:`default_folder`.
    crop : int
        Side of the square patches.
    n_val : int
        How many of the last images (by name) are held out for validation, one centre crop
        each; ``0`` for none.
    seed : int
        Seed of the crop positions and flips.

    Attributes
    ----------
    train_images, val_images : list of numpy.ndarray
        The images at least ``crop`` on each side (smaller ones are skipped).
    skipped : int
        How many images were too small.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> imgs = [rng.integers(0, 256, (40, 50, 3), dtype=np.uint8) for _ in range(3)]
    >>> ds = PatchDataset(imgs, crop=32, n_val=1, seed=1)
    >>> ds.batch(0, 4).shape, ds.batch(0, 4).dtype, ds.validation().shape
    ((4, 32, 32, 3), dtype('uint8'), (1, 32, 32, 3))
    >>> bool((ds.batch(7, 4) == ds.batch(7, 4)).all())
    True
    """

    def __init__(self, images=None, *, crop: int = 128, n_val: int = 8, seed: int = 0):
        if crop < 1:
            raise ValueError(f"crop={crop} must be >= 1")
        if n_val < 0:
            raise ValueError(f"n_val={n_val} must be >= 0")
        if images is None:
            images = default_folder()
        if isinstance(images, (str, os.PathLike)):
            folder = Path(images)
            if not folder.is_dir():
                raise FileNotFoundError(f"image folder {folder} does not exist")
            paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            images = [_load_rgb(p) for p in paths]
        images = [np.asarray(im, np.uint8) for im in images]
        usable = [im for im in images if im.ndim == 3 and im.shape[2] == 3
                  and im.shape[0] >= crop and im.shape[1] >= crop]
        self.skipped = len(images) - len(usable)
        if len(usable) <= n_val:
            raise ValueError(f"{len(usable)} usable images (at least {crop}x{crop} RGB), "
                             f"need more than n_val={n_val}")
        self.crop = crop
        self.seed = seed
        self.train_images = usable[:len(usable) - n_val]
        self.val_images = usable[len(usable) - n_val:]

    def batch(self, step: int, batch_size: int) -> np.ndarray:
        """Training batch number ``step``: ``(batch_size, crop, crop, 3)`` ``uint8``, a function of ``(seed, step)``."""
        rng = np.random.default_rng([self.seed, step])
        c = self.crop
        out = np.empty((batch_size, c, c, 3), np.uint8)  # (B, crop, crop, 3)
        for b in range(batch_size):
            im = self.train_images[rng.integers(len(self.train_images))]
            top = rng.integers(im.shape[0] - c + 1)
            left = rng.integers(im.shape[1] - c + 1)
            patch = im[top:top + c, left:left + c]  # (crop, crop, 3)
            if rng.random() < 0.5:
                patch = patch[:, ::-1]  # horizontal flip
            if rng.random() < 0.5:
                patch = patch[::-1]  # vertical flip
            out[b] = patch
        return out

    def validation(self) -> np.ndarray:
        """The fixed held-out crops: one centre crop per validation image, ``(n_val, crop, crop, 3)``."""
        c = self.crop
        crops = []
        for im in self.val_images:
            top, left = (im.shape[0] - c) // 2, (im.shape[1] - c) // 2
            crops.append(im[top:top + c, left:left + c])
        return np.stack(crops) if crops else np.empty((0, c, c, 3), np.uint8)
