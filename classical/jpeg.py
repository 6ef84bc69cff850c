"""Baseline sequential DCT JPEG in a JFIF file (ITU-T T.81, T.871): encoder and decoder.

What it does
------------
:func:`encode` turns an 8-bit gray or RGB image into a JFIF file that any JPEG
reader opens; :func:`decode` reads any baseline (or 8-bit extended sequential)
Huffman-coded JPEG back into pixels.  The encoder follows libjpeg (and so Pillow)
step by step, so that ``quality`` means the same thing and the files come out
within about 1% of Pillow's size:

1. colour: RGB -> YCbCr with T.871's matrix in libjpeg's 16-bit integer
   arithmetic, rounded to uint8 (gray images skip this);
2. chroma subsampling 4:2:0 / 4:2:2 (libjpeg's ``h2v2``/``h2v1`` averages with an
   alternating rounding bias), edges replicated out to whole blocks;
3. level shift by -128 and the 8x8 DCT of A.3.3 (:mod:`classical.dct`, float);
4. quantization, ``F / Q`` rounded as libjpeg rounds it, with the Annex K tables
   scaled by ``quality`` (IJG formula, :func:`quant_tables`); zig-zag scan (A.3.6);
5. Huffman coding with the K.3 tables or, with ``optimize=True``, tables built for
   this image (K.2) -- see :mod:`classical.jpeg_huffman`.

The decoder undoes each step: Huffman decoding (F.2.2), dequantization, inverse DCT,
libjpeg's "fancy" (triangle-filter) chroma upsampling and its integer YCbCr -> RGB.

Scope (what it does NOT do)
---------------------------
No progressive (SOF2), lossless (SOF3), hierarchical (SOF5-7) or arithmetic-coded
(SOF9-15) JPEG, no 12-bit samples, no CMYK/YCCK or 2-/4-component images, no
sampling factors above 2, no DNL marker: these raise
:class:`~fundamentals.errors.UnsupportedError`.  No EXIF/ICC handling (APPn
segments are skipped), no lossless transforms, no fast integer DCT.

File layout (what :func:`encode` writes, in order)
--------------------------------------------------
=====================  ======  ====================================================  ================
segment                marker  contents                                              T.81 clause
=====================  ======  ====================================================  ================
SOI                    FFD8    (none)                                                B.2.1
APP0 "JFIF"            FFE0    Lp=16, ``JFIF\\0``, version 1.01, units 0, density     T.871 10.1
                               1:1, no thumbnail
DQT                    FFDB    Lq, then per table: ``Pq<<4 | Tq``, 64 ``Qk`` in      B.2.4.1
                               zig-zag order
SOF0                   FFC0    Lf, P=8, Y, X, Nf, per component: ``Ci``,             B.2.2
                               ``Hi<<4 | Vi``, ``Tqi``
DHT                    FFC4    Lh, then per table: ``Tc<<4 | Th``, ``BITS`` (16      B.2.4.2
                               bytes), ``HUFFVAL``
DRI (if restarts)      FFDD    Lr=4, ``Ri`` (MCUs per restart interval)              B.2.4.4
SOS                    FFDA    Ls, Ns, per component: ``Cs``, ``Td<<4 | Ta``;         B.2.3
                               Ss=0, Se=63, ``Ah<<4 | Al`` = 0
entropy-coded data             Huffman codes, 0xFF stuffed as FF 00, 1-bit padding,  F.1.2.3, B.2.1
                               ``RSTm`` (FFD0+m) after every Ri MCUs
EOI                    FFD9    (none)                                                B.2.1
=====================  ======  ====================================================  ================

Every ``L`` field is a 2-byte big-endian length that counts itself but not the marker.
Components: gray is one component (id 1); colour is Y, Cb, Cr with ids 1, 2, 3,
Y using table 0 (quantization and Huffman) and Cb, Cr sharing table 1.

References
----------
ITU-T T.81 | ISO/IEC 10918-1 (1992): A.3.3 (DCT), A.3.6 (zig-zag), B.2 (syntax),
F.1.2 / F.2.2 (Huffman coding), K.1 (Tables K.1, K.2: example quantization tables;
T.81 prescribes no defaults), K.3 (typical Huffman tables).
ITU-T T.871 (2011) | ISO/IEC 10918-5: JFIF, RGB <-> YCbCr.
The Independent JPEG Group's libjpeg 6b and libjpeg-turbo: quality scaling
(``jcparam.c``), colour conversion (``jccolor.c``/``jdcolor.c``), down- and
upsampling (``jcsample.c``/``jdsample.c``).

Examples
--------
>>> import numpy as np
>>> img = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (16, 1))
>>> data = encode(img, quality=90)
>>> data[:4].hex(), data[-2:].hex()
('ffd8ffe0', 'ffd9')
>>> out = decode(data)
>>> out.shape, out.dtype, int(np.abs(out.astype(int) - img).max()) <= 4
((16, 16), dtype('uint8'), True)
"""

