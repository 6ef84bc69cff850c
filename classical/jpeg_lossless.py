"""Lossless JPEG (ITU-T T.81 process 14, SOF3, Annex H): encoder and decoder.

What it does
------------
:func:`encode` writes a lossless JPEG of an 8-bit gray or RGB image that libjpeg-turbo,
and so Pillow, opens pixel-exact; :func:`decode` reads lossless JPEGs, ours and
libjpeg-turbo's.  No DCT, no quantization: each sample ``x`` is predicted from three
neighbours that are already coded (Figure H.1)::

    c b         a = Ra (left), b = Rb (above), c = Rc (above-left)
    a x

with one of the seven predictors of Table H.1 (:func:`predict`), and only the
difference ``Diff = (x - Px) mod 2**16`` is sent (H.1.2.2), Huffman coded like a DC
difference of baseline JPEG: a category ``SSSS`` (Table H.2) as a Huffman symbol,
then ``SSSS`` extra bits (H.2, F.1.2.1).  Both directions are vectorized except
the Huffman decoding loop (see :func:`decode`).

Scope (what it does NOT do)
---------------------------
8-bit samples (P = 8) only; 1 component (gray) or 3 (RGB).  The three colour
components are coded as they are, with **no colour transform**, each with
``Hi = Vi = 1``, interleaved in one scan (an MCU is one sample of each component,
A.2.3); component ids ``'R', 'G', 'B'`` tell libjpeg not to convert.  The decoder
also takes restart intervals (DRI/RSTm), a point transform and several scans,
but refuses (:class:`~fundamentals.errors.UnsupportedError`) other precisions,
sampling factors other than 1x1, 2 or 4 components, DNL, colour-transformed (JFIF or
Adobe YCbCr) 3-component files, and every SOF but SOF3; :mod:`classical.jpeg` reads
SOF0/SOF1.  No arithmetic coding (SOF11), no hierarchical mode (SOF7).

File layout (what :func:`encode` writes, in order)
--------------------------------------------------
=================  ======  ======================================================  ========
segment            marker  contents                                                T.81
=================  ======  ======================================================  ========
SOI                FFD8    (none)                                                  B.2.1
SOF3               FFC3    Lf, P=8, Y, X, Nf, per component ``Ci``, ``Hi<<4|Vi``    B.2.2
                           = 0x11, ``Tqi`` = 0 (no quantization in lossless)
DHT                FFC4    per table ``Tc<<4|Th`` (Tc = 0), BITS(16), HUFFVAL       B.2.4.2
DRI (if restarts)  FFDD    ``Ri``: MCUs per restart interval, a multiple of X      B.2.4.4
SOS                FFDA    Ns, per component ``Cs``, ``Td<<4|Ta`` (Ta = 0); then    B.2.3
                           Ss = predictor (1..7), Se = 0, ``Ah<<4|Al`` = Pt
entropy-coded              codes and extra bits, MSB first; FF stuffed as FF 00,   F.1.2.3,
data                       1-bit padding and ``RSTm`` after every Ri MCUs         H.2
EOI                FFD9    (none)                                                  B.2.1
=================  ======  ======================================================  ========

Component ids: gray 1; RGB 82, 71, 66.  With ``optimize=True`` each component gets
its own Huffman table (K.2), otherwise all share Table K.3.  Marker segments and
Huffman tables come from :mod:`classical.jpeg` and :mod:`classical.jpeg_huffman`.

References
----------
ITU-T T.81 | ISO/IEC 10918-1 (1992): Annex H (lossless mode: H.1.1 process,
H.1.2.1 prediction and Table H.1, H.1.2.2 difference coding, H.2 Huffman coding and
Table H.2), B.2 (syntax), F.1.2.1 (DC difference coding), K.2/K.3 (tables).
libjpeg-turbo 3 (``jclossls.c``/``jdlossls.c``, ``jddiffct.c``): restart rule.

Examples
--------
>>> import numpy as np
>>> img = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
>>> data = encode(img, predictor=4)
>>> data[:4].hex(), data[-2:].hex()
('ffd8ffc3', 'ffd9')
>>> bool((decode(data) == img).all())
True
"""

from __future__ import annotations

