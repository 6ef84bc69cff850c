"""The random-crop patch loader."""

import numpy as np
import pytest
from PIL import Image

from learned.data import PatchDataset, default_folder


def _images(n=4, h=40, w=50):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_batches_are_deterministic_crops():
    imgs = _images()
    ds = PatchDataset(imgs, crop=16, n_val=1, seed=3)
    b = ds.batch(5, 6)
    assert b.shape == (6, 16, 16, 3) and b.dtype == np.uint8
    np.testing.assert_array_equal(b, PatchDataset(imgs, crop=16, n_val=1, seed=3).batch(5, 6))
    assert not np.array_equal(b, ds.batch(6, 6))
    assert not np.array_equal(b, PatchDataset(imgs, crop=16, n_val=1, seed=4).batch(5, 6))
    # every patch is a (possibly flipped) window of a training image, never of the held-out one
    for patch in b:
        found = False
        for im in ds.train_images:
            for cand in (patch, patch[:, ::-1], patch[::-1], patch[::-1, ::-1]):
                for top in range(im.shape[0] - 15):
                    row = im[top:top + 16]
                    hits = [left for left in range(im.shape[1] - 15) if np.array_equal(row[:, left:left + 16], cand)]
                    found |= bool(hits)
        assert found


def test_validation_is_held_out_and_small_images_skipped():
    imgs = _images(3) + [np.zeros((8, 8, 3), np.uint8)]
    ds = PatchDataset(imgs, crop=16, n_val=1)
    assert ds.skipped == 1 and len(ds.train_images) == 2
    assert ds.validation().shape == (1, 16, 16, 3)
    np.testing.assert_array_equal(ds.validation()[0], imgs[2][12:28, 17:33])


def test_folder_loading(tmp_path):
    for k, im in enumerate(_images(3)):
        Image.fromarray(im).save(tmp_path / f"{k}.png")
    (tmp_path / "MANIFEST.tsv").write_text("not an image")
    ds = PatchDataset(tmp_path, crop=32, n_val=1)
    assert len(ds.train_images) == 2 and len(ds.val_images) == 1


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError):
        PatchDataset(tmp_path / "missing")
    with pytest.raises(ValueError, match="usable"):
        PatchDataset(_images(2), crop=16, n_val=2)
    with pytest.raises(ValueError, match="crop"):
        PatchDataset(_images(2), crop=0)


def test_default_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COMPRESS_DATA", str(tmp_path))
    assert default_folder() == tmp_path / "train"
