"""The self-describing container that every non-standard codec writes.

A codec whose output is not a standard format (RLE image planes, DPCM, VQ, the
learned codec, ...) wraps its payload in this header, so that ``decode`` needs
nothing but the bytes: the codec id, the array shape and dtype and the codec's
parameters all travel in the stream.  Standard formats (JPEG/JFIF, ``.Z``,
PackBits) do NOT use it: their bytes are the standard's.

Byte layout (all multi-byte integers are unsigned LEB128 varints unless noted)

=============  ========  ===================================================
field          size      meaning
=============  ========  ===================================================
magic          4         ``89 43 50 4B`` (``"\\x89CPK"``; the high byte catches
                         7-bit and text-mode damage, as in PNG)
version        1         :data:`VERSION` (1)
id length n    1         1..32
codec id       n         ASCII ``[a-z0-9_.-]``, e.g. ``b"rle"``
dtype          1         1 = uint8, 2 = uint16, 3 = int16, 4 = int32
ndim           1         0..4
shape          varints   ``ndim`` sides, each <= :data:`MAX_SIDE`
params length  varint    <= :data:`MAX_PARAMS_BYTES`
params         p         JSON object, UTF-8, keys sorted, no spaces
payload length varint    L
crc32          4         CRC-32 (ISO-HDLC, as zlib/PNG) of the payload, big-endian
payload        L         the codec's own bytes; nothing may follow it
=============  ========  ===================================================

Decompression bombs: a header may not claim more than :data:`MAX_PIXELS`
pixels (product of the first two sides) nor more than ``4 * MAX_PIXELS``
elements; the check happens in :func:`unpack`, before any decoder allocates.

What it does NOT do: compression, encryption, or more than one payload.

Examples
--------
>>> blob = pack("demo", b"abc", shape=(1, 3), params={"q": 5})
>>> header, payload = unpack(blob, codec="demo")
>>> header.shape, header.params, payload
((1, 3), {'q': 5}, b'abc')
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field

import numpy as np

from fundamentals.bitio import read_varint, write_varint
from fundamentals.errors import CorruptStreamError, UnsupportedError

__all__ = ["MAX_PIXELS", "Header", "pack", "unpack"]

MAGIC = b"\x89CPK"
VERSION = 1
#: Largest image accepted, in pixels (rows x columns): 2**28 = 268 M pixels.
MAX_PIXELS = 1 << 28
#: Largest single side accepted.
MAX_SIDE = 1 << 20
#: Largest params JSON accepted, in bytes.
MAX_PARAMS_BYTES = 1 << 16
DTYPES = {1: "uint8", 2: "uint16", 3: "int16", 4: "int32"}
_DTYPE_CODES = {name: code for code, name in DTYPES.items()}
_CODEC_ID = re.compile(r"[a-z0-9_.\-]{1,32}")


@dataclass(frozen=True)
class Header:
    """The decoded header fields.

    Attributes
    ----------
    codec : str
        Codec id written by the encoder.
    shape : tuple of int
        Shape of the array the payload decodes to.
    dtype : str
        NumPy dtype name of that array.
    params : dict
        The encoder's parameters (JSON scalars, lists or dicts).
    size : int
        Header length in bytes (the payload starts here).
    """

    codec: str
    shape: tuple[int, ...]
    dtype: str
    params: dict = field(default_factory=dict)
    size: int = 0


def pack(codec: str, payload: bytes, *, shape, dtype="uint8", params=None) -> bytes:
    """Prepend the container header to ``payload``.

    Parameters
    ----------
    codec : str
        Codec id, 1..32 characters of ``[a-z0-9_.-]``.
    payload : bytes
        The codec's bytes.
    shape : tuple of int
        Shape of the decoded array (0 to 4 sides).
    dtype : str or numpy.dtype
        One of ``uint8``, ``uint16``, ``int16``, ``int32``.
    params : dict, optional
        JSON-serialisable parameters the decoder needs.

    Returns
    -------
    bytes
        Header followed by the payload.
    """
    if not _CODEC_ID.fullmatch(codec):
        raise ValueError(f"codec id {codec!r} must be 1..32 characters of [a-z0-9_.-]")
    dtype = np.dtype(dtype).name
    if dtype not in _DTYPE_CODES:
        raise ValueError(f"dtype {dtype!r} not storable (allowed: {sorted(_DTYPE_CODES)})")
    shape = tuple(int(s) for s in shape)
    _check_shape(shape, ValueError)
    text = json.dumps(params or {}, sort_keys=True, separators=(",", ":")).encode()
    if len(text) > MAX_PARAMS_BYTES:
        raise ValueError(f"params take {len(text)} bytes, more than {MAX_PARAMS_BYTES}")
    payload = bytes(payload)
    out = bytearray(MAGIC)
    out.append(VERSION)
    out.append(len(codec))
    out += codec.encode("ascii")
    out.append(_DTYPE_CODES[dtype])
    out.append(len(shape))
    for side in shape:
        out += write_varint(side)
    out += write_varint(len(text)) + text
    out += write_varint(len(payload))
    out += zlib.crc32(payload).to_bytes(4, "big")
    return bytes(out) + payload


def unpack(data: bytes, codec: str | None = None) -> tuple[Header, bytes]:
    """Validate the header of ``data`` and return it with the payload.

    Every field is checked in order, and the dimension limits before anything
    is allocated.

    Parameters
    ----------
    data : bytes
        A stream written by :func:`pack`.
    codec : str, optional
        If given, the stream must carry this codec id.

    Returns
    -------
    header : Header
    payload : bytes

    Raises
    ------
    CorruptStreamError
        Truncated stream, wrong magic or codec, bad field, CRC mismatch or
        trailing bytes.
    UnsupportedError
        A newer container version.
    """
    data = bytes(data)
    if len(data) < 6:
        raise CorruptStreamError(f"stream of {len(data)} bytes is too short for a container header")
    if data[:4] != MAGIC:
        raise CorruptStreamError(f"bad magic {data[:4]!r} (expected {MAGIC!r})")
    if data[4] != VERSION:
        raise UnsupportedError(f"container version {data[4]} (this reader knows {VERSION})")
    n = data[5]
    pos = 6
    name_bytes = data[pos : pos + n]
    pos += n
    try:
        name = name_bytes.decode("ascii")
    except UnicodeDecodeError:
        name = ""
    if not _CODEC_ID.fullmatch(name) or len(name_bytes) != n:
        raise CorruptStreamError(f"bad codec id {name_bytes!r}")
    if codec is not None and name != codec:
        raise CorruptStreamError(f"stream is of codec {name!r}, expected {codec!r}")
    if pos + 2 > len(data):
        raise CorruptStreamError("stream ends inside the header")
    dtype = DTYPES.get(data[pos])
    if dtype is None:
        raise CorruptStreamError(f"unknown dtype code {data[pos]}")
    ndim = data[pos + 1]
    pos += 2
    if ndim > 4:
        raise CorruptStreamError(f"ndim {ndim} > 4")
    shape = []
    for _ in range(ndim):
        side, pos = read_varint(data, pos)
        shape.append(side)
    shape = tuple(shape)
    _check_shape(shape, CorruptStreamError)
    plen, pos = read_varint(data, pos)
    if plen > MAX_PARAMS_BYTES or pos + plen > len(data):
        raise CorruptStreamError(f"params length {plen} exceeds the stream or the limit")
    try:
        params = json.loads(data[pos : pos + plen].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptStreamError(f"params are not valid JSON: {exc}") from None
    if not isinstance(params, dict):
        raise CorruptStreamError("params are not a JSON object")
    pos += plen
    length, pos = read_varint(data, pos)
    if pos + 4 > len(data):
        raise CorruptStreamError("stream ends inside the header")
    crc = int.from_bytes(data[pos : pos + 4], "big")
    pos += 4
    if len(data) - pos != length:
        raise CorruptStreamError(f"payload is {len(data) - pos} bytes, header says {length}")
    payload = data[pos:]
    if zlib.crc32(payload) != crc:
        raise CorruptStreamError("payload CRC-32 mismatch")
    return Header(name, shape, dtype, params, pos), payload


def _check_shape(shape: tuple[int, ...], error: type[Exception]) -> None:
    """Refuse shapes over the decompression-bomb limits."""
    if len(shape) > 4:
        raise error(f"ndim {len(shape)} > 4")
    if any(s < 0 or s > MAX_SIDE for s in shape):
        raise error(f"shape {shape} has a side outside [0, {MAX_SIDE}]")
    pixels = int(np.prod(shape[:2], dtype=np.int64)) if shape else 1
    elements = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if pixels > MAX_PIXELS or elements > 4 * MAX_PIXELS:
        raise error(f"shape {shape} exceeds the limit of {MAX_PIXELS} pixels")