import functools
from itertools import cycle, islice
from typing import NamedTuple

import numpy as np

from classical.jpeg import _check_int
from classical.jpeg_huffman import (
    _CHUNK,
    STD_DC_LUMINANCE,
    HuffmanTable,
    ScanSymbols,
    _peek16,
    encode_scan,
    optimal_table,
    skip_restart_marker,
)
from classical.jpeg_markers import (
    MAX_PIXELS,
    SOF_NAMES,
    marker_segment,
    read_dht,
    read_dri,
    segment,
    write_dht,
    write_dri,
)
from fundamentals.errors import CorruptStreamError, UnsupportedError
from fundamentals.imageio import check_image

__all__ = ["decode", "encode", "predict", "unpredict"]

SOI, EOI, SOF3, DHT, DRI, SOS, APP0, APP14 = 0xD8, 0xD9, 0xC3, 0xC4, 0xDD, 0xDA, 0xE0, 0xEE
RGB_IDS = (82, 71, 66)  # 'R', 'G', 'B': libjpeg then does no colour conversion

#: Table H.1: prediction ``Px`` from ``Ra`` (left), ``Rb`` (above), ``Rc`` (above-left).
PREDICTORS = {
    1: lambda a, b, c: a,
    2: lambda a, b, c: b,
    3: lambda a, b, c: c,
    4: lambda a, b, c: a + b - c,
    5: lambda a, b, c: a + ((b - c) >> 1),
    6: lambda a, b, c: b + ((a - c) >> 1),
    7: lambda a, b, c: (a + b) >> 1,
}

# ---- public API ------------------------------------------------------------------------------


def predict(x, predictor: int, *, initial: int = 128, rows_per_interval: int = 0) -> np.ndarray:
    """Predictions ``Px`` of every sample from its original neighbours (H.1.2.1, Table H.1).

    Parameters
    ----------
    x : array_like of int, shape (Y, X) or (Y, X, C)
        Samples (after the point transform); each component is predicted on its own.
    predictor : int
        Selection value 1..7 of Table H.1 (``Ss`` of the SOS segment).
    initial : int
        Prediction of the first sample, ``2**(P - Pt - 1)`` (128 for 8 bits, Pt = 0).
    rows_per_interval : int
        Lines per restart interval (``Ri / X``), 0 for none: each interval starts
        over as the image does.

    Returns
    -------
    numpy.ndarray of int64, same shape as ``x``

    Notes
    -----
    Table H.1 (:data:`PREDICTORS`): 1 ``Ra``, 2 ``Rb``, 3 ``Rc``, 4 ``Ra + Rb - Rc``,
    5 ``Ra + ((Rb - Rc) >> 1)``, 6 ``Rb + ((Ra - Rc) >> 1)``, 7 ``(Ra + Rb) >> 1``, with
    ``>>`` an arithmetic shift (floor division by 2).  Border rules (H.1.2.1): the
    first line of the image (and of each restart interval) uses ``Ra`` whatever the
    selection, the first column uses ``Rb``, and the first sample of the line
    ``initial``.  A decoder has the same neighbours (lossless), so the encoder may
    predict from the original image, all samples at once.

    Examples
    --------
    >>> x = np.array([[10, 20, 30], [40, 50, 60]])
    >>> predict(x, 4).tolist()        # row 0: Ra; column 0: Rb; else Ra + Rb - Rc
    [[128, 10, 20], [10, 50, 60]]
    """
    x = np.asarray(x, dtype=np.int64)
    if predictor not in PREDICTORS:
        raise ValueError(f"predictor={predictor!r} must be an integer in [1, 7]")
    a, b, c = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    a[:, 1:], b[1:], c[1:, 1:] = x[:, :-1], x[:-1], x[:-1, :-1]
    Px = PREDICTORS[predictor](a, b, c)
    Px[:, 0] = b[:, 0]  # first column: Rb
    first = np.arange(len(x)) % (rows_per_interval or max(len(x), 1)) == 0  # first lines
    Px[first] = a[first]
    Px[first, 0] = initial
    return Px


