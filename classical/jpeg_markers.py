"""JPEG marker segments (ITU-T T.81 Annex B): one writer and one reader per segment.

Every marker segment is ``FF``, the marker byte, a 2-byte big-endian length ``L`` that
counts itself but not the marker, and ``L - 2`` bytes of payload (B.1.1.4).  The writers
build the segments :mod:`classical.jpeg` (baseline DCT) and :mod:`classical.jpeg_lossless`
(SOF3) emit; the readers check each field against its range in Annex B and raise
:class:`~fundamentals.errors.CorruptStreamError` for a malformed segment and
:class:`~fundamentals.errors.UnsupportedError` for a legal one this package does not decode.

========================  ======  =========================================  ==========
segment                   marker  functions                                  clause
========================  ======  =========================================  ==========
APP0 (JFIF)               FFE0    :func:`write_app0`                         T.871 10.1
DQT                       FFDB    :func:`write_dqt`, :func:`read_dqt`        B.2.4.1
SOF0 (SOFn when reading)  FFCn    :func:`write_sof0`, :func:`read_sof`       B.2.2
DHT                       FFC4    :func:`write_dht`, :func:`read_dht`        B.2.4.2
DRI                       FFDD    :func:`write_dri`, :func:`read_dri`        B.2.4.4
SOS                       FFDA    :func:`write_sos`, :func:`read_sos`        B.2.3
========================  ======  =========================================  ==========

Examples
--------
>>> write_dri(4).hex()
'ffdd00040004'
>>> read_dri(segment(write_dri(4), 2, DRI)[0])
4
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classical.dct import ZIGZAG
from classical.jpeg_huffman import HuffmanTable
from fundamentals.errors import CorruptStreamError, UnsupportedError

__all__ = [
    "APP0", "APP14", "DHT", "DQT", "DRI", "EOI", "MAX_PIXELS", "SOF0", "SOF_NAMES", "SOI", "SOS",
    "Component", "Frame", "marker_segment", "read_dht", "read_dqt", "read_dri", "read_sof", "read_sos",
    "segment", "write_app0", "write_dht", "write_dqt", "write_dri", "write_sof0", "write_sos",
]

#: Largest image (X * Y pixels) that :func:`read_sof` accepts: decoders never allocate more
#: (decompression bombs).  Also :data:`classical.jpeg.MAX_PIXELS`.
MAX_PIXELS = 1 << 28

#: Marker bytes (Table B.1) of the segments read or written here.
SOI, EOI, SOS, DQT, DHT, DRI, SOF0, APP0, APP14 = 0xD8, 0xD9, 0xDA, 0xDB, 0xC4, 0xDD, 0xC0, 0xE0, 0xEE
#: Every start-of-frame marker SOFn (Table B.1) and the process it announces, for error messages.
SOF_NAMES = {
    0xC0: "baseline DCT (SOF0)", 0xC1: "extended sequential DCT (SOF1)",
    0xC2: "progressive DCT (SOF2)", 0xC3: "lossless (SOF3)",
    0xC5: "differential sequential DCT (SOF5)", 0xC6: "differential progressive DCT (SOF6)",
    0xC7: "differential lossless (SOF7)", 0xC9: "arithmetic-coded sequential DCT (SOF9)",
    0xCA: "arithmetic-coded progressive DCT (SOF10)", 0xCB: "arithmetic-coded lossless (SOF11)",
    0xCD: "arithmetic-coded differential sequential DCT (SOF13)",
    0xCE: "arithmetic-coded differential progressive DCT (SOF14)",
    0xCF: "arithmetic-coded differential lossless (SOF15)",
}


# ---- marker segments: writers (B.2) ----------------------------------------------------------


def marker_segment(marker: int, payload: bytes) -> bytes:
    """``FF marker``, then the 2-byte length (which counts itself) and the payload (B.1.1.4)."""
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def write_app0() -> bytes:
    """JFIF APP0 (T.871 10.1): identifier, version 1.01, units 0 (aspect only), density 1:1, no thumbnail."""
    return marker_segment(APP0, b"JFIF\x00" + bytes([1, 1, 0, 0, 1, 0, 1, 0, 0]))


def write_dqt(tables: dict[int, np.ndarray]) -> bytes:
    """DQT (B.2.4.1): for each table ``Pq<<4 | Tq`` (``Pq`` = 0: 8-bit), then ``Q`` in zig-zag order."""
    payload = b"".join(bytes([Tq]) + bytes(Q.ravel()[ZIGZAG].astype(np.uint8)) for Tq, Q in tables.items())
    return marker_segment(DQT, payload)


def write_sof0(Y: int, X: int, components) -> bytes:
    """SOF0 (B.2.2): P=8, Y, X, Nf, then ``Ci, Hi<<4 | Vi, Tqi`` for each ``(Ci, Hi, Vi, Tqi)``."""
    payload = bytes([8]) + Y.to_bytes(2, "big") + X.to_bytes(2, "big") + bytes([len(components)])
    payload += b"".join(bytes([C, H << 4 | V, Tq]) for C, H, V, Tq in components)
    return marker_segment(SOF0, payload)


def write_dht(tables) -> bytes:
    """DHT (B.2.4.2): for each ``(Tc, Th, table)``: ``Tc<<4 | Th``, ``BITS`` (16 bytes), ``HUFFVAL``."""
    return marker_segment(DHT, b"".join(bytes([Tc << 4 | Th, *t.BITS, *t.HUFFVAL]) for Tc, Th, t in tables))


def write_dri(Ri: int) -> bytes:
    """DRI (B.2.4.4): ``Ri``, the number of MCUs in each restart interval."""
    return marker_segment(DRI, Ri.to_bytes(2, "big"))


def write_sos(components) -> bytes:
    """SOS (B.2.3): Ns, ``Cs, Td<<4 | Ta`` for each ``(Cs, Td, Ta)``, then Ss=0, Se=63, Ah=Al=0."""
    payload = bytes([len(components)]) + b"".join(bytes([Cs, Td << 4 | Ta]) for Cs, Td, Ta in components)
    return marker_segment(SOS, payload + bytes([0, 63, 0]))


# ---- marker segments: readers (B.2) ----------------------------------------------------------


@dataclass
class Component:
    C: int  # component identifier Ci
    H: int  # horizontal sampling factor Hi
    V: int  # vertical sampling factor Vi
    Tq: int  # quantization table selector Tqi
    x: int = 0  # samples per line, ceil(X * Hi / Hmax) (A.1.1)
    y: int = 0  # lines, ceil(Y * Vi / Vmax)
    coefs: np.ndarray | None = None  # (mcuy*V, mcux*H, 64) zig-zag coefficients
    Q: np.ndarray | None = None  # the quantization table in force when its scan was decoded


@dataclass
class Frame:
    Y: int
    X: int
    components: list[Component]
    Hmax: int
    Vmax: int
    mcux: int  # MCUs per line in an interleaved scan
    mcuy: int
    jfif: bool = False  # a JFIF APP0 was seen
    adobe_transform: int | None = None  # from an Adobe APP14, if any
    Ri: int = 0  # the last restart interval defined
    huffman: dict | None = None  # (Tc, Th) -> HuffmanTable, the tables last defined


def segment(data: bytes, pos: int, marker: int) -> tuple[bytes, int]:
    """The payload of the marker segment whose length field is at ``pos``, and the next offset."""
    if pos + 2 > len(data):
        raise CorruptStreamError(f"stream ends inside the length of marker FF{marker:02X}")
    L = int.from_bytes(data[pos:pos + 2], "big")
    if L < 2 or pos + L > len(data):
        raise CorruptStreamError(f"marker FF{marker:02X} length {L} runs past the end of the stream")
    return data[pos + 2:pos + L], pos + L


def read_dqt(payload: bytes, qt: dict[int, np.ndarray]) -> None:
    """DQT (B.2.4.1): one or more tables ``Pq/Tq, Q0..Q63`` (8-bit if Pq = 0, 16-bit if 1), zig-zag order."""
    i = 0
    while i < len(payload):
        Pq, Tq = payload[i] >> 4, payload[i] & 15
        if Pq > 1 or Tq > 3:
            raise CorruptStreamError(f"DQT: Pq={Pq} must be 0/1 and Tq={Tq} 0..3")
        n = 64 * (Pq + 1)
        if i + 1 + n > len(payload):
            raise CorruptStreamError("DQT: segment ends inside a table")
        qt[Tq] = np.frombuffer(payload, dtype=">u2" if Pq else np.uint8, count=64, offset=i + 1).astype(np.int64)
        i += 1 + n


def read_dht(payload: bytes, ht: dict[tuple[int, int], HuffmanTable]) -> None:
    """DHT (B.2.4.2): one or more tables ``Tc/Th, BITS(16), HUFFVAL``; over-full lengths are rejected."""
    i = 0
    while i < len(payload):
        if i + 17 > len(payload):
            raise CorruptStreamError("DHT: segment ends inside BITS")
        Tc, Th = payload[i] >> 4, payload[i] & 15
        if Tc > 1 or Th > 3:
            raise CorruptStreamError(f"DHT: Tc={Tc} must be 0/1 and Th={Th} 0..3")
        BITS = payload[i + 1:i + 17]
        n = sum(BITS)
        if n > 256 or i + 17 + n > len(payload):
            raise CorruptStreamError(f"DHT: {n} codes do not fit in the segment")
        ht[Tc, Th] = HuffmanTable(tuple(BITS), tuple(payload[i + 17:i + 17 + n]))
        i += 17 + n


def read_sof(payload: bytes, marker: int, data: bytes) -> Frame:
    """SOFn (B.2.2): check it is a frame we decode, then P, Y, X, Nf and ``Ci, Hi/Vi, Tqi``."""
    if marker not in (0xC0, 0xC1):
        raise UnsupportedError(f"{SOF_NAMES[marker]} is not supported (baseline sequential only)")
    if len(payload) < 6:
        raise CorruptStreamError("SOF segment too short")
    P, Y, X, Nf = payload[0], int.from_bytes(payload[1:3], "big"), int.from_bytes(payload[3:5], "big"), payload[5]
    if P != 8:
        raise UnsupportedError(f"sample precision P={P} is not supported (8-bit only)")
    if len(payload) != 6 + 3 * Nf:
        raise CorruptStreamError(f"SOF length {len(payload) + 2} does not match Nf={Nf}")
    if X == 0:
        raise CorruptStreamError("SOF: X = 0 samples per line")
    if Y == 0:
        if b"\xff\xdc" in data:
            raise UnsupportedError("Y = 0 with a DNL marker (height after the scan) is not supported")
        raise CorruptStreamError("SOF: Y = 0 lines and no DNL marker")
    if X * Y > MAX_PIXELS:
        raise UnsupportedError(f"image of {X}x{Y} pixels is over the limit of {MAX_PIXELS} (MAX_PIXELS)")
    if Nf not in (1, 3):
        raise UnsupportedError(f"{Nf} components are not supported (1 = gray or 3 = colour)")
    comps = []
    for j in range(Nf):
        C, HV, Tq = payload[6 + 3 * j:9 + 3 * j]
        H, V = HV >> 4, HV & 15
        if not (1 <= H <= 4 and 1 <= V <= 4) or Tq > 3:
            raise CorruptStreamError(f"SOF: component {C} has H={H}, V={V} (1..4) or Tq={Tq} (0..3)")
        if H > 2 or V > 2:
            raise UnsupportedError(f"sampling factors {H}x{V} are not supported (1 or 2 only)")
        if any(c.C == C for c in comps):
            raise CorruptStreamError(f"SOF: component id {C} appears twice")
        comps.append(Component(C, H, V, Tq))
    Hmax, Vmax = max(c.H for c in comps), max(c.V for c in comps)
    for c in comps:
        c.x, c.y = -(-X * c.H // Hmax), -(-Y * c.V // Vmax)
    return Frame(Y, X, comps, Hmax, Vmax, -(-X // (8 * Hmax)), -(-Y // (8 * Vmax)))


def read_dri(payload: bytes) -> int:
    """DRI (B.2.4.4): ``Ri``, MCUs per restart interval (0 disables restarts)."""
    if len(payload) != 2:
        raise CorruptStreamError(f"DRI length {len(payload) + 2} != 4")
    return int.from_bytes(payload, "big")


def read_sos(payload: bytes, frame: Frame) -> list[tuple[Component, int, int]]:
    """SOS (B.2.3): Ns, then ``Cs, Td/Ta`` per component, then Ss, Se, Ah/Al (0, 63, 0 when sequential)."""
    Ns = payload[0] if payload else 0
    if not 1 <= Ns <= 4 or len(payload) != 4 + 2 * Ns:
        raise CorruptStreamError(f"SOS: Ns={Ns} does not match its length {len(payload) + 2}")
    scan = []
    for j in range(Ns):
        Cs, TdTa = payload[1 + 2 * j:3 + 2 * j]
        comp = next((c for c in frame.components if c.C == Cs), None)
        if comp is None or any(s[0] is comp for s in scan):
            raise CorruptStreamError(f"SOS: component id {Cs} is not in the frame or repeats")
        scan.append((comp, TdTa >> 4, TdTa & 15))
    Ss, Se, AhAl = payload[1 + 2 * Ns:]
    if (Ss, Se, AhAl) != (0, 63, 0):
        raise CorruptStreamError(f"SOS: Ss={Ss}, Se={Se}, Ah/Al={AhAl:#x} must be 0, 63, 0 in a sequential scan")
    if Ns > 1 and sum(c.H * c.V for c, _, _ in scan) > 10:
        raise CorruptStreamError("SOS: more than 10 blocks per MCU")
    return scan
