"""The codec registry: name -> :class:`Codec`, in the style of CompressAI's zoo.

Every codec module of the package (``classical.*``, ``learned.codec``) exposes
``encode(img, **params) -> bytes`` and ``decode(data) -> ndarray`` and knows
nothing of this module.  Here they are adapted to one protocol, so that the main
job (``python -m pipeline.run``), the benchmarks and the generic tests in
``tests/pipeline`` can treat them all alike.

A codec is registered either by passing a :class:`Codec` to :func:`register`,
or by decorating a class that has the same attributes::

    @register
    class Raw:
        "Uncompressed 8-bit samples in the container."
        name = "raw"
        lossless = True
        encode = staticmethod(functools.partial(pcm.encode, bits=8))
        decode = staticmethod(pcm.decode)

Examples
--------
>>> codec = get("raw")
>>> codec.lossless
True
>>> import numpy as np
>>> img = np.zeros((4, 4), np.uint8)
>>> (codec.decode(codec.encode(img)) == img).all()
np.True_
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from classical import dpcm, huffman, jpeg, jpeg_lossless, lzw, pcm, rle, vq
from learned import cae_codec
from learned import codec as learned_codec
from pipeline import compose

__all__ = ["Codec", "available", "codecs", "get", "register"]


@dataclass(frozen=True)
class Codec:
    """One registered codec.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"jpeg"``.
    encode : callable
        ``encode(img, **params) -> bytes``; ``img`` is ``uint8`` ``(H, W)`` or ``(H, W, 3)``.
    decode : callable
        ``decode(data) -> ndarray``; needs nothing but the bytes.
    lossless : bool
        True if ``decode(encode(img)) == img`` for every image at every setting.
    defaults : Mapping
        Parameters used when none are given (the "default settings" row of the table).
    sweep : tuple of Mapping
        Parameter sets for a rate-distortion curve, lowest rate first; empty for
        codecs with a single operating point.
    description : str
        One line for tables and the report.
    """

    name: str
    encode: Callable[..., bytes]
    decode: Callable[[bytes], np.ndarray]
    lossless: bool
    defaults: Mapping[str, Any] = field(default_factory=dict)
    sweep: tuple[Mapping[str, Any], ...] = ()
    description: str = ""

    def compress(self, img: np.ndarray, **params) -> bytes:
        """Encode with the defaults overridden by ``params``."""
        return self.encode(img, **{**self.defaults, **params})


_REGISTRY: dict[str, Codec] = {}
#: Read-only view of the registry, in registration order.
codecs = MappingProxyType(_REGISTRY)


def register(obj):
    """Add a codec to the registry; usable as a class decorator.

    Parameters
    ----------
    obj : Codec or class
        A :class:`Codec`, or a class with attributes ``name``, ``lossless``,
        ``encode``, ``decode`` and optionally ``defaults``, ``sweep`` (its
        docstring becomes the description).

    Returns
    -------
    The argument, unchanged (so it works as a decorator).
    """
    if isinstance(obj, Codec):
        codec = obj
    else:
        doc = (obj.__doc__ or "").strip().splitlines()
        codec = Codec(
            name=obj.name,
            encode=obj.encode,
            decode=obj.decode,
            lossless=bool(obj.lossless),
            defaults=MappingProxyType(dict(getattr(obj, "defaults", {}))),
            sweep=tuple(MappingProxyType(dict(p)) for p in getattr(obj, "sweep", ())),
            description=doc[0] if doc else "",
        )
    if codec.name in _REGISTRY:
        raise ValueError(f"codec {codec.name!r} is already registered")
    _REGISTRY[codec.name] = codec
    return obj


def get(name: str) -> Codec:
    """Return the codec registered as ``name``.

    Raises
    ------
    ValueError
        Unknown name; the message lists the available ones.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown codec {name!r} (available: {', '.join(available())})") from None


def available() -> list[str]:
    """Names of all registered codecs, in registration order."""
    return list(_REGISTRY)


# ---- the codecs ---------------------------------------------------------------------------------


def _raw_encode(img, **params):
    return pcm.encode(img, bits=8, **params)


@register
class Raw:
    """Raw 8-bit samples in the container (the uncompressed baseline)."""

    name = "raw"
    lossless = True
    encode = staticmethod(_raw_encode)
    decode = staticmethod(pcm.decode)


@register
class Quantize:
    """Uniform quantization to b bits per sample, packed (PCM, no entropy coding)."""

    name = "quantize"
    lossless = False
    encode = staticmethod(pcm.encode)
    decode = staticmethod(pcm.decode)
    defaults = MappingProxyType({"bits": 1})
    sweep = tuple({"bits": b} for b in range(1, 8))