def encode(img, *, predictor: int = 1, point_transform: int = 0, optimize: bool = True,
           restart_interval: int = 0) -> bytes:
    """Compress an image to a lossless JPEG (T.81 process 14, SOF3).

    Parameters
    ----------
    img : numpy.ndarray of uint8
        ``Y x X`` (gray) or ``Y x X x 3`` (RGB, coded without colour transform),
        ``1 <= X, Y <= 65535``.
    predictor : int
        1..7, Table H.1 (see :func:`predict`).
    point_transform : int
        ``Pt`` (0..7): samples are divided by ``2**Pt`` before coding and multiplied
        back by the decoder, so only ``Pt = 0`` is lossless (H.1.2.1).
    optimize : bool
        Huffman tables built for this image (K.2), one per component; otherwise Table
        K.3 for all (categories 0..11: enough, 8-bit differences lie in +-510).
    restart_interval : int
        ``Ri`` in MCUs, 0 for none; a multiple of the width X, since an interval
        restarts the prediction at a line (libjpeg refuses other values).

    Returns
    -------
    bytes
        The JPEG file; layout in the module docstring.

    Raises
    ------
    ValueError
        For a wrong dtype or shape, or a parameter out of range.

    Notes
    -----
    H.1.2.2: the difference is taken modulo :math:`2^{16}` and read as a value in
    :math:`[-32767, 32768]`,

    .. math:: \\mathit{Diff} = ((x - P_x + 32767) \\bmod 2^{16}) - 32767,

    and coded by its category ``SSSS`` (bit length of ``|Diff|``, Table H.2) followed
    by ``SSSS`` extra bits: ``Diff`` if positive, the low ``SSSS`` bits of
    ``Diff - 1`` if negative (F.1.2.1).  Category 16 (``Diff = 32768``) has no extra
    bits; it cannot occur with 8-bit samples.

    Examples
    --------
    >>> rgb = np.zeros((2, 3, 3), dtype=np.uint8); rgb[..., 0] = 255
    >>> decode(encode(rgb, predictor=7))[1, 2].tolist()
    [255, 0, 0]
    """
    img = check_image(img)
    predictor = _check_int("predictor", predictor, 1, 7)
    Pt = _check_int("point_transform", point_transform, 0, 7)
    Ri = _check_int("restart_interval", restart_interval, 0, 65535)
    Y, X = img.shape[:2]
    if Y > 65535 or X > 65535:
        raise ValueError(f"image size {img.shape[:2]} must be 1..65535 on each side (SOF3 X, Y)")
    if Ri % X:
        raise ValueError(f"restart_interval={Ri} must be a multiple of the width X={X} (whole lines)")
    x = img.reshape(Y, X, -1).astype(np.int64) >> Pt
    Nf = x.shape[2]
    Px = predict(x, predictor, initial=1 << (7 - Pt), rows_per_interval=Ri // X)
    diff = ((x - Px + 32767) & 0xFFFF).ravel() - 32767  # H.1.2.2, in scan order: pixel, component
    ssss = np.frexp(np.abs(diff).astype(np.float64))[1]  # Table H.2: bit length of |Diff|
    extra = np.where(ssss == 16, 0, ssss)  # category 16 sends no extra bits
    amp = np.where(diff < 0, diff + (1 << extra) - 1, diff) & ((1 << extra) - 1)
    comp = np.tile(np.arange(Nf), Y * X)
    interval = np.arange(Y * X * Nf) // (Ri * Nf) if Ri else np.zeros(Y * X * Nf, dtype=np.int64)
    if optimize:
        tables = [optimal_table(np.bincount(ssss[c::Nf], minlength=256)) for c in range(Nf)]
    else:
        tables = [STD_DC_LUMINANCE]
    Td = list(range(Nf)) if optimize else [0] * Nf
    symbols = ScanSymbols(comp, np.zeros(len(diff), dtype=bool), ssss, amp, extra, interval)
    ids = (1,) if Nf == 1 else RGB_IDS
    sof = bytes([8, *Y.to_bytes(2, "big"), *X.to_bytes(2, "big"), Nf]) + b"".join(bytes([C, 0x11, 0]) for C in ids)
    sos = bytes([Nf, *(v for C, t in zip(ids, Td) for v in (C, t << 4)), predictor, 0, Pt])
    return b"".join([
        bytes([0xFF, SOI]),
        marker_segment(SOF3, sof),
        write_dht([(0, t, table) for t, table in enumerate(tables)]),
        write_dri(Ri) if Ri else b"",
        marker_segment(SOS, sos),
        encode_scan(symbols, [tables[t] for t in Td], [tables[t] for t in Td]),
        bytes([0xFF, EOI]),
    ])


def decode(data) -> np.ndarray:
    """Decompress a lossless JPEG (SOF3, Huffman coded, 8-bit, 1 or 3 components).

    Parameters
    ----------
    data : bytes-like
        Any predictor 1..7, point transform, restart intervals, one interleaved scan
        or one scan per component; APPn, COM and DQT segments are skipped.

    Returns
    -------
    numpy.ndarray of uint8
        ``Y x X`` for one component, ``Y x X x 3`` for three (the samples as stored).

    Raises
    ------
    CorruptStreamError
        Not a JPEG, truncated or malformed (bad lengths, undefined or over-full
        Huffman tables, an invalid code, RSTm out of sequence, a restart interval
        that is not whole lines, a sample outside 0..255).
    UnsupportedError
        Any SOF other than SOF3 (the message names it), P != 8, sampling factors other
        than 1x1, 2 or 4 components, DNL, a 3-component file marked YCbCr (JFIF APP0 or
        Adobe transform 1), or more than ``classical.jpeg.MAX_PIXELS`` pixels.

    Notes
    -----
    First every difference of the scan is Huffman-decoded (H.2) in one Python loop:
    the next 16 bits index a 65536-entry table that gives the code length and, when
    they fit, the extra bits' value too, so a typical difference is one lookup.
    Reconstruction is ``x = (Px + Diff) mod 2**16`` (H.1.2.2) with ``Px`` from the
    decoded neighbours, so it is sequential: sample ``(i, j)`` needs ``(i, j-1)``,
    ``(i-1, j)`` and ``(i-1, j-1)``, all on earlier anti-diagonals ``i + j``.  The
    decoder therefore runs one NumPy step per anti-diagonal (predictors 3..7), or
    two cumulative sums (predictor 1: down column 0, then along every line; 2: along
    line 0, then down every column).  Every restart interval is an independent
    image of ``Ri / X`` lines, stacked as a batch dimension.

    Examples
    --------
    >>> decode(encode(np.full((2, 5), 9, dtype=np.uint8), predictor=5)).tolist()
    [[9, 9, 9, 9, 9], [9, 9, 9, 9, 9]]
    """
    data = bytes(data)
    if data[:2] != b"\xff\xd8":
        raise CorruptStreamError("not a JPEG: stream does not start with SOI (FF D8)")
    ht: dict[tuple[int, int], HuffmanTable] = {}
    frame: Frame | None = None
    planes: dict[int, np.ndarray] = {}
    Ri, ycc, pos = 0, False, 2
    while pos < len(data):  # markers until EOI (a missing EOI is tolerated, as in libjpeg)
        if data[pos] != 0xFF:
            raise CorruptStreamError(f"expected a marker at offset {pos}, found byte 0x{data[pos]:02x}")
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes (B.1.1.2)
            pos += 1
        if pos == len(data) or data[pos] == EOI:
            break
        marker, pos = data[pos], pos + 1
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # RSTm outside a scan, TEM: no segment
            continue
        if marker == SOI:
            raise CorruptStreamError(f"second SOI at offset {pos - 2}")
        payload, pos = segment(data, pos, marker)
        if marker == DHT:
            read_dht(payload, ht)
        elif marker in SOF_NAMES:
            if frame is not None:
                raise CorruptStreamError("more than one SOF segment")
            frame = _read_sof3(payload, marker)
        elif marker == DRI:
            Ri = read_dri(payload)
        elif marker == SOS:
            if frame is None:
                raise CorruptStreamError("SOS before SOF")
            pos = _decode_scan(data, pos, frame, payload, ht, Ri, planes)
        elif marker == APP0:
            ycc = ycc or payload[:5] == b"JFIF\x00"
        elif marker == APP14 and payload[:5] == b"Adobe" and len(payload) >= 12:
            ycc = payload[11] != 0  # Adobe transform: 0 = none, 1 = YCbCr
        elif marker == 0xDC:
            raise UnsupportedError("DNL marker (number of lines defined after the scan) is not supported")
    if frame is None:
        raise CorruptStreamError("no SOF segment before the end of the stream")
    if len(planes) < len(frame.ids):
        raise CorruptStreamError(f"no scan contains component {frame.ids[len(planes)]}")
    if len(frame.ids) == 3 and ycc:
        raise UnsupportedError("colour-transformed (YCbCr: JFIF or Adobe transform 1) lossless JPEG "
                               "is not supported (components must be stored as RGB)")
    out = np.stack([planes[k] for k in range(len(frame.ids))], axis=-1)
    return out[..., 0] if len(frame.ids) == 1 else out


# ---- decoder: marker segments (B.2.2, B.2.3) -------------------------------------------------


class Frame(NamedTuple):
    Y: int  # number of lines
    X: int  # samples per line
    ids: tuple[int, ...]  # component identifiers Ci


def _read_sof3(payload: bytes, marker: int) -> Frame:
    """SOF3 (B.2.2): P, Y, X, Nf, then ``Ci, Hi<<4|Vi, Tqi``; any other SOF is unsupported here."""
    if marker != SOF3:
        raise UnsupportedError(f"{SOF_NAMES[marker]} is not supported by the lossless decoder "
                               "(SOF3 only; classical.jpeg decodes SOF0/SOF1)")
    if len(payload) < 6:
        raise CorruptStreamError("SOF segment too short")
    P, Y, X, Nf = payload[0], int.from_bytes(payload[1:3], "big"), int.from_bytes(payload[3:5], "big"), payload[5]
    if P != 8:
        raise UnsupportedError(f"sample precision P={P} is not supported (8-bit only)")
    if len(payload) != 6 + 3 * Nf:
        raise CorruptStreamError(f"SOF length {len(payload) + 2} does not match Nf={Nf}")
    if X == 0 or Y == 0:
        raise CorruptStreamError(f"SOF: X={X}, Y={Y} (Y = 0 would need a DNL marker, not supported)")
    if X * Y > MAX_PIXELS:
        raise UnsupportedError(f"image of {X}x{Y} pixels is over the limit of {MAX_PIXELS} (MAX_PIXELS)")
    if Nf not in (1, 3):
        raise UnsupportedError(f"{Nf} components are not supported (1 = gray or 3 = RGB)")
    ids = tuple(payload[6::3])
    if len(set(ids)) != Nf:
        raise CorruptStreamError(f"SOF: repeated component id in {ids}")
    if any(HV != 0x11 for HV in payload[7::3]):
        raise UnsupportedError(f"sampling factors {[f'{h >> 4}x{h & 15}' for h in payload[7::3]]} "
                               "are not supported (1x1 only)")
    return Frame(Y, X, ids)


def _decode_scan(data, pos, frame: Frame, payload: bytes, ht, Ri: int, planes) -> int:
    """SOS (B.2.3) and its entropy-coded data: decode all differences, then reconstruct."""
    Ns = payload[0] if payload else 0
    if not 1 <= Ns <= 4 or len(payload) != 4 + 2 * Ns:
        raise CorruptStreamError(f"SOS: Ns={Ns} does not match its length {len(payload) + 2}")
    comps, tables = [], []
    for j in range(Ns):
        Cs, Td = payload[1 + 2 * j], payload[2 + 2 * j] >> 4
        if Cs not in frame.ids or frame.ids.index(Cs) in comps:
            raise CorruptStreamError(f"SOS: component id {Cs} is not in the frame or repeats")
        if (0, Td) not in ht:
            raise CorruptStreamError(f"scan uses undefined Huffman table {Td}")
        comps.append(frame.ids.index(Cs))
        tables.append(_lookup(ht[0, Td].BITS, ht[0, Td].HUFFVAL))
    Ss, Pt = payload[1 + 2 * Ns], payload[3 + 2 * Ns] & 15  # predictor selection, point transform Al
    if not 1 <= Ss <= 7 or Pt > 7:
        raise CorruptStreamError(f"SOS: predictor Ss={Ss} must be 1..7 and Pt={Pt} 0..7")
    Y, X = frame.Y, frame.X
    if Ri % X:
        raise CorruptStreamError(f"restart interval Ri={Ri} is not a multiple of the {X} MCUs of a line")
    diff, end = _decode_differences(data, pos, tables, X * Y, Ri)
    x = _reconstruct(diff.reshape(Y, X, Ns), Ss, 1 << (7 - Pt), Ri // X)
    if x.max() > 255 >> Pt:
        raise CorruptStreamError(f"reconstructed sample {int(x.max())} is over {255 >> Pt} (8 bits, Pt={Pt})")
    for k, c in enumerate(comps):
        planes[c] = (x[..., k] << Pt).astype(np.uint8)
    return end


# ---- decoder: differences (H.2, F.2.2) --------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _lookup(BITS: tuple[int, ...], HUFFVAL: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """``(nbits, Diff, extra)`` for each 16-bit lookahead, categories 0..16 (Table H.2).

    When the code and its extra bits fit in 16 bits, ``nbits`` covers both and
    ``Diff`` is final (``extra = 0``); otherwise ``nbits`` is the code length and
    ``extra`` bits remain to be read.  ``extra = -1``: no code, or a category over 16.
    """
    L = np.zeros(1 << 16, dtype=np.int64)  # length of the code that prefixes v, 0 if none
    S = np.zeros(1 << 16, dtype=np.int64)  # its symbol SSSS
    table = HuffmanTable(BITS, HUFFVAL)
    for code, size, value in zip(table.HUFFCODE, table.HUFFSIZE, HUFFVAL):
        L[code << (16 - size):(code + 1) << (16 - size)] = size
        S[code << (16 - size):(code + 1) << (16 - size)] = value
    is_code = (L > 0) & (S <= 16)
    E = np.where(is_code & (S < 16), S, 0)  # extra bits (none for category 16)
    fits = is_code & (L + E <= 16)
    amp = (np.arange(1 << 16) >> np.maximum(16 - L - E, 0)) & ((1 << E) - 1)
    diff = np.where(S == 16, 32768, np.where(amp < (1 << E) >> 1, amp - (1 << E) + 1, amp))  # EXTEND
    cols = np.where(fits, L + E, L), np.where(fits, diff, 0), np.where(is_code, np.where(fits, 0, E), -1)
    return list(zip(*(c.tolist() for c in cols)))


def _decode_differences(data: bytes, pos: int, tables, n_mcu: int, Ri: int) -> tuple[np.ndarray, int]:
    """All ``n_mcu * len(tables)`` differences of a scan, restart intervals included, and its end."""
    buf = np.frombuffer(data, dtype=np.uint8)
    ff = np.flatnonzero(buf[pos:-1] == 0xFF) + pos  # data ends at an FF not followed by 00 (B.1.1.5)
    markers = np.append(ff[buf[ff + 1] != 0x00], len(buf))
    out: list[int] = []
    per = Ri or n_mcu
    start, done, interval = pos, 0, 0
    while True:
        end = int(markers[np.searchsorted(markers, start)])
        count = min(per, n_mcu - done)
        seg = buf[start:end]
        seg = np.delete(seg, np.flatnonzero(seg[:-1] == 0xFF) + 1)  # undo byte stuffing (F.1.2.3)
        try:
            _decode_interval(seg, count * len(tables), tables, out)
        except IndexError as e:  # the lookahead ran off the zero padding after the data
            raise CorruptStreamError("entropy-coded data ends inside the scan") from e
        done += count
        if done == n_mcu:
            return np.array(out, dtype=np.int64), end
        start = skip_restart_marker(buf, end, interval, done, n_mcu)
        interval += 1


def _decode_interval(seg: np.ndarray, n: int, tables, out: list[int]) -> None:
    """Decode ``n`` differences from one unstuffed interval, cycling through the components' tables."""
    nbytes, byte0, pos, lim = len(seg), 0, 0, 8 * _CHUNK
    peek = _peek16(seg, 0)
    append = out.append
    for tab in islice(cycle(tables), n):
        if pos >= lim:  # move the lookahead window forward
            byte0 += pos >> 3
            pos &= 7
            if byte0 >= nbytes:
                raise CorruptStreamError("entropy-coded data ends inside the scan")
            peek = _peek16(seg, byte0)
        nbits, diff, extra = tab[peek[pos]]
        if extra:
            if extra < 0:
                raise CorruptStreamError("invalid Huffman code in the difference data")
            bits = peek[pos + nbits] >> (16 - extra)
            diff = bits if bits >> (extra - 1) else bits - (1 << extra) + 1  # EXTEND (F.2.2.1)
            nbits += extra
        pos += nbits
        append(diff)
    if 8 * byte0 + pos > 8 * nbytes:
        raise CorruptStreamError("entropy-coded data ends inside the scan")


# ---- decoder: undoing the prediction (H.1.2.1) -----------------------------------------------


def unpredict(diff, predictor: int, *, initial: int = 128, modulus: int = 1 << 16) -> np.ndarray:
    """Invert :func:`predict`: samples from the differences ``(x - Px) mod modulus``.

    Every sample needs its reconstructed neighbours, so this runs one anti-diagonal
    at a time (or as running sums for predictors 1 and 2), never pixel by pixel.
    ``modulus=256`` undoes 8-bit residuals ``(x - Px) mod 256`` as plain DPCM keeps them.

    Examples
    --------
    >>> x = np.array([[10, 12], [11, 200]])
    >>> d = (x - predict(x, 4)) % 256
    >>> unpredict(d, 4, modulus=256).tolist()
    [[10, 12], [11, 200]]
    """
    d = np.asarray(diff, dtype=np.int64)
    planes = d[..., None] if d.ndim == 2 else d
    out = _reconstruct(planes, predictor, initial, 0, mask=modulus - 1)
    return out[..., 0] if d.ndim == 2 else out


def _reconstruct(diff: np.ndarray, predictor: int, initial: int, rows: int, mask: int = 0xFFFF) -> np.ndarray:
    """Samples ``(Y, X, C)`` from differences; restart intervals of ``rows`` lines are a batch."""
    Y, X, C = diff.shape
    k = rows or Y
    d = np.zeros((-(-Y // k) * k, X, C), dtype=np.int64)
    d[:Y] = diff
    d = d.reshape(-1, k, X, C)  # (interval, line, sample, component)
    undo = _undo_cumsum if predictor in (1, 2) else _undo_wavefront
    return undo(d, predictor, initial, mask).reshape(-1, X, C)[:Y]


def _undo_cumsum(d: np.ndarray, predictor: int, initial: int, mask: int) -> np.ndarray:
    """Predictors 1 and 2: each sample is the running sum of differences along a line or column."""
    d = d.copy()
    d[:, 0, 0] += initial  # first sample of each interval
    if predictor == 1:  # column 0 runs down (Rb), then every line runs right (Ra)
        d[:, :, 0] = np.cumsum(d[:, :, 0], axis=1)
        return np.cumsum(d, axis=2) & mask
    d[:, 0] = np.cumsum(d[:, 0], axis=1)  # line 0 runs right (Ra), then every column runs down (Rb)
    return np.cumsum(d, axis=1) & mask


def _undo_wavefront(d: np.ndarray, predictor: int, initial: int, mask: int) -> np.ndarray:
    """Any predictor, one anti-diagonal ``i + j = s`` at a time (all its samples are independent)."""
    nb, k, X, C = d.shape
    R = np.zeros((nb, k + 1, X + 1, C), dtype=np.int64)  # R[:, i + 1, j + 1] = sample (i, j)
    f = PREDICTORS[predictor]
    for s in range(k + X - 1):
        i = np.arange(max(0, s - X + 1), min(k, s + 1))
        j = s - i
        a, b, c = R[:, i + 1, j], R[:, i, j + 1], R[:, i, j]
        Px = f(a, b, c)
        if i[0] == 0:  # first line: Ra, first sample: 2**(P - Pt - 1)
            Px[:, 0] = a[:, 0] if s else initial
        if s and j[-1] == 0:  # first column: Rb
            Px[:, -1] = b[:, -1]
        R[:, i + 1, j + 1] = (Px + d[:, i, j]) & mask
    return R[:, 1:, 1:]
