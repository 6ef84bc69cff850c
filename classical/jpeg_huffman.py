"""Huffman entropy coding of baseline JPEG (ITU-T T.81 Annex C, F.1.2, F.2.2, K.2, K.3).

What it does
------------
The entropy-coding half of :mod:`classical.jpeg`: it turns the quantized
coefficients of a scan (blocks in transmission order, each a 64-entry zig-zag
sequence ``zz``) into the bytes of an entropy-coded segment, and back.

* :class:`HuffmanTable` holds a table as a DHT segment carries it, ``BITS`` and
  ``HUFFVAL`` (B.2.4.2), and derives ``HUFFSIZE``/``HUFFCODE`` (Annex C, Figures
  C.1/C.2), the encoder's ``EHUFCO``/``EHUFSI`` (Figure C.3), and the decoder's
  16-bit lookahead tables (F.2.2.3).
* :data:`STD_DC_LUMINANCE` ... :data:`STD_AC_CHROMINANCE`: the "typical" tables of
  K.3 (Tables K.3-K.6), which libjpeg and Pillow use unless told to optimize.
* :func:`optimal_table` builds a per-image table from symbol counts (K.2, Figures
  K.1-K.4): code lengths limited to 16, the all-ones code word kept free.
* :func:`scan_symbols` -> :func:`encode_scan`: DC differences, run/size symbols
  ``RRRRSSSS`` (ZRL = 0xF0, EOB = 0x00) and amplitude bits (F.1.2.1-F.1.2.2) for all
  blocks at once with NumPy, packed once, byte-stuffed (F.1.2.3), with restart
  markers.
* :func:`decode_scan`: the inverse, a tight Python loop over coefficients driven by
  lookahead tables indexed with the next 16 bits of the stream.

Scope (what it does NOT do)
---------------------------
Huffman coding only (no arithmetic coding, Annex D); sequential scans only (no
spectral selection or successive approximation, G.1.2); 8-bit samples (DC size
categories 0-11, AC 1-10).

Symbols of one block (F.1.2)
----------------------------
=================  ==============================  ==========================================
item               Huffman symbol                  followed by
=================  ==============================  ==========================================
DC difference      ``SSSS`` = size of ``DIFF``     ``SSSS`` amplitude bits of ``DIFF``
run of 16 zeros    ``ZRL`` = 0xF0                  nothing
AC coefficient     ``RRRR << 4 | SSSS``            ``SSSS`` amplitude bits
zeros to the end   ``EOB`` = 0x00                  nothing (omitted if ``zz[63] != 0``)
=================  ==============================  ==========================================

``RRRR`` counts the zeros before the coefficient (0-15), ``SSSS`` is the bit length
of ``|v|``; the amplitude bits are ``v`` if ``v > 0`` and the low ``SSSS`` bits of
``v - 1`` if ``v < 0`` (so ``-3`` is ``00``, ``3`` is ``11``).

References
----------
ITU-T T.81 | ISO/IEC 10918-1 (1992): Annex C (Huffman table specification),
F.1.2 (baseline Huffman encoding), F.2.2 (decoding), K.2 (optimal tables), K.3
(typical tables).

Examples
--------
>>> import numpy as np
>>> zz = np.zeros((1, 64), dtype=np.int64); zz[0, :3] = [-2, 5, -1]
>>> syms = scan_symbols(zz)
>>> [hex(s) for s in syms.sym]            # DC size 2, then (0/3), (0/1), EOB
['0x2', '0x3', '0x1', '0x0']
>>> data = encode_scan(syms, [STD_DC_LUMINANCE], [STD_AC_LUMINANCE])
>>> zz2, end = decode_scan(data, 0, [(0, STD_DC_LUMINANCE, STD_AC_LUMINANCE)], 1)
>>> bool((zz2 == zz).all())
True
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from fundamentals.bitio import pack_codes
from fundamentals.errors import CorruptStreamError

__all__ = [
    "STD_AC_CHROMINANCE",
    "STD_AC_LUMINANCE",
    "STD_DC_CHROMINANCE",
    "STD_DC_LUMINANCE",
    "HuffmanTable",
    "ScanSymbols",
    "decode_scan",
    "encode_scan",
    "optimal_table",
    "scan_symbols",
]

# ---- tables: Annex C ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HuffmanTable:
    """A JPEG Huffman table, given as in a DHT segment (T.81 B.2.4.2).

    Parameters
    ----------
    BITS : sequence of 16 int
        ``BITS[i]`` = number of codes of length ``i + 1`` (T.81's ``BITS(1..16)``).
    HUFFVAL : sequence of int
        The symbols, in order of increasing code length, ``sum(BITS)`` of them.

    Attributes
    ----------
    HUFFSIZE, HUFFCODE : tuple of int
        Length and value of the ``k``-th code (Annex C, Figures C.1 and C.2).
    EHUFCO, EHUFSI : numpy.ndarray, shape (256,)
        Code and length indexed by symbol (Figure C.3); ``EHUFSI == 0`` for a symbol
        the table cannot code.

    Raises
    ------
    CorruptStreamError
        If the counts do not match, a symbol is not a byte, or the lengths are
        over-full: more codes than fit, or a code of all 1-bits (which T.81 keeps
        free and libjpeg rejects).

    Notes
    -----
    Codes are canonical: the first code of each length is the last code of the
    previous length plus one, shifted left (Figure C.2):

    ======  ======  ===============
    symbol  length  code
    ======  ======  ===============
    0x01    2       ``00``
    0x02    2       ``01``
    0x03    3       ``100``
    0x00    4       ``1010`` (EOB)
    ======  ======  ===============

    Examples
    --------
    >>> t = HuffmanTable([0, 2, 1, 1] + [0] * 12, [1, 2, 3, 0])
    >>> [format(c, f"0{s}b") for c, s in zip(t.HUFFCODE, t.HUFFSIZE)]
    ['00', '01', '100', '1010']
    >>> HuffmanTable([2] + [0] * 15, [0, 1])
    Traceback (most recent call last):
    ...
    fundamentals.errors.CorruptStreamError: Huffman code lengths are over-full at length 1 (...)
    """

    BITS: tuple[int, ...]
    HUFFVAL: tuple[int, ...]
    HUFFSIZE: tuple[int, ...] = field(init=False, repr=False)
    HUFFCODE: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        BITS, HUFFVAL = tuple(int(b) for b in self.BITS), tuple(int(v) for v in self.HUFFVAL)
        if len(BITS) != 16 or min(BITS) < 0:
            raise CorruptStreamError(f"BITS must be 16 counts >= 0, got {BITS}")
        if sum(BITS) != len(HUFFVAL) or len(HUFFVAL) > 256:
            raise CorruptStreamError(f"sum(BITS) = {sum(BITS)} but {len(HUFFVAL)} HUFFVAL (<= 256)")
        if HUFFVAL and not 0 <= min(HUFFVAL) <= max(HUFFVAL) <= 255:
            raise CorruptStreamError("HUFFVAL entries must be bytes")
        object.__setattr__(self, "BITS", BITS)
        object.__setattr__(self, "HUFFVAL", HUFFVAL)
        HUFFSIZE = _generate_size_table(BITS)
        object.__setattr__(self, "HUFFSIZE", HUFFSIZE)
        object.__setattr__(self, "HUFFCODE", _generate_code_table(HUFFSIZE))

    @functools.cached_property
    def EHUFCO(self) -> np.ndarray:
        """Code of each symbol (Figure C.3, order_codes)."""
        return self._ordered()[0]

    @functools.cached_property
    def EHUFSI(self) -> np.ndarray:
        """Code length of each symbol, 0 if absent (Figure C.3)."""
        return self._ordered()[1]

    def _ordered(self) -> tuple[np.ndarray, np.ndarray]:
        EHUFCO = np.zeros(256, dtype=np.int64)
        EHUFSI = np.zeros(256, dtype=np.int64)
        for k, v in enumerate(self.HUFFVAL):  # Figure C.3: I = HUFFVAL(K)
            EHUFCO[v] = self.HUFFCODE[k]
            EHUFSI[v] = self.HUFFSIZE[k]
        return EHUFCO, EHUFSI

    @property
    def dc_lookup(self) -> tuple[tuple[int, int, int], ...]:
        """Decoder table for a DC table: ``(nbits, DIFF, extra)`` per 16-bit lookahead.

        When the code and its ``SSSS`` amplitude bits fit in the 16 bits, ``nbits``
        covers both and ``DIFF`` is final (``extra = 0``); otherwise ``nbits`` is the
        code length and ``extra = SSSS`` bits must still be read.  ``extra = -1``
        marks a bit pattern that is no code (or a size above 11).
        """
        return _lookup(self.BITS, self.HUFFVAL, ac=False)

    @property
    def ac_lookup(self) -> tuple[tuple[int, int, int, int], ...]:
        """Decoder table for an AC table: ``(advance, nbits, value, extra)`` per lookahead.

        ``advance`` is how far the zig-zag index ``k`` moves: ``RRRR + 1`` for a
        coefficient, 16 for ZRL, 0 for EOB.  ``nbits``, ``value`` and ``extra`` are as
        in :attr:`dc_lookup`; ``extra = -1`` marks no code or an undefined symbol.
        """
        return _lookup(self.BITS, self.HUFFVAL, ac=True)


@functools.lru_cache(maxsize=32)
def _lookup(BITS: tuple[int, ...], HUFFVAL: tuple[int, ...], ac: bool) -> tuple:
    """Build (and cache, keyed by the table) the 65536-entry decoder table of a DC or AC table."""
    L = np.zeros(1 << 16, dtype=np.int64)  # code length of the code that prefixes v (0: none)
    RS = np.zeros(1 << 16, dtype=np.int64)  # its symbol
    table = HuffmanTable(BITS, HUFFVAL)
    for code, size, value in zip(table.HUFFCODE, table.HUFFSIZE, HUFFVAL):
        lo, hi = code << (16 - size), (code + 1) << (16 - size)  # every v with this prefix
        L[lo:hi] = size
        RS[lo:hi] = value
    v = np.arange(1 << 16)
    R, S = (RS >> 4, RS & 15) if ac else (0, RS)
    is_code = (L > 0) & ((S >= 1) & (S <= 10) if ac else (RS <= 11))
    fits = is_code & (L + S <= 16)
    amp = (v >> np.maximum(16 - L - S, 0)) & ((1 << S) - 1)
    nbits = np.where(fits, L + S, L)
    val = np.where(fits, _extend(amp, S), 0)
    extra = np.where(is_code, np.where(fits, 0, S), -1)
    if ac:
        eob, zrl = (L > 0) & (RS == 0x00), (L > 0) & (RS == 0xF0)
        extra[eob | zrl] = 0
        cols = (np.where(is_code, R + 1, np.where(zrl, 16, 0)), nbits, val, extra)
    else:
        cols = (nbits, val, extra)
    # few distinct entries (one per code and amplitude): build those tuples, then gather
    key = np.stack(cols, axis=1)
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    entries = [tuple(e) for e in uniq.tolist()]
    return operator.itemgetter(*inverse.ravel().tolist())(entries)


def _generate_size_table(BITS: tuple[int, ...]) -> tuple[int, ...]:
    """Figure C.1: the list of code lengths, ``BITS[i]`` copies of ``i + 1``."""
    HUFFSIZE: list[int] = []
    for L in range(1, 17):
        HUFFSIZE += [L] * BITS[L - 1]
    return tuple(HUFFSIZE)


def _generate_code_table(HUFFSIZE: tuple[int, ...]) -> tuple[int, ...]:
    """Figure C.2: canonical codes; next code = previous + 1, shifted left at each new length."""
    HUFFCODE: list[int] = []
    code, si = 0, HUFFSIZE[0] if HUFFSIZE else 0
    k = 0
    while k < len(HUFFSIZE):
        while k < len(HUFFSIZE) and HUFFSIZE[k] == si:
            HUFFCODE.append(code)
            code += 1
            k += 1
        # `code` is one more than the last code of length si; it must still fit in si
        # bits, otherwise the lengths are over-full or a code is all 1-bits
        if code >= 1 << si:
            raise CorruptStreamError(
                f"Huffman code lengths are over-full at length {si} "
                f"(a code would be all 1-bits or need more than {si} bits)"
            )
        code <<= 1
        si += 1
    return tuple(HUFFCODE)


def _extend(v, t):
    """F.2.2.1 EXTEND: amplitude bits ``v`` of size ``t`` -> signed value (vectorized or scalar)."""
    return np.where((t > 0) & (v < (1 << np.maximum(t - 1, 0))), v - (1 << t) + 1, v)


# Table K.3 (DC luminance), K.4 (DC chrominance), K.5 (AC luminance), K.6 (AC chrominance)
STD_DC_LUMINANCE = HuffmanTable((0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0), tuple(range(12)))
STD_DC_CHROMINANCE = HuffmanTable((0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0), tuple(range(12)))
STD_AC_LUMINANCE = HuffmanTable((0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D), bytes.fromhex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728"
    "292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a83848586878889"
    "8a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2"
    "e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa"))
STD_AC_CHROMINANCE = HuffmanTable((0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77), bytes.fromhex(
    "000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a26"
    "2728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a828384858687"
    "88898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9da"
    "e2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa"))


def optimal_table(freq) -> HuffmanTable:
    """Build the Huffman table for given symbol counts, T.81 K.2 (Figures K.1-K.4).

    Parameters
    ----------
    freq : array_like, shape (256,)
        How often each symbol occurs; at least one must be non-zero.

    Returns
    -------
    HuffmanTable
        Lengths at most 16 bits, no code of all 1-bits; symbols that never occur get
        no code.

    Notes
    -----
    Figure K.1 (code_size) is Huffman's procedure: repeatedly merge the two least
    frequent entries ``V1`` and ``V2``, adding one bit to every symbol in both
    chains.  A reserved symbol 256 with ``FREQ = 1`` takes part, so the longest code
    length has one code point left over: its removal at the end frees the all-ones
    code word.  Ties choose the *largest* symbol value (as libjpeg does), which
    makes the result deterministic.  Figure K.2 counts ``BITS``, Figure K.3 moves
    codes longer than 16 bits up the tree (a pair at length ``i`` becomes one code at
    ``i - 1`` plus one prefix at ``j < i - 1`` turned into two codes at ``j + 1``), and
    Figure K.4 sorts ``HUFFVAL`` by code length, then by symbol value.

    Examples
    --------
    >>> f = np.zeros(256); f[[0, 1, 2]] = [10, 5, 1]
    >>> t = optimal_table(f)
    >>> t.BITS[:3], t.HUFFVAL
    ((1, 1, 1), (0, 1, 2))
    """
    FREQ = np.zeros(257, dtype=np.int64)
    FREQ[:256] = np.asarray(freq, dtype=np.int64).reshape(256)
    if FREQ.min() < 0 or not FREQ.any():
        raise ValueError("symbol counts must be >= 0 with at least one > 0")
    FREQ[256] = 1  # reserved code point: no code word of all 1-bits
    CODESIZE = np.zeros(257, dtype=np.int64)
    OTHERS = np.full(257, -1, dtype=np.int64)
    while True:  # Figure K.1
        (nz,) = np.nonzero(FREQ)
        if len(nz) < 2:
            break
        order = np.lexsort((-nz, FREQ[nz]))  # least FREQ first; ties: largest V first
        V1, V2 = int(nz[order[0]]), int(nz[order[1]])
        FREQ[V1] += FREQ[V2]
        FREQ[V2] = 0
        for V in (V1, V2):  # one more bit for every symbol in each merged chain
            CODESIZE[V] += 1
            while OTHERS[V] != -1:
                V = int(OTHERS[V])
                CODESIZE[V] += 1
        V = V1  # append chain V2 to the end of chain V1
        while OTHERS[V] != -1:
            V = int(OTHERS[V])
        OTHERS[V] = V2
    BITS = np.bincount(CODESIZE[CODESIZE > 0], minlength=33)  # Figure K.2 (index = length)
    for i in range(len(BITS) - 1, 16, -1):  # Figure K.3 (Adjust_BITS)
        while BITS[i] > 0:
            j = i - 2
            while BITS[j] == 0:
                j -= 1
            BITS[i] -= 2
            BITS[i - 1] += 1
            BITS[j + 1] += 2
            BITS[j] -= 1
    i = 16
    while BITS[i] == 0:  # remove the reserved code point from the longest length
        i -= 1
    BITS[i] -= 1
    symbols = np.flatnonzero(CODESIZE[:256])  # Figure K.4 (Sort_input)
    HUFFVAL = symbols[np.lexsort((symbols, CODESIZE[symbols]))]
    return HuffmanTable(tuple(BITS[1:17].tolist()), tuple(HUFFVAL.tolist()))


# ---- encoding: F.1.2 -------------------------------------------------------------------------


class ScanSymbols(NamedTuple):
    """Every Huffman symbol of a scan with its amplitude bits, in transmission order.

    Attributes
    ----------
    comp : numpy.ndarray
        Component index (position in the scan) of the block each item belongs to.
    ac : numpy.ndarray of bool
        True for an AC item (coded with an AC table), False for a DC difference.
    sym : numpy.ndarray
        The Huffman symbol: ``SSSS`` (DC) or ``RRRRSSSS`` (AC, including ZRL/EOB).
    amp, ssss : numpy.ndarray
        Amplitude bits and their count (0 for ZRL/EOB).
    interval : numpy.ndarray
        Restart interval of each item.
    """

    comp: np.ndarray
    ac: np.ndarray
    sym: np.ndarray
    amp: np.ndarray
    ssss: np.ndarray
    interval: np.ndarray

    def counts(self, n_comp: int) -> tuple[np.ndarray, np.ndarray]:
        """Symbol counts ``(dc, ac)``, each shape ``(n_comp, 256)``, for :func:`optimal_table`."""
        key = self.comp * 256 + self.sym
        dc = np.bincount(key[~self.ac], minlength=n_comp * 256).reshape(n_comp, 256)
        ac = np.bincount(key[self.ac], minlength=n_comp * 256).reshape(n_comp, 256)
        return dc, ac


def _nbits(x: np.ndarray) -> np.ndarray:
    """SSSS = bit length of ``|x|`` (0 for 0), Tables F.1/F.2; frexp's exponent is exact."""
    return np.frexp(np.abs(x).astype(np.float64))[1].astype(np.int64)


def scan_symbols(zz, comp=None, interval=None) -> ScanSymbols:
    """Turn quantized blocks into the symbol sequence of a scan (F.1.2.1-F.1.2.2), vectorized.

    Parameters
    ----------
    zz : array_like of int, shape (n, 64)
        Quantized coefficients of each block in zig-zag order, blocks in the order
        the scan sends them (MCU after MCU).  DC in ``[-2047, 2047]``, AC in
        ``[-1023, 1023]``.
    comp : array_like of int, shape (n,), optional
        Component index of each block (selects the DC predictor and, later, the
        tables).  Default: all 0.
    interval : array_like of int, shape (n,), optional
        Restart interval of each block, non-decreasing; the DC predictors restart
        from 0 in each interval.  Default: all 0 (no restarts).

    Returns
    -------
    ScanSymbols

    Notes
    -----
    DC: :math:`DIFF = DC_i - PRED`, the previous DC of the same component.
    AC: with the non-zero positions :math:`k_1 < k_2 < \\dots` of a block and
    :math:`k_0 = 0`, the run before :math:`k_j` is :math:`k_j - k_{j-1} - 1`; a run
    of 16 or more is sent as ``run // 16`` ZRL symbols, then ``(run % 16) << 4 |
    SSSS``.  An EOB follows the last non-zero coefficient unless it is ``zz[63]``.

    No sorting and no loop over blocks: each item's place in the output is counted.
    Block ``b`` holds ``1 + sum(ZRLs + 1 over its coefficients) + EOB`` items and
    starts at the running total of the blocks before it; inside it, the DC comes
    first and a coefficient lands after all items of the coefficients before it
    (a cumulative sum restarted at each block).

    Examples
    --------
    >>> zz = np.zeros((1, 64), dtype=int); zz[0, 20] = 1
    >>> [hex(s) for s in scan_symbols(zz).sym]   # DC 0, ZRL, run 3 size 1, EOB
    ['0x0', '0xf0', '0x31', '0x0']
    """
    zz = np.asarray(zz)
    if zz.ndim != 2 or zz.shape[1] != 64 or zz.dtype.kind not in "iu":
        raise ValueError(f"zz must be integers of shape (n, 64), got {zz.dtype} {zz.shape}")
    zz = zz.astype(np.int32, copy=False)
    n = zz.shape[0]
    comp = np.zeros(n, dtype=np.int64) if comp is None else np.asarray(comp, dtype=np.int64)
    interval = np.zeros(n, dtype=np.int64) if interval is None else np.asarray(interval, dtype=np.int64)
    # DC differences, one predictor per component, reset at each restart interval (F.1.2.1)
    diff = np.empty(n, dtype=np.int32)
    for c in np.unique(comp):
        (idx,) = np.nonzero(comp == c)
        dc = zz[idx, 0]
        pred = np.concatenate([[0], dc[:-1]])
        pred[np.concatenate([[True], interval[idx][1:] != interval[idx][:-1]])] = 0
        diff[idx] = dc - pred
    # AC: every non-zero coefficient, block by block, in zig-zag order (F.1.2.2)
    blk, k = np.nonzero(zz[:, 1:])
    k += 1
    v = zz[blk, k]
    first = np.ones(len(blk), dtype=bool)  # first non-zero of its block?
    first[1:] = blk[1:] != blk[:-1]
    run = k - np.where(first, 0, np.roll(k, 1)) - 1  # zeros since the previous non-zero
    nzrl = run >> 4
    last = np.zeros(n, dtype=np.int64)  # zig-zag index of each block's last non-zero AC
    is_last = np.append(first[1:], True)[: len(blk)]
    last[blk[is_last]] = k[is_last]
    eob = last < 63
    # where each item goes: count items per block, then inside the block
    group = nzrl + 1  # a coefficient's items: its ZRLs, then itself
    count = 1 + np.bincount(blk, weights=group, minlength=n).astype(np.int64) + eob
    start = np.cumsum(count) - count
    ends = np.cumsum(group)
    block_first = np.maximum.accumulate(np.where(first, np.arange(len(blk)), 0))
    pos = start[blk] + ends - ends[block_first] + group[block_first]  # the coefficient's own item
    zrl_of = np.repeat(np.arange(len(blk)), nzrl)  # coefficient that each ZRL precedes
    zrl_j = np.arange(len(zrl_of)) - np.repeat(np.cumsum(nzrl) - nzrl, nzrl)  # 0, 1, 2 within each run
    zrl_pos = pos[zrl_of] - nzrl[zrl_of] + zrl_j
    total = int(start[-1] + count[-1]) if n else 0
    sym = np.empty(total, dtype=np.int64)
    amp = np.zeros(total, dtype=np.int64)
    ssss = np.zeros(total, dtype=np.int64)
    ac = np.ones(total, dtype=bool)
    ac[start] = False
    sym[start] = ssss[start] = _nbits(diff)
    amp[start] = np.where(diff < 0, diff + (1 << ssss[start]) - 1, diff)  # negative: low bits of DIFF-1
    s = _nbits(v)
    sym[pos] = (run & 15) << 4 | s
    ssss[pos] = s
    amp[pos] = np.where(v < 0, v + (1 << s) - 1, v)
    sym[zrl_pos] = 0xF0
    sym[(start + count - 1)[eob]] = 0x00
    return ScanSymbols(np.repeat(comp, count), ac, sym, amp, ssss, np.repeat(interval, count))


def encode_scan(symbols: ScanSymbols, dc_tables, ac_tables) -> bytes:
    """Huffman-code a scan's symbols into an entropy-coded segment (F.1.2, F.1.2.3).

    Parameters
    ----------
    symbols : ScanSymbols
        From :func:`scan_symbols`.
    dc_tables, ac_tables : sequence of HuffmanTable
        The DC and AC table of each component index used in ``symbols.comp``.

    Returns
    -------
    bytes
        The segment as it follows the SOS header: codes and amplitude bits packed
        MSB-first, each restart interval padded to a byte with 1-bits and followed
        by ``RSTm`` (m = 0..7 cyclically) except the last, and every ``0xFF`` byte
        followed by a stuffed ``0x00``.

    Raises
    ------
    ValueError
        If a table has no code for a symbol that occurs.

    Examples
    --------
    >>> zz = np.zeros((2, 64), dtype=int)
    >>> s = scan_symbols(zz, interval=[0, 1])
    >>> encode_scan(s, [STD_DC_LUMINANCE], [STD_AC_LUMINANCE]).hex()   # 00 1010, pad 11; RST0; ...
    '2bffd02b'
    """
    EHUFCO = np.stack([t.EHUFCO for pair in zip(dc_tables, ac_tables) for t in pair])
    EHUFSI = np.stack([t.EHUFSI for pair in zip(dc_tables, ac_tables) for t in pair])
    row = 2 * symbols.comp + symbols.ac  # table of each item
    size = EHUFSI[row, symbols.sym]
    if (size == 0).any():
        i = int(np.argmax(size == 0))
        raise ValueError(f"Huffman table has no code for symbol 0x{int(symbols.sym[i]):02x}")
    codes = (EHUFCO[row, symbols.sym] << symbols.ssss) | symbols.amp
    lengths = size + symbols.ssss
    # pad every restart interval to a whole byte with 1-bits (F.1.2.3, B.2.1)
    n_int = int(symbols.interval[-1]) + 1 if len(lengths) else 0
    bits = np.bincount(symbols.interval, weights=lengths, minlength=n_int).astype(np.int64)
    pad = -bits % 8
    if n_int > 1:
        ends = np.searchsorted(symbols.interval, np.arange(1, n_int))  # first item of next interval
        codes = np.insert(codes, ends, (1 << pad[:-1]) - 1)
        lengths = np.insert(lengths, ends, pad[:-1])
    data = np.frombuffer(pack_codes(codes, lengths, fill=1), dtype=np.uint8)
    # byte stuffing (F.1.2.3) and restart markers, in one insert
    stuff = np.flatnonzero(data == 0xFF) + 1
    rst = np.repeat(np.cumsum((bits + pad) // 8)[:-1], 2)
    rst_bytes = np.ravel(np.column_stack([np.full(n_int - 1, 0xFF), 0xD0 + np.arange(n_int - 1) % 8]))
    where = np.concatenate([stuff, rst]).astype(np.intp)
    what = np.concatenate([np.zeros(len(stuff), dtype=np.uint8), rst_bytes.astype(np.uint8)])
    return np.insert(data, where, what).tobytes()  # insert is stable: stuffed 00 before a marker


# ---- decoding: F.2.2 -------------------------------------------------------------------------

_CHUNK = 1 << 15  # bytes of stream turned into 16-bit lookahead values at a time
_MARGIN = 2304  # bytes beyond a chunk: more than one MCU can use (10 blocks of <= 1665 bits)


def _peek16(seg: np.ndarray, byte0: int) -> list[int]:
    """The 16 bits that start at each bit of ``seg[byte0:byte0 + _CHUNK + _MARGIN]``.

    ``peek[8*i + r]`` = bits ``r .. r+15`` (MSB-first) from byte ``byte0 + i``; the
    stream is extended with zero bytes.  A Python list, because indexing one is much
    faster than indexing a NumPy array element by element.
    """
    w = np.zeros(min(len(seg) - byte0, _CHUNK + _MARGIN) + 4, dtype=np.uint32)
    w[: len(w) - 4] = seg[byte0: byte0 + len(w) - 4]
    x = (w[:-2] << 16) | (w[1:-1] << 8) | w[2:]  # 24-bit window at each byte
    return ((x[:, None] >> (8 - np.arange(8, dtype=np.uint32))) & 0xFFFF).ravel().tolist()


def decode_scan(data, pos: int, layout, n_mcu: int, restart_interval: int = 0):
    """Decode the entropy-coded segment of one scan (F.2.2), restart markers included.

    Parameters
    ----------
    data : bytes
        The whole JPEG stream.
    pos : int
        Offset of the first byte after the SOS segment.
    layout : sequence of (int, HuffmanTable, HuffmanTable)
        One entry per block of an MCU, in order: the DC-predictor slot (component of
        the scan) and its DC and AC tables.
    n_mcu : int
        Number of MCUs in the scan.
    restart_interval : int
        ``Ri`` from DRI (MCUs per interval), 0 for none.

    Returns
    -------
    zz : numpy.ndarray of int64, shape (n_mcu * len(layout), 64)
        Coefficients in zig-zag order (DC prediction undone), blocks in decode order.
    end : int
        Offset of the marker that ends the scan (``len(data)`` if the stream ends).

    Raises
    ------
    CorruptStreamError
        On a bit pattern that is no code, a run past coefficient 63, data that ends
        before the last MCU, or a missing or out-of-sequence ``RSTm``.

    Notes
    -----
    F.2.2.3 decodes a code one bit at a time against MAXCODE/MINCODE/VALPTR (Figure
    F.16).  Here the next 16 bits index a 65536-entry table giving the code length
    and symbol directly; usually the amplitude bits fit in the same 16 bits, so one
    lookup yields the finished coefficient (see :attr:`HuffmanTable.ac_lookup`).
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    # entropy-coded data ends at the first 0xFF not followed by 0x00 (B.1.1.5, F.1.2.3)
    ff = np.flatnonzero(buf[pos:-1] == 0xFF) + pos
    markers = np.append(ff[buf[ff + 1] != 0x00], len(buf))
    dc_out: list[int] = []
    idx_out: list[int] = []
    val_out: list[int] = []
    per = restart_interval or n_mcu
    start, done, interval = pos, 0, 0
    while True:
        end = int(markers[np.searchsorted(markers, start)])
        count = min(per, n_mcu - done)
        seg = buf[start:end]
        (stuffed,) = np.nonzero(seg[:-1] == 0xFF)
        seg = np.delete(seg, stuffed + 1)  # remove the 0x00 after every 0xFF
        try:
            _decode_interval(seg, count, layout, done * len(layout), dc_out, idx_out, val_out)
        except IndexError as e:  # the lookahead ran off the zero padding after the data
            raise CorruptStreamError("entropy-coded data ends inside an MCU") from e
        done += count
        if done == n_mcu:
            return _assemble(done * len(layout), dc_out, idx_out, val_out), end
        start = skip_restart_marker(buf, end, interval, done, n_mcu)
        interval += 1


def skip_restart_marker(buf, end: int, interval: int, done: int, n_mcu: int) -> int:
    """Check the marker after restart interval ``interval`` and return where the next one starts.

    T.81 B.2.5 / F.1.2.3: after every ``Ri`` MCUs the encoder aligns to a byte and
    writes ``RSTm`` with ``m = interval mod 8`` (fill bytes 0xFF may precede it).

    Raises
    ------
    CorruptStreamError
        The scan ends before all ``n_mcu`` MCUs (``done`` so far), or the marker
        is not the expected ``RSTm``.
    """
    marker = end  # skip fill bytes 0xFF up to the marker code
    while marker < len(buf) and buf[marker] == 0xFF:
        marker += 1
    if marker >= len(buf) or not 0xD0 <= buf[marker] <= 0xD7:
        raise CorruptStreamError(f"scan data ends after {done} of {n_mcu} MCUs")
    if buf[marker] != 0xD0 + interval % 8:
        raise CorruptStreamError(f"expected RST{interval % 8}, found RST{buf[marker] - 0xD0}")
    return marker + 1


def _assemble(nblk, dc_out, idx_out, val_out) -> np.ndarray:
    zz = np.zeros((nblk, 64), dtype=np.int64)
    zz[:, 0] = dc_out
    zz.ravel()[np.asarray(idx_out, dtype=np.intp)] = val_out
    return zz


def _decode_interval(seg, n_mcu, layout, blk, dc_out, idx_out, val_out) -> None:
    """Decode ``n_mcu`` MCUs from one unstuffed restart interval ``seg`` (F.2.2.1-F.2.2.2)."""
    nbytes = len(seg)
    byte0, pos, lim = 0, 0, 8 * _CHUNK
    peek = _peek16(seg, 0)
    pred = [0] * (1 + max(c for c, _, _ in layout))  # DC predictors restart at 0 (F.2.1.3.1)
    tables = [(c, d.dc_lookup, a.ac_lookup) for c, d, a in layout]
    dc_append, idx_append, val_append = dc_out.append, idx_out.append, val_out.append
    for _ in range(n_mcu):
        if pos >= lim:  # move the lookahead window forward
            byte0 += pos >> 3
            pos &= 7
            if byte0 >= nbytes:
                raise CorruptStreamError("entropy-coded data ends inside the scan")
            peek = _peek16(seg, byte0)
        for c, dtab, atab in tables:
            n, diff, extra = dtab[peek[pos]]
            if extra:
                if extra < 0:
                    raise CorruptStreamError("invalid DC Huffman code")
                bits = peek[pos + n] >> (16 - extra)
                diff = bits if bits >> (extra - 1) else bits - (1 << extra) + 1
                n += extra
            pos += n
            pred[c] += diff
            dc_append(pred[c])
            base = 64 * blk - 1
            k = 1  # index of the next coefficient in zz
            while k < 64:
                adv, n, v, extra = atab[peek[pos]]
                if extra:
                    if extra < 0:
                        raise CorruptStreamError("invalid AC Huffman code")
                    bits = peek[pos + n] >> (16 - extra)
                    v = bits if bits >> (extra - 1) else bits - (1 << extra) + 1
                    n += extra
                pos += n
                if not adv:  # EOB
                    break
                k += adv
                if v:
                    idx_append(base + k)
                    val_append(v)
            if k > 64:
                raise CorruptStreamError(f"AC run goes past coefficient 63 in block {blk}")
            blk += 1
    if 8 * byte0 + pos > 8 * nbytes:
        raise CorruptStreamError("entropy-coded data ends inside the scan")
