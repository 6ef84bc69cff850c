"""Codec chains written as strings: ``"quantize(bits=4)|rle"``, ``"vq(k=64,block=4)|huffman"``.

A chain is a list of stages separated by ``|``; each stage is a name with optional
``key=value`` parameters in parentheses.  Stages are of two kinds:

* **array stages** map an image-like array to another array, plus a little side
  information: ``quantize(bits)`` maps samples to quantizer indices; ``vq(k, block,
  seed, n_init)`` maps blocks to codebook indices (an image ``b`` times smaller) and keeps
  the codebook as side information; ``dpcm(predictor)`` maps samples to their
  prediction residuals mod 256 (T.81 Table H.1 predictors 1..7; lossless);
* **byte stages** map bytes to bytes (``rle``, ``huffman``, ``lzw``, ``ans``).

When a byte stage follows an array stage, the array is serialized in C order
(its shape and dtype are recorded).  The last stage's output is the payload.
:func:`encode` writes ONE container (codec id ``chain``) that records the chain
string, the shape and dtype seen at each stage boundary, and every stage's side
information, so :func:`decode` needs nothing but the bytes: it parses the chain
again and runs every stage's inverse in reverse order.

A chain is lossless only if all its stages are (:func:`is_lossless`).  A
malformed chain gets a ``ValueError`` that names the bad part.

Payload layout (inside the container; params = ``{"chain": str, "meta": [...]}``)

===============  =================================================================
field            meaning
===============  =================================================================
varint s         number of side-information blocks (one per stage)
s x (varint, b)  each stage's side information, length-prefixed, in chain order
rest             the last stage's output bytes
===============  =================================================================

Examples
--------
>>> import numpy as np
>>> img = np.repeat(np.arange(0, 256, 16, dtype=np.uint8), 8).reshape(8, 16)
>>> data = encode(img, "quantize(bits=4)|rle")
>>> (decode(data) == (img >> 4 << 4) + 8).all()
np.True_
>>> parse("vq(k=64,block=4)|huffman")
[('vq', {'k': 64, 'block': 4, 'seed': 0, 'n_init': 1}), ('huffman', {})]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from classical import ans, huffman, jpeg_lossless, lzw, rle, vq
from fundamentals.bitio import read_varint, write_varint
from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError
from fundamentals.imageio import check_image

__all__ = ["STAGES", "Stage", "decode", "encode", "is_lossless", "parse"]

CODEC_ID = "chain"


@dataclass(frozen=True)
class Stage:
    """One stage of a chain.

    Attributes
    ----------
    name : str
        Name used in chain strings.
    kind : str
        ``"array"`` (array -> array + side bytes) or ``"bytes"`` (bytes -> bytes).
    lossless : bool
        Whether ``inverse(forward(x)) == x`` always.
    forward : callable
        ``forward(x, **params) -> (y, side)``.
    inverse : callable
        ``inverse(y, side, **params) -> x``; ``shape``/``dtype`` of ``x`` are passed
        to array stages as keywords ``shape`` and ``dtype``.
    defaults : dict
        Allowed parameters with their default values.
    """

    name: str
    kind: str
    lossless: bool
    forward: Callable
    inverse: Callable
    defaults: dict = field(default_factory=dict)


# ---- stages -------------------------------------------------------------------------------------


def _bytes_stage(name, enc, dec):
    return Stage(name, "bytes", True, lambda x: (enc(x), b""), lambda y, side: dec(y))


def _quantize_forward(img, *, bits):
    return (img >> (8 - bits)).astype(np.uint8), b""


def _quantize_inverse(q, side, *, bits, shape, dtype):
    if q.dtype != np.uint8 or (q.size and int(q.max()) >= 1 << bits):
        raise CorruptStreamError(f"quantizer indices out of range for {bits} bits")
    if bits == 8:
        return q
    step = 1 << (8 - bits)
    return (q.astype(np.int32) * step + step // 2).astype(np.uint8)


def _dpcm_forward(img, *, predictor):
    """Residuals ``(x - Px) mod 256`` of every plane (T.81 Table H.1 predictor); uint8, same shape."""
    return ((img.astype(np.int64) - jpeg_lossless.predict(img, predictor)) % 256).astype(np.uint8), b""


def _dpcm_inverse(r, side, *, predictor, shape, dtype):
    if r.shape != shape or r.dtype != np.uint8:
        raise CorruptStreamError(f"dpcm residuals of shape {r.shape}, expected {shape}")
    return jpeg_lossless.unpredict(r, predictor, modulus=256).astype(np.uint8)


def _vq_forward(img, *, k, block, seed, n_init):
    """Block indices as an image-like array (uint8 if k <= 256, else uint16); the codebook is side info."""
    book, labels = vq.quantize_blocks(img, k=k, block=block, seed=seed, n_init=n_init)
    grid = (-(-img.shape[0] // block), -(-img.shape[1] // block))
    dtype = np.uint8 if book.shape[0] <= 256 else np.uint16
    return labels.reshape(grid).astype(dtype), book.tobytes()


def _vq_inverse(labels, side, *, k, block, seed, n_init, shape, dtype):
    dim = block * block * (shape[2] if len(shape) == 3 else 1)
    grid = (-(-shape[0] // block), -(-shape[1] // block))
    n_words = len(side) // dim
    if len(side) % dim or not 1 <= n_words <= vq.MAX_K or labels.shape != grid:
        raise CorruptStreamError("vq codebook or index map does not fit the image")
    labels = labels.reshape(-1).astype(np.int64)
    if labels.size and labels.max() >= n_words:
        raise CorruptStreamError("vq index beyond the codebook")
    book = np.frombuffer(side, np.uint8).reshape(n_words, dim)
    return vq.reconstruct(book, labels, shape, block)


def _check_dpcm(params):
    if params.get("predictor") not in range(1, 8):
        raise ValueError(f"dpcm: predictor must be 1..7 (T.81 Table H.1), got {params.get('predictor')!r}")


def _check_vq(params):
    if not (isinstance(params.get("k"), int) and 1 <= params["k"] <= vq.MAX_K):
        raise ValueError(f"vq: k must be an integer in 1..{vq.MAX_K}, got {params.get('k')!r}")
    if params.get("block") not in vq.BLOCKS:
        raise ValueError(f"vq: block must be one of {vq.BLOCKS}, got {params.get('block')!r}")
    for key in ("seed", "n_init"):
        if not isinstance(params.get(key), int) or params[key] < (key == "n_init"):
            raise ValueError(f"vq: {key} must be a non-negative integer (n_init >= 1), got {params.get(key)!r}")


def _positive_bits(params):
    bits = params.get("bits")
    if not (isinstance(bits, int) and 1 <= bits <= 8):
        raise ValueError(f"quantize: bits must be an integer in 1..8, got {bits!r}")


STAGES: dict[str, Stage] = {
    "quantize": Stage("quantize", "array", False, _quantize_forward, _quantize_inverse, {"bits": 4}),
    "dpcm": Stage("dpcm", "array", True, _dpcm_forward, _dpcm_inverse, {"predictor": 4}),
    "vq": Stage("vq", "array", False, _vq_forward, _vq_inverse, {"k": 64, "block": 4, "seed": 0, "n_init": 1}),
    "rle": _bytes_stage("rle", rle.packbits_encode, rle.packbits_decode),
    "huffman": _bytes_stage("huffman", huffman.compress, huffman.decompress),
    "lzw": _bytes_stage("lzw", lzw.compress, lzw.decompress),
    "ans": _bytes_stage("ans", ans.compress, ans.decompress),
}
_CHECKS = {"quantize": _positive_bits, "dpcm": _check_dpcm, "vq": _check_vq}


# ---- parsing ------------------------------------------------------------------------------------

_STAGE = re.compile(r"\s*([a-z][a-z0-9_]*)\s*(?:\((.*)\))?\s*")
_PARAM = re.compile(r"\s*([a-z_][a-z0-9_]*)\s*=\s*([^,=()\s]+)\s*")


def parse(chain: str) -> list[tuple[str, dict]]:
    """Split a chain string into ``(stage name, params)`` pairs, checking every part.

    Parameters values are ints, floats or bare words.  Unknown stages, unknown
    parameters and malformed text raise ``ValueError`` naming the bad part.
    """
    if not isinstance(chain, str) or not chain.strip():
        raise ValueError(f"empty chain {chain!r}")
    stages = []
    for part in chain.split("|"):
        m = _STAGE.fullmatch(part)
        if not m:
            raise ValueError(f"malformed stage {part.strip()!r} in chain {chain!r}")
        name, args = m.group(1), m.group(2)
        if name not in STAGES:
            raise ValueError(f"unknown stage {name!r} in chain {chain!r} (stages: {', '.join(STAGES)})")
        params = dict(STAGES[name].defaults)
        if args is not None and args.strip():
            for item in args.split(","):
                pm = _PARAM.fullmatch(item)
                if not pm:
                    raise ValueError(f"malformed parameter {item.strip()!r} of stage {name!r} in {chain!r}")
                key, value = pm.group(1), pm.group(2)
                if key not in STAGES[name].defaults:
                    raise ValueError(f"stage {name!r} has no parameter {key!r} "
                                     f"(allowed: {', '.join(STAGES[name].defaults) or 'none'})")
                params[key] = _value(value)
        if name in _CHECKS:
            _CHECKS[name](params)
        stages.append((name, params))
    for (a, _), (b, _) in itertools.pairwise(stages):
        if STAGES[a].kind == "bytes" and STAGES[b].kind == "array":
            raise ValueError(f"stage {b!r} needs an array but follows byte stage {a!r} in {chain!r}")
    return stages


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def is_lossless(chain: str) -> bool:
    """True if every stage of ``chain`` is lossless."""
    return all(STAGES[name].lossless for name, _ in parse(chain))


# ---- encode / decode ----------------------------------------------------------------------------


def encode(img: np.ndarray, chain: str) -> bytes:
    """Run ``img`` through the stages of ``chain`` and wrap the result in one container."""
    img = check_image(img)
    stages = parse(chain)
    x = img
    meta, sides = [], []
    for name, params in stages:
        stage = STAGES[name]
        if isinstance(x, np.ndarray):
            meta.append([list(x.shape), x.dtype.name])
            if stage.kind == "bytes":
                x = x.tobytes()
        else:
            meta.append(None)
        x, side = stage.forward(x, **params)
        sides.append(side)
    if isinstance(x, np.ndarray):
        meta.append([list(x.shape), x.dtype.name])
        x = x.tobytes()
    else:
        meta.append(None)
    payload = write_varint(len(sides)) + b"".join(write_varint(len(s)) + s for s in sides) + x
    return pack(CODEC_ID, payload, shape=img.shape, params={"chain": chain, "meta": meta})


def decode(data: bytes) -> np.ndarray:
    """Invert :func:`encode`: parse the recorded chain and undo the stages in reverse."""
    header, payload = unpack(data, codec=CODEC_ID)
    chain, meta = header.params.get("chain"), header.params.get("meta")
    try:
        stages = parse(chain)
    except ValueError as exc:
        raise CorruptStreamError(f"bad chain in stream: {exc}") from None
    if not isinstance(meta, list) or len(meta) != len(stages) + 1:
        raise CorruptStreamError("chain metadata does not match the chain")
    count, pos = read_varint(payload, 0)
    if count != len(stages):
        raise CorruptStreamError(f"{count} side blocks for {len(stages)} stages")
    sides = []
    for _ in range(count):
        length, pos = read_varint(payload, pos)
        if pos + length > len(payload):
            raise CorruptStreamError("side information runs past the payload")
        sides.append(payload[pos : pos + length])
        pos += length
    x = _as_array(payload[pos:], meta[-1])
    for i in range(len(stages) - 1, -1, -1):
        name, params = stages[i]
        stage = STAGES[name]
        if stage.kind == "array":
            shape, dtype = _meta(meta[i])
            x = _as_array(x, meta[i + 1]) if isinstance(x, bytes) else x
            x = stage.inverse(x, sides[i], shape=shape, dtype=dtype, **params)
        else:
            x = stage.inverse(bytes(x), sides[i])
        x = _as_array(x, meta[i])
    if not isinstance(x, np.ndarray) or x.shape != header.shape or x.dtype != np.uint8:
        raise CorruptStreamError("chain did not decode to the recorded image")
    return x


def _meta(entry):
    if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list)
            and all(isinstance(s, int) and 0 <= s <= 1 << 28 for s in entry[0])
            and entry[1] in ("uint8", "uint16", "int16", "int32")):
        raise CorruptStreamError(f"bad array metadata {entry!r}")
    return tuple(entry[0]), np.dtype(entry[1])


def _as_array(x, entry):
    """Bytes -> array when ``entry`` records an array at this boundary; else unchanged."""
    if entry is None or isinstance(x, np.ndarray):
        return x
    shape, dtype = _meta(entry)
    n = int(np.prod(shape, dtype=np.int64))
    if len(x) != n * dtype.itemsize:
        raise CorruptStreamError(f"{len(x)} bytes cannot hold an array {shape} of {dtype}")
    return np.frombuffer(x, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)
