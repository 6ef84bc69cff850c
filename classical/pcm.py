"""PCM: the uncompressed baseline, at 8 bits or fewer per sample.

Pulse-code modulation stores every sample as a fixed-length binary number.  At
8 bits per sample this is the raw image (lossless, 8 bpp for gray, 24 bpp for
RGB, plus the header): every other codec is measured against it.  With fewer
bits ``b`` it is uniform scalar quantization with step :math:`\\Delta = 2^{8-b}`
(a mid-rise quantizer: index :math:`q = \\lfloor x / \\Delta \\rfloor`,
reconstruction at the cell's midpoint :math:`\\hat x = q\\Delta + \\Delta/2`),
so the error is at most :math:`\\Delta / 2` and ``b = 1`` is binarization at
128, reconstructed as 64 / 192.

What it does NOT do: any entropy coding (the stream is exactly
``ceil(n * b / 8)`` payload bytes for ``n`` samples) or dithering.

Byte layout: the container of :mod:`fundamentals.container` with codec id
``pcm`` and params ``{"bits": b}``; the payload is the ``b``-bit indices of
every sample in C order (row, column, channel), packed MSB-first, the last byte
padded with zero bits.

Examples
--------
>>> import numpy as np
>>> img = np.array([[0, 100, 200, 255]], np.uint8)
>>> decode(encode(img, bits=8)).tolist()
[[0, 100, 200, 255]]
>>> decode(encode(img, bits=1)).tolist()
[[64, 64, 192, 192]]
"""

from __future__ import annotations

import numpy as np

from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError
from fundamentals.imageio import check_image

__all__ = ["decode", "encode"]

CODEC_ID = "pcm"


def encode(img: np.ndarray, *, bits: int = 8) -> bytes:
    """Store every sample with ``bits`` bits (8 = lossless raw image).

    Parameters
    ----------
    img : numpy.ndarray
        ``uint8``, ``(H, W)`` or ``(H, W, 3)``.
    bits : int
        Bits per sample, 1..8.

    Returns
    -------
    bytes
        Container stream, payload ``ceil(img.size * bits / 8)`` bytes.
    """
    img = check_image(img)
    if not (isinstance(bits, (int, np.integer)) and 1 <= bits <= 8):
        raise ValueError(f"bits must be an integer in 1..8, got {bits!r}")
    bits = int(bits)
    q = img.reshape(-1) >> (8 - bits)  # index of the quantizer cell
    planes = np.unpackbits(q[:, None], axis=1)[:, 8 - bits :]  # (n, bits), MSB first
    payload = np.packbits(planes.reshape(-1)).tobytes()
    return pack(CODEC_ID, payload, shape=img.shape, params={"bits": bits})


def decode(data: bytes) -> np.ndarray:
    """Invert :func:`encode`, reconstructing each cell at its midpoint.

    Raises
    ------
    CorruptStreamError
        Not a ``pcm`` stream, bad ``bits`` or a payload of the wrong length.
    """
    header, payload = unpack(data, codec=CODEC_ID)
    bits = header.params.get("bits")
    shape = header.shape
    if not (isinstance(bits, int) and 1 <= bits <= 8):
        raise CorruptStreamError(f"bad bits parameter {bits!r}")
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3) or header.dtype != "uint8":
        raise CorruptStreamError(f"pcm stream has an impossible image shape {shape}")
    n = int(np.prod(shape))
    if len(payload) != (n * bits + 7) // 8:
        raise CorruptStreamError(f"payload is {len(payload)} bytes, {n} samples need {(n * bits + 7) // 8}")
    if bits == 8:  # whole bytes: nothing to unpack
        q = np.frombuffer(payload, np.uint8)
    else:
        planes = np.unpackbits(np.frombuffer(payload, np.uint8))[: n * bits].reshape(n, bits)
        q = planes.astype(np.int64) @ (1 << np.arange(bits - 1, -1, -1))  # MSB-first bits -> index
    if bits == 8:
        out = q
    else:
        step = 1 << (8 - bits)
        out = q * step + step // 2  # midpoint of cell q
    return out.astype(np.uint8).reshape(shape)

