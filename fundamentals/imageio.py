"""Reading and writing images, and the embedded sample image.

Every codec in this package works on ``uint8`` arrays of shape ``(H, W)`` (gray)
or ``(H, W, 3)`` (RGB).  :func:`load_image` turns any file Pillow can read into
one of those two, with fixed conversion rules (below); :func:`save_image` writes
PNG (lossless) and :func:`check_image` is the one place that validates an array
given to an encoder.

Pillow is used here ONLY to read and write files, never as a codec under test.

Conversion rules of :func:`load_image`
--------------------------------------
=================  ===========================================================
file mode          result
=================  ===========================================================
``L``              gray, as is
``1`` (bilevel)    gray, 0 and 255
``RGB``            RGB, as is
``P`` (palette)    expanded through the palette: gray if the palette is gray
                   (R = G = B for every entry), else RGB; transparency dropped
``RGBA``, ``LA``   alpha dropped (the colour samples are kept as stored, not
                   composited over a background), giving RGB or gray
``I;16``, ``I``    16-bit gray: ``round(v / 257)``, which maps 0 -> 0 and
                   65535 -> 255 exactly
``CMYK``, others   converted by Pillow to RGB
``F`` (float)      refused (``UnsupportedError``): no unambiguous scale
=================  ===========================================================

The embedded sample is Kodak's ``kodim23.png`` (768 x 512 RGB, released by
Eastman Kodak for unrestricted use; see ``fundamentals/data/README.md``).

Examples
--------
>>> img = load_image()          # the embedded sample
>>> img.shape, img.dtype
((512, 768, 3), dtype('uint8'))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fundamentals.errors import UnsupportedError

__all__ = ["SAMPLES", "check_image", "load_image", "save_image"]

_DATA = Path(__file__).resolve().parent / "data"
#: Images shipped inside the package, by name.
SAMPLES = {"kodim23": _DATA / "kodim23.png"}


def load_image(path=None) -> np.ndarray:
    """Read an image file as a ``uint8`` gray or RGB array.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A file path, or the name of an embedded sample (see :data:`SAMPLES`).
        ``None`` loads the default sample, ``kodim23``.

    Returns
    -------
    numpy.ndarray
        ``uint8``, shape ``(H, W)`` or ``(H, W, 3)``, converted by the rules in
        the module docstring.

    Raises
    ------
    FileNotFoundError
        The path does not exist; the message lists the sample names.
    UnsupportedError
        The file cannot be mapped to 8-bit samples (floating-point images).
    """
    from PIL import Image, UnidentifiedImageError

    if path is None:
        path = "kodim23"
    if str(path) in SAMPLES:
        path = SAMPLES[str(path)]
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no image file at {str(path)!r} (embedded samples: {', '.join(sorted(SAMPLES))})"
        )
    try:
        with Image.open(path) as im:
            im.load()
            return _to_uint8(im)
    except UnidentifiedImageError:
        raise UnsupportedError(f"{str(path)!r} is not an image file Pillow can read") from None


def save_image(path, img: np.ndarray) -> None:
    """Write a ``uint8`` gray or RGB array as a PNG file (lossless).

    Parameters
    ----------
    path : str or pathlib.Path
        Destination; the format follows the suffix (use ``.png`` to stay lossless).
    img : numpy.ndarray
        ``uint8`` array, ``(H, W)`` or ``(H, W, 3)``.
    """
    from PIL import Image

    img = check_image(img)
    Image.fromarray(img).save(path)


def check_image(img, *, name: str = "img") -> np.ndarray:
    """Validate an image given to an encoder and return it as an ndarray.

    Parameters
    ----------
    img : array_like
        Must be ``uint8`` with shape ``(H, W)`` or ``(H, W, 3)``, ``H, W >= 1``.
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.ndarray
        The same data, C-contiguous.

    Raises
    ------
    ValueError
        Wrong type, dtype or shape; the message says what was found.

    Examples
    --------
    >>> check_image(np.zeros((2, 3), np.uint8)).shape
    (2, 3)
    >>> check_image(np.zeros((2, 3), np.float32))
    Traceback (most recent call last):
    ...
    ValueError: img must have dtype uint8, got float32
    """
    if not isinstance(img, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(img).__name__}")  # noqa: TRY004 (documented class)
    if img.dtype != np.uint8:
        raise ValueError(f"{name} must have dtype uint8, got {img.dtype}")
    if not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
        raise ValueError(f"{name} must have shape (H, W) or (H, W, 3), got {img.shape}")
    if img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError(f"{name} must have at least one pixel, got shape {img.shape}")
    return np.ascontiguousarray(img)


def _to_uint8(im) -> np.ndarray:
    """Apply the conversion rules of the module docstring to a Pillow image."""
    mode = im.mode
    if mode in ("L", "RGB"):
        return np.asarray(im, dtype=np.uint8).copy()
    if mode == "1":
        return np.asarray(im.convert("L"), dtype=np.uint8).copy()
    if mode in ("P", "PA"):
        rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
        gray = (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()
        return rgb[..., 0].copy() if gray else rgb.copy()
    if mode == "LA":
        return np.asarray(im, dtype=np.uint8)[..., 0].copy()
    if mode in ("RGBA", "RGBX", "RGBa"):
        return np.asarray(im, dtype=np.uint8)[..., :3].copy()
    if mode.startswith("I"):
        v = np.asarray(im).astype(np.int64)
        return np.clip((v * 2 + 257) // 514, 0, 255).astype(np.uint8)
    if mode == "F":
        raise UnsupportedError("floating-point images have no unambiguous 8-bit scale")
    return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