@register
class Huffman:
    """Order-0 canonical Huffman code of the samples (no modelling of neighbours)."""

    name = "huffman"
    lossless = True
    encode = staticmethod(huffman.encode)
    decode = staticmethod(huffman.decode)


@register
class RLE:
    """PackBits run-length coding (TIFF 6.0 section 9), row by row, plane by plane."""

    name = "rle"
    lossless = True
    encode = staticmethod(rle.encode)
    decode = staticmethod(rle.decode)


@register
class LZW:
    """LZW exactly as Unix compress writes .Z (Welch 1984), plane by plane."""

    name = "lzw"
    lossless = True
    encode = staticmethod(lzw.encode)
    decode = staticmethod(lzw.decode)
    defaults = MappingProxyType({"maxbits": 16})
    sweep = ({"maxbits": 9}, {"maxbits": 12}, {"maxbits": 16})


@register
class JPEG:
    """Baseline sequential JPEG (ITU-T T.81) in JFIF, 4:2:0, Annex K tables scaled by IJG quality."""

    name = "jpeg"
    lossless = False
    encode = staticmethod(jpeg.encode)
    decode = staticmethod(jpeg.decode)
    defaults = MappingProxyType({"quality": 75, "subsampling": "4:2:0"})
    sweep = tuple({"quality": q} for q in (5, 10, 20, 30, 50, 75, 90, 95))


@register
class JPEGLossless:
    """Lossless JPEG (T.81 process 14, SOF3): Annex H predictor + Huffman-coded differences."""

    name = "jpeg-lossless"
    lossless = True
    encode = staticmethod(jpeg_lossless.encode)
    decode = staticmethod(jpeg_lossless.decode)
    defaults = MappingProxyType({"predictor": 7})


@register
class DPCM:
    """Lossless predictive coding: RCT, CALIC GAP prediction, context-adaptive rANS (wavefront decoder)."""

    name = "dpcm"
    lossless = True
    encode = staticmethod(dpcm.encode)
    decode = staticmethod(dpcm.decode)
    defaults = MappingProxyType({"predictor": "gap"})


@register
class DPCMNear:
    """Near-lossless DPCM (closed loop, JPEG-LS NEAR): every sample within +-near of the original."""

    name = "dpcm-near"
    lossless = False
    encode = staticmethod(dpcm.encode)
    decode = staticmethod(dpcm.decode)
    defaults = MappingProxyType({"near": 2})
    sweep = tuple({"near": n} for n in (16, 8, 4, 2, 1))


@register
class VQ:
    """k-means (k-means++) vector quantization of b x b colour blocks, indices Huffman-coded."""

    name = "vq"
    lossless = False
    encode = staticmethod(vq.encode)
    decode = staticmethod(vq.decode)
    defaults = MappingProxyType({"k": 64, "block": 4})
    sweep = tuple({"k": k, "block": b} for k, b in ((16, 8), (16, 4), (64, 8), (64, 4), (256, 4)))


@register
class CAE:
    """Plain convolutional autoencoder (the thesis baseline): 8-bit latent + Huffman, no rate term."""

    name = "cae"
    lossless = False
    encode = staticmethod(cae_codec.encode)
    decode = staticmethod(cae_codec.decode)


def _learned_codec() -> Codec | None:
    """The factorized-prior codec at the qualities whose weights are shipped (None if none are)."""
    qualities = learned_codec.available_qualities()
    if not qualities:
        return None
    return Codec(
        name="learned", encode=learned_codec.encode, decode=learned_codec.decode, lossless=False,
        defaults=MappingProxyType({"quality": qualities[len(qualities) // 2]}),
        sweep=tuple(MappingProxyType({"quality": q}) for q in qualities),
        description="Factorized-prior autoencoder (Balle et al. 2018) with rANS and integer CDF tables",
    )


if _learned_codec() is not None:
    register(_learned_codec())


def _chain_codec(name: str, chain: str, description: str) -> Codec:
    """A registered codec that runs a :mod:`pipeline.compose` chain."""
    return Codec(name=name, encode=lambda img: compose.encode(img, chain), decode=compose.decode,
                 lossless=compose.is_lossless(chain), description=f"{description} ({chain})")


register(_chain_codec("vq+rle", "vq(k=64,block=4)|rle", "the thesis's RLE+VQ: PackBits on the VQ index map"))
register(_chain_codec("dpcm4+huffman", "dpcm(predictor=4)|huffman", "Annex H predictor 4 residuals, order-0 Huffman"))
