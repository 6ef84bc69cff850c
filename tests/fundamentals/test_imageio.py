import numpy as np
import pytest
from PIL import Image

from fundamentals.errors import UnsupportedError
from fundamentals.imageio import SAMPLES, check_image, load_image, save_image


def test_sample_image():
    img = load_image()
    assert img.shape == (512, 768, 3) and img.dtype == np.uint8
    assert 60 < img.mean() < 200 and img.std() > 20  # a real photo, not a blank
    np.testing.assert_array_equal(load_image("kodim23"), img)


def test_missing_file_names_the_samples(tmp_path):
    with pytest.raises(FileNotFoundError, match="kodim23") as info:
        load_image(tmp_path / "missing.png")
    assert "missing.png" in str(info.value)
    assert set(SAMPLES) == {"kodim23"}


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3)])
def test_save_load_round_trip(tmp_path, shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    save_image(tmp_path / "a.png", img)
    np.testing.assert_array_equal(load_image(tmp_path / "a.png"), img)


def test_conversions(tmp_path):
    rgba = np.random.default_rng(1).integers(0, 256, (4, 6, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    np.testing.assert_array_equal(load_image(tmp_path / "rgba.png"), rgba[..., :3])

    v16 = np.array([[0, 128, 257, 65535, 32896]], np.uint16)
    Image.fromarray(v16).save(tmp_path / "g16.png")
    assert load_image(tmp_path / "g16.png").tolist() == [[0, 0, 1, 255, 128]]

    gray_pal = Image.fromarray(np.array([[0, 10], [20, 30]], np.uint8)).convert("P")
    gray_pal.save(tmp_path / "pal.png")
    assert load_image(tmp_path / "pal.png").ndim == 2

    bilevel = Image.fromarray(np.array([[0, 255]], np.uint8)).convert("1")
    bilevel.save(tmp_path / "bw.png")
    assert load_image(tmp_path / "bw.png").tolist() == [[0, 255]]

    Image.fromarray(np.zeros((2, 2), np.float32), "F").save(tmp_path / "f.tiff")
    with pytest.raises(UnsupportedError):
        load_image(tmp_path / "f.tiff")
    (tmp_path / "text.png").write_bytes(b"not an image")
    with pytest.raises(UnsupportedError):
        load_image(tmp_path / "text.png")


def test_check_image_messages():
    with pytest.raises(ValueError, match=r"shape \(H, W\) or \(H, W, 3\)"):
        check_image(np.zeros((2, 2, 4), np.uint8))
    with pytest.raises(ValueError, match="numpy array"):
        check_image([[1]])