from __future__ import annotations

import numpy as np

from classical.dct import ZIGZAG, dct2, idct2, merge_blocks, split_blocks
from classical.jpeg_huffman import (
    STD_AC_CHROMINANCE,
    STD_AC_LUMINANCE,
    STD_DC_CHROMINANCE,
    STD_DC_LUMINANCE,
    HuffmanTable,
    decode_scan,
    encode_scan,
    optimal_table,
    scan_symbols,
)
from classical.jpeg_markers import (
    APP0,
    APP14,
    DHT,
    DQT,
    DRI,
    EOI,
    MAX_PIXELS,
    SOF_NAMES,
    SOI,
    SOS,
    Component,
    Frame,
    read_dht,
    read_dqt,
    read_dri,
    read_sof,
    read_sos,
    segment,
    write_app0,
    write_dht,
    write_dqt,
    write_dri,
    write_sof0,
    write_sos,
)
from fundamentals.errors import CorruptStreamError, UnsupportedError

__all__ = ["MAX_PIXELS", "decode", "encode", "quant_tables"]

#: Table K.1, luminance quantization table (natural row-major order).
K1_LUMINANCE = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]).reshape(8, 8)
#: Table K.2, chrominance quantization table (natural row-major order).
K2_CHROMINANCE = np.array([
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32).reshape(8, 8)
#: Chroma subsampling name -> luma sampling factors (H, V); chroma is always 1x1.
SUBSAMPLINGS = {"4:4:4": (1, 1), "4:2:2": (2, 1), "4:2:0": (2, 2), "4:4:0": (1, 2)}

# ---- public API ------------------------------------------------------------------------------


def quant_tables(quality: int = 75) -> tuple[np.ndarray, np.ndarray]:
    """The luminance and chrominance quantization tables for a quality, as libjpeg scales them.

    Parameters
    ----------
    quality : int
        1 (worst) to 100 (best).

    Returns
    -------
    luma, chroma : numpy.ndarray of int64, shape (8, 8)
        Tables K.1 and K.2 scaled, in natural (row-major) order.

    Notes
    -----
    IJG's ``jpeg_quality_scaling`` maps quality ``q`` to a percentage

    .. math::

        s = \\begin{cases} \\lfloor 5000 / q \\rfloor & q < 50 \\\\ 200 - 2q & q \\ge 50\\end{cases}

    and each entry becomes :math:`Q = \\lfloor (t\\,s + 50) / 100 \\rfloor` clamped to
    1..255 (255 keeps the tables 8-bit, as baseline requires).  So q = 50 gives
    Annex K's tables unchanged, q = 100 all ones, q = 10 five times coarser.

    Examples
    --------
    >>> luma, chroma = quant_tables(50)
    >>> int(luma[0, 0]), int(chroma[7, 7])
    (16, 99)
    >>> int(quant_tables(100)[0].max()), int(quant_tables(10)[0][0, 0])
    (1, 80)
    """
    q = _check_int("quality", quality, 1, 100)
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return tuple(np.clip((t * scale + 50) // 100, 1, 255) for t in (K1_LUMINANCE, K2_CHROMINANCE))


def encode(img, *, quality: int = 75, subsampling: str = "4:2:0", optimize: bool = False,
           restart_interval: int = 0) -> bytes:
    """Compress an image to a baseline JPEG (JFIF) file.

    Parameters
    ----------
    img : numpy.ndarray of uint8
        ``H x W`` (gray) or ``H x W x 3`` (RGB), ``1 <= H, W <= 65535``.
    quality : int
        1..100, the IJG scale (see :func:`quant_tables`); same meaning as in Pillow.
    subsampling : {"4:2:0", "4:2:2", "4:4:4", "4:4:0"}
        Chroma resolution: half in both directions, half horizontally, full, or half
        vertically (4:4:0, which Pillow cannot write).  Ignored for gray images.
    optimize : bool
        Build Huffman tables for this image (T.81 K.2) instead of the K.3 tables:
        smaller file, same pixels.
    restart_interval : int
        ``Ri``: put a restart marker after every ``Ri`` MCUs (0 = none, max 65535).

    Returns
    -------
    bytes
        The JFIF file; layout in the module docstring.

    Raises
    ------
    ValueError
        For a wrong dtype or shape, or a parameter out of range.

    Notes
    -----
    A block ``B`` of samples minus 128 has the DCT ``F = dct2(B)`` (T.81 A.3.3); each
    coefficient is quantized as libjpeg quantizes it,

    .. math::

        S_q = \\operatorname{sign}(F)\\left\\lfloor \\frac{|F_8| + 4Q}{8Q} \\right\\rfloor,
        \\qquad F_8 = \\lfloor 8F + 1/2 \\rfloor,

    i.e. libjpeg's integer DCT output (8 times ``F``, rounded) divided by ``8Q`` with
    rounding.  The double rounding nudges values just under one half upwards; plain
    ``round(F / Q)`` would give files about 1% smaller than Pillow's at quality 90+.
    Blocks past the image edge inside the last MCU ("dummy" blocks) are coded as
    libjpeg codes them: all AC zero and the DC of their left (or upper) neighbour,
    so they cost a few bits each.

    At ``quality=100, subsampling="4:4:4"`` every step is 1 and
    ``decode(encode(img))`` differs from ``img`` by at most 2 levels for gray and 6
    for RGB (the YCbCr rounding, amplified by 1.402 and 1.772 on the way back);
    typically 1 and 4.

    Examples
    --------
    >>> rgb = np.zeros((9, 17, 3), dtype=np.uint8); rgb[..., 0] = 200
    >>> data = encode(rgb, quality=75, subsampling="4:2:0", restart_interval=1)
    >>> decode(data)[4, 8].tolist()
    [200, 0, 0]
    """
    img = _check_image(img)
    q = _check_int("quality", quality, 1, 100)
    Ri = _check_int("restart_interval", restart_interval, 0, 65535)
    if subsampling not in SUBSAMPLINGS:
        raise ValueError(f"subsampling {subsampling!r} not in {sorted(SUBSAMPLINGS)}")
    Y, X = img.shape[:2]
    if img.ndim == 2:
        planes, factors, tq = [img], [(1, 1)], [0]
    else:
        planes = _rgb_to_ycbcr(img)
        factors, tq = [SUBSAMPLINGS[subsampling], (1, 1), (1, 1)], [0, 1, 1]
    Hmax, Vmax = max(h for h, _ in factors), max(v for _, v in factors)
    mcux, mcuy = -(-X // (8 * Hmax)), -(-Y // (8 * Vmax))
    Qs = quant_tables(q)
    grids = []
    for plane, (Hi, Vi), t in zip(planes, factors, tq):
        xi, yi = -(-X * Hi // Hmax), -(-Y * Vi // Vmax)  # component size, A.1.1
        bw, bh = -(-xi // 8), -(-yi // 8)
        samples = _downsample(plane, Hmax // Hi, Vmax // Vi, bw, bh)
        grids.append(_mcu_grid(_fdct_quantize(samples, Qs[t]), Hi, Vi, mcux, mcuy))
    symbols = scan_symbols(*_interleave_mcus(grids, factors, Ri))
    if optimize:
        dc_count, ac_count = symbols.counts(len(planes))
        dc_tabs = [optimal_table(dc_count[np.equal(tq, t)].sum(0)) for t in sorted(set(tq))]
        ac_tabs = [optimal_table(ac_count[np.equal(tq, t)].sum(0)) for t in sorted(set(tq))]
    else:
        dc_tabs, ac_tabs = [STD_DC_LUMINANCE, STD_DC_CHROMINANCE], [STD_AC_LUMINANCE, STD_AC_CHROMINANCE]
    n_tab = len(set(tq))
    parts = [
        bytes([0xFF, SOI]),
        write_app0(),
        write_dqt({t: Qs[t] for t in range(n_tab)}),
        write_sof0(Y, X, [(c + 1, h, v, t) for c, ((h, v), t) in enumerate(zip(factors, tq))]),
        write_dht([(0, t, dc_tabs[t]) for t in range(n_tab)] + [(1, t, ac_tabs[t]) for t in range(n_tab)]),
        write_dri(Ri) if Ri else b"",
        write_sos([(c + 1, t, t) for c, t in enumerate(tq)]),
        encode_scan(symbols, [dc_tabs[t] for t in tq], [ac_tabs[t] for t in tq]),
        bytes([0xFF, EOI]),
    ]
    return b"".join(parts)


def decode(data, *, upsampling: str = "fancy") -> np.ndarray:
    """Decompress a baseline sequential JPEG.

    Parameters
    ----------
    data : bytes-like
        A JPEG stream: SOF0 (or SOF1 with 8-bit samples), Huffman coding, 1 or 3
        components with sampling factors 1 or 2, interleaved or not, any number of
        DQT/DHT segments, optional restart markers; APPn and COM are skipped.
    upsampling : {"fancy", "nearest"}
        How subsampled chroma is brought back to full size: libjpeg's default
        triangle filter (what Pillow does) or plain pixel replication.

    Returns
    -------
    numpy.ndarray of uint8
        ``Y x X`` for one component, ``Y x X x 3`` RGB for three.  Three components
        are YCbCr unless an Adobe APP14 segment says ``transform = 0`` or (without
        JFIF/Adobe segments) the component ids are ``'R', 'G', 'B'``, as in libjpeg.

    Raises
    ------
    CorruptStreamError
        Not a JPEG, truncated, or malformed (bad lengths, undefined tables, over-full
        Huffman code lengths, an invalid code, restart markers out of sequence,
        X or Y = 0).  A missing EOI alone is tolerated, as libjpeg does, when all
        scans are complete.
    UnsupportedError
        Progressive, lossless, hierarchical or arithmetic-coded files (the message
        names the SOF type), 12-bit samples, 2 or 4 components, sampling factors
        above 2, DNL, and images over :data:`MAX_PIXELS` pixels (checked before
        anything is allocated).

    Examples
    --------
    >>> img = np.full((3, 5), 77, dtype=np.uint8)
    >>> decode(encode(img)).tolist()[0]
    [77, 77, 77, 77, 77]
    >>> decode(b"GIF89a")
    Traceback (most recent call last):
    ...
    fundamentals.errors.CorruptStreamError: not a JPEG: stream does not start with SOI (FF D8)
    """
    if upsampling not in ("fancy", "nearest"):
        raise ValueError(f"upsampling {upsampling!r} not in ('fancy', 'nearest')")
    frame = _read_jpeg(bytes(data))
    planes = [_reconstruct(c) for c in frame.components]
    if len(planes) == 1:
        return planes[0]
    planes = [_upsample(p, frame.Hmax // c.H, frame.Vmax // c.V, frame.Y, frame.X, upsampling)
              for p, c in zip(planes, frame.components)]
    ids = tuple(c.C for c in frame.components)
    if frame.jfif:  # colour space as libjpeg decides it (jdapimin.c)
        rgb = False
    elif frame.adobe_transform is not None:
        rgb = frame.adobe_transform == 0
    else:
        rgb = ids == (82, 71, 66)  # component ids 'R', 'G', 'B'
    return np.stack(planes, axis=-1) if rgb else _ycbcr_to_rgb(*planes)


def _read_jpeg(data: bytes) -> Frame:
    """Parse a JPEG marker by marker (B.2) and entropy-decode its scans into coefficient grids."""
    if data[:2] != b"\xff\xd8":
        raise CorruptStreamError("not a JPEG: stream does not start with SOI (FF D8)")
    qt: dict[int, np.ndarray] = {}
    ht: dict[tuple[int, int], HuffmanTable] = {}
    frame: Frame | None = None
    Ri, jfif, adobe_transform = 0, False, None
    pos = 2
    while pos < len(data):  # markers and segments until EOI (a missing EOI is tolerated)
        if data[pos] != 0xFF:
            raise CorruptStreamError(f"expected a marker at offset {pos}, found byte 0x{data[pos]:02x}")
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes (B.1.1.2)
            pos += 1
        if pos == len(data):
            break
        marker, pos = data[pos], pos + 1
        if marker == EOI:
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # RSTm outside a scan, TEM: no segment
            continue
        if marker == SOI:
            raise CorruptStreamError(f"second SOI at offset {pos - 2}")
        payload, pos = segment(data, pos, marker)
        if marker == DQT:
            read_dqt(payload, qt)
        elif marker == DHT:
            read_dht(payload, ht)
        elif marker in SOF_NAMES:
            if frame is not None:
                raise CorruptStreamError("more than one SOF segment")
            frame = read_sof(payload, marker, data)
        elif marker == DRI:
            Ri = read_dri(payload)
        elif marker == SOS:
            if frame is None:
                raise CorruptStreamError("SOS before SOF")
            pos = _decode_scan(data, pos, frame, read_sos(payload, frame), qt, ht, Ri)
        elif marker == APP0:
            jfif = jfif or payload[:5] == b"JFIF\x00"
        elif marker == APP14 and payload[:5] == b"Adobe" and len(payload) >= 12:
            adobe_transform = payload[11]  # 0: RGB (or CMYK), 1: YCbCr, 2: YCCK
        elif marker == 0xDC:
            raise UnsupportedError("DNL marker (number of lines defined after the scan) is not supported")
        elif marker == 0xCC:
            raise UnsupportedError("arithmetic coding conditioning (DAC) is not supported")
    if frame is None:
        raise CorruptStreamError("no SOF segment before the end of the stream")
    frame.jfif, frame.adobe_transform, frame.Ri, frame.huffman = jfif, adobe_transform, Ri, ht
    return frame


# ---- encoder steps ---------------------------------------------------------------------------


def _check_int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"{name}={value!r} must be an integer in [{lo}, {hi}]")
    return int(value)


def _check_image(img) -> np.ndarray:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
        raise ValueError(f"image must be a uint8 numpy array, got {type(img).__name__} "
                         f"{getattr(img, 'dtype', '')}")
    if not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
        raise ValueError(f"image shape {img.shape} must be (H, W) or (H, W, 3)")
    if not (1 <= img.shape[0] <= 65535 and 1 <= img.shape[1] <= 65535):
        raise ValueError(f"image size {img.shape[:2]} must be 1..65535 on each side (SOF0 X, Y)")
    return img


def _fix(x: float) -> int:
    """libjpeg's ``FIX(x)``: ``x`` in fixed point with 16 fraction bits (``SCALEBITS``)."""
    return int(x * 65536 + 0.5)


def _rgb_to_ycbcr(img: np.ndarray) -> list[np.ndarray]:
    """T.871 RGB -> YCbCr in libjpeg's fixed point (``jccolor.c``, 16 fraction bits).

    ``Y = 0.299 R + 0.587 G + 0.114 B``, ``Cb = -0.16874 R - 0.33126 G + 0.5 B + 128``,
    ``Cr = 0.5 R - 0.41869 G - 0.08131 B + 128``; Y rounds half up, Cb/Cr add
    ``0.5 - 2**-16`` so 255.5 can never appear.  Sums stay below 2**31 (int32).
    """
    r, g, b = (img[..., i].astype(np.int32) for i in range(3))
    half = _fix(0.5)
    y = (_fix(0.299) * r + _fix(0.587) * g + _fix(0.114) * b + (1 << 15)) >> 16
    cb = (half * b - _fix(0.16874) * r - _fix(0.33126) * g + ((128 << 16) + (1 << 15) - 1)) >> 16
    cr = (half * r - _fix(0.41869) * g - _fix(0.08131) * b + ((128 << 16) + (1 << 15) - 1)) >> 16
    return [c.astype(np.uint8) for c in (y, cb, cr)]


def _downsample(plane: np.ndarray, fh: int, fv: int, bw: int, bh: int) -> np.ndarray:
    """libjpeg's downsampling (``jcsample.c``) and edge padding to ``bh x bw`` whole blocks.

    The full-size plane is first widened by replicating its last column to ``fh * 8
    bw`` and its last row to a multiple of ``fv``.  Then 2x2 pixels average as
    ``(a + b + c + d + bias) >> 2`` with ``bias`` = 1, 2, 1, 2, ... along a row
    (``h2v2``), pairs as ``(a + b + bias) >> 1`` with ``bias`` = 0, 1, 0, 1, ...
    (``h2v1``), vertical pairs as ``(a + b + 1) >> 1``.  The alternating bias rounds
    halves up and down in turn, so the average has no drift.  Finally the last
    row is replicated down to ``8 bh`` rows.
    """
    H, W = plane.shape
    p = np.pad(plane.astype(np.int32), ((0, -H % fv), (0, fh * 8 * bw - W)), mode="edge")
    if (fh, fv) == (2, 2):
        bias = np.resize([1, 2], p.shape[1] // 2)
        p = (p[0::2, 0::2] + p[0::2, 1::2] + p[1::2, 0::2] + p[1::2, 1::2] + bias) >> 2
    elif (fh, fv) == (2, 1):
        p = (p[:, 0::2] + p[:, 1::2] + np.resize([0, 1], p.shape[1] // 2)) >> 1
    elif (fh, fv) == (1, 2):
        p = (p[0::2] + p[1::2] + 1) >> 1
    return np.pad(p, ((0, 8 * bh - p.shape[0]), (0, 0)), mode="edge")


def _fdct_quantize(samples: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Level shift, DCT (A.3.3) and quantize (A.3.4) every block: ``(8bh, 8bw)`` -> ``(bh, bw, 64)`` zz.

    ``Sq = sign(F8) * ((|F8| + 4Q) // 8Q)`` with ``F8 = round(8F)``, libjpeg's rounding
    (see :func:`encode`).  AC values are clipped to the baseline range +-1023, a
    guard: 8-bit samples reach at most about +-1020.
    """
    F8 = dct2(split_blocks(samples) - 128.0)
    F8 *= 8  # libjpeg's DCT output: integers, 8 times the coefficients
    F8 += 0.5
    np.floor(F8, out=F8)
    Sq = np.abs(F8)
    Sq += 4 * Q  # (|F8| + 8Q/2) // 8Q, as libjpeg; true division of integers makes floor exact
    Sq /= 8 * Q
    np.floor(Sq, out=Sq)
    np.copysign(Sq, F8, out=Sq)
    zz = Sq.reshape(*Sq.shape[:2], 64)[..., ZIGZAG].astype(np.int32)
    zz[..., 1:] = np.clip(zz[..., 1:], -1023, 1023)
    return zz


def _mcu_grid(zz: np.ndarray, Hi: int, Vi: int, mcux: int, mcuy: int) -> np.ndarray:
    """Place a component's blocks in its MCU grid; fill dummy blocks as libjpeg does (``jccoefct.c``).

    A dummy block right of the image copies the DC of the last real block in its
    row; a dummy block row below copies the DC of the last block of the row above
    in the same MCU.  AC coefficients are zero, so each costs ~6 bits.
    """
    bh, bw = zz.shape[:2]
    grid = np.zeros((mcuy * Vi, mcux * Hi, 64), dtype=np.int32)
    grid[:bh, :bw] = zz
    grid[:bh, bw:, 0] = zz[:, bw - 1:bw, 0]
    grid[bh:, :, 0] = np.repeat(grid[bh - 1, Hi - 1::Hi, 0], Hi)
    return grid


def _interleave_mcus(grids, factors, Ri: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blocks in interleaved scan order (A.2.3): ``(zz, comp, interval)`` for :func:`scan_symbols`.

    Each MCU holds ``Vi x Hi`` blocks of component ``i`` (row by row), for each
    component in turn; MCUs run left to right, top to bottom.  A gray image has one
    component with ``H = V = 1``, so its "MCU" is one block (non-interleaved, A.2.2).
    """
    mcus = []
    for grid, (Hi, Vi) in zip(grids, factors):  # (mcuy*Vi, mcux*Hi, 64) -> (n_mcu, Vi*Hi, 64)
        mcuy, mcux = grid.shape[0] // Vi, grid.shape[1] // Hi
        mcus.append(grid.reshape(mcuy, Vi, mcux, Hi, 64).swapaxes(1, 2).reshape(mcuy * mcux, Vi * Hi, 64))
    zz = np.concatenate(mcus, axis=1)
    n_mcu, per_mcu = zz.shape[:2]
    comp = np.tile(np.repeat(np.arange(len(grids)), [h * v for h, v in factors]), n_mcu)
    interval = np.repeat(np.arange(n_mcu) // Ri if Ri else np.zeros(n_mcu, dtype=np.int64), per_mcu)
    return zz.reshape(-1, 64), comp, interval


# ---- decoder steps ---------------------------------------------------------------------------


def _decode_scan(data: bytes, pos: int, frame: Frame, scan, qt, ht, Ri: int) -> int:
    """Decode one scan into its components' coefficient grids; return the offset after its data."""
    layout = []
    for j, (comp, Td, Ta) in enumerate(scan):
        if (0, Td) not in ht or (1, Ta) not in ht:
            raise CorruptStreamError(f"scan uses an undefined Huffman table (DC {Td}, AC {Ta})")
        if comp.Tq not in qt:
            raise CorruptStreamError(f"component {comp.C} uses undefined quantization table {comp.Tq}")
        comp.Q = qt[comp.Tq].copy()
        blocks = 1 if len(scan) == 1 else comp.H * comp.V
        layout += [(j, ht[0, Td], ht[1, Ta])] * blocks
    if len(scan) == 1:  # non-interleaved: one block per MCU, the component's own block grid (A.2.2)
        comp = scan[0][0]
        bw, bh = -(-comp.x // 8), -(-comp.y // 8)
        zz, end = decode_scan(data, pos, layout, bw * bh, Ri)
        _grid(frame, comp)[:bh, :bw] = zz.reshape(bh, bw, 64)
        return end
    mcux, mcuy = frame.mcux, frame.mcuy  # interleaved (A.2.3)
    zz, end = decode_scan(data, pos, layout, mcux * mcuy, Ri)
    zz = zz.reshape(mcuy, mcux, len(layout), 64)
    first = 0
    for comp, _, _ in scan:
        n = comp.H * comp.V
        part = zz[:, :, first:first + n].reshape(mcuy, mcux, comp.V, comp.H, 64)
        _grid(frame, comp)[:] = part.swapaxes(1, 2).reshape(mcuy * comp.V, mcux * comp.H, 64)
        first += n
    return end


def _grid(frame: Frame, comp: Component) -> np.ndarray:
    if comp.coefs is None:
        comp.coefs = np.zeros((frame.mcuy * comp.V, frame.mcux * comp.H, 64), dtype=np.int64)
    return comp.coefs


def _reconstruct(comp: Component) -> np.ndarray:
    """Dequantize (A.3.4), un-zig-zag, inverse DCT (A.3.3), level shift +128: a ``y x x`` uint8 plane."""
    if comp.coefs is None:
        raise CorruptStreamError(f"no scan contains component {comp.C}")
    zz = comp.coefs * comp.Q
    natural = np.empty_like(zz)
    natural[..., ZIGZAG] = zz
    samples = idct2(natural.reshape(*zz.shape[:2], 8, 8).astype(np.float64))
    samples = np.clip(np.floor(samples + 128.5), 0, 255).astype(np.uint8)
    return merge_blocks(samples, (comp.y, comp.x))


def _upsample(p: np.ndarray, fh: int, fv: int, Y: int, X: int, method: str) -> np.ndarray:
    """Bring a chroma plane to full size, as libjpeg's ``jdsample.c`` does, and crop to ``Y x X``.

    Fancy upsampling is a triangle filter: each output sample is 3/4 of the nearer
    input sample plus 1/4 of the next one (9/16, 3/16, 3/16, 1/16 in 2-D), with
    edges replicated and rounding biases alternating between neighbours
    (``h2v1``: +1/+2 over 4; ``h2v2``: +8/+7 over 16; ``h1v2``: +1/+2 over 4).
    libjpeg replicates instead when the plane is at most 2 samples wide (``h2v1``,
    ``h2v2``), and so do we.
    """
    if (fh, fv) == (1, 1):
        return p[:Y, :X]
    fancy = method == "fancy" and (fh == 1 or p.shape[1] > 2)
    if not fancy:
        return np.repeat(np.repeat(p, fv, axis=0), fh, axis=1)[:Y, :X]
    s = np.pad(p.astype(np.int32), 1, mode="edge")  # replicate edges: one sample all round
    if fv == 2:  # vertically: 3 * nearer row + farther row, for the upper and the lower output row
        up, down = 3 * s[1:-1] + s[:-2], 3 * s[1:-1] + s[2:]
        if fh == 1:  # h1v2
            out = _interleave((up[:, 1:-1] + 1) >> 2, (down[:, 1:-1] + 2) >> 2, axis=0)
        else:  # h2v2: then horizontally, 3 * nearer column sum + farther one, over 16
            up, down = (_interleave((3 * c[:, 1:-1] + c[:, :-2] + 8) >> 4, (3 * c[:, 1:-1] + c[:, 2:] + 7) >> 4,
                                    axis=1) for c in (up, down))
            out = _interleave(up, down, axis=0)
    else:  # h2v1
        c = s[1:-1]
        out = _interleave((3 * c[:, 1:-1] + c[:, :-2] + 1) >> 2, (3 * c[:, 1:-1] + c[:, 2:] + 2) >> 2, axis=1)
    return out[:Y, :X].astype(np.uint8)


def _interleave(a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
    """``a[0], b[0], a[1], b[1], ...`` along ``axis`` (twice the length)."""
    out = np.stack([a, b], axis=axis + 1)
    shape = list(a.shape)
    shape[axis] *= 2
    return out.reshape(shape)


def _ycbcr_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> np.ndarray:
    """T.871 YCbCr -> RGB in libjpeg's fixed point (``jdcolor.c``), clamped to 0..255.

    ``R = Y + 1.402 (Cr-128)``, ``G = Y - 0.34414 (Cb-128) - 0.71414 (Cr-128)``,
    ``B = Y + 1.772 (Cb-128)``.  As in libjpeg, each term is a 256-entry table
    indexed by the chroma byte: R and B terms are rounded to integers, the two G
    terms are added in fixed point and rounded once.
    """
    out = np.empty((*y.shape, 3), dtype=np.uint8)
    y = y.astype(np.int32)
    out[..., 0] = np.clip(y + _CR_R[cr], 0, 255)
    out[..., 1] = np.clip(y + ((_CB_G[cb] + _CR_G[cr]) >> 16), 0, 255)
    out[..., 2] = np.clip(y + _CB_B[cb], 0, 255)
    return out


_X = np.arange(256, dtype=np.int32) - 128  # chroma value minus its centre
_CR_R = (_fix(1.402) * _X + (1 << 15)) >> 16  # nearest integer to 1.402 x
_CB_B = (_fix(1.772) * _X + (1 << 15)) >> 16  # nearest integer to 1.772 x
_CR_G = -_fix(0.71414) * _X  # -0.71414 x, scaled by 2**16
_CB_G = -_fix(0.34414) * _X + (1 << 15)  # -0.34414 x, scaled, plus the rounding half
