"""PackBits run-length coding, as in TIFF 6.0 (compression 32773) and Apple's Macintosh.

A PackBits stream is a sequence of packets, each a header byte ``n`` read as a
signed 8-bit integer followed by data:

==============  ===========================  =====================================
header ``n``    followed by                  decodes to
==============  ===========================  =====================================
0 .. 127        ``n + 1`` bytes              those bytes (a *literal* packet)
-127 .. -1      one byte ``b``               ``b`` repeated ``1 - n`` times (2..128)
-128 (``80``)   nothing                      nothing (a no-op; never written here)
==============  ===========================  =====================================

So a packet covers at most 128 bytes, and the worst case (no repeats) costs one
header per 128 bytes: ``len(out) <= n + ceil(n / 128)``.

Encoder rule (deterministic; PackBits leaves the choice to the encoder):

1. Cut the input into maximal runs of equal bytes.
2. A run of 3 or more bytes becomes repeat packets of 128 bytes, the last one
   taking the rest (127 + 2 instead of 128 + 1, so every repeat covers 2..128).
3. A run of exactly 2 bytes is a repeat packet if it starts the data or follows
   a repeat packet (so it costs 2 bytes, like the literal it replaces); after a
   literal byte it stays in the literal, where it costs 2 bytes instead of 3.
   A chain of 2-runs takes the decision of its first run.
4. All other bytes form literal packets of at most 128 bytes.

For images, each row of each plane is packed separately, as TIFF requires
(section 9: "each row is packed separately"), so no packet crosses a row.

What it does NOT do: cross-row runs, the 16-bit variants (Apple's PackBits for
``PICT`` pixel maps with ``packType 3``), or TIFF's strip/IFD structure.

Byte layout of :func:`encode`: the container of :mod:`fundamentals.container`
with codec id ``rle``, params ``{}``; the payload is the PackBits of row 0 of
plane 0, row 1 of plane 0, ..., then plane 1 (R, G, B for colour images).

Sources: TIFF Revision 6.0 (Adobe, 1992), section 9 "PackBits Compression";
Apple Technical Note TN1023 "Understanding PackBits" (1996).

Examples
--------
>>> packbits_encode(bytes.fromhex("aaaaaa80002a")).hex()
'feaa0280002a'
>>> packbits_decode(bytes.fromhex("feaa0280002a")).hex()
'aaaaaa80002a'
"""

from __future__ import annotations

import numpy as np

from fundamentals.container import pack, unpack
from fundamentals.errors import CorruptStreamError
from fundamentals.imageio import check_image

__all__ = ["decode", "encode", "packbits_decode", "packbits_encode"]

CODEC_ID = "rle"
MAX_PACKET = 128  # bytes covered by one packet, literal or repeat


# ---- bytes <-> PackBits ----


def packbits_encode(data: bytes) -> bytes:
    """Pack bytes with PackBits (the rule in the module docstring).

    Parameters
    ----------
    data : bytes-like
        Any bytes, including none.

    Returns
    -------
    bytes
        The packets; at most ``len(data) + ceil(len(data) / 128)`` bytes.

    Notes
    -----
    Vectorized: runs are found with ``np.diff``, the packets of every run and
    literal stretch are laid out with cumulative sums, and the literal bytes
    are copied in one masked assignment; there is no loop over bytes or runs.

    Examples
    --------
    >>> packbits_encode(b"\\x00" * 129).hex()  # 127 + 2 repeats, not 128 + 1
    '8200ff00'
    >>> packbits_encode(b"abcc").hex()  # the 2-run "cc" stays in the literal
    '0361626363'
    >>> packbits_encode(b"ccab").hex()  # ... but opens the row as a repeat
    'ff63016162'
    """
    row = np.frombuffer(bytes(data), np.uint8)
    return _encode_rows(row.reshape(1, -1)).tobytes()


def packbits_decode(data: bytes) -> bytes:
    """Unpack a PackBits stream.

    Parameters
    ----------
    data : bytes-like
        Packets as written by :func:`packbits_encode` or any PackBits writer.

    Returns
    -------
    bytes
        The unpacked bytes.

    Raises
    ------
    CorruptStreamError
        A packet whose data runs past the end of the stream.

    Examples
    --------
    >>> packbits_decode(bytes.fromhex("fd41800042"))  # 4 x A, no-op, 1 literal "B"
    b'AAAAB'
    """
    data = bytes(data)
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        h = data[i]  # header byte, read as a signed n: h < 128 is n >= 0
        i += 1
        if h < 128:  # literal: n + 1 bytes follow
            end = i + h + 1
            if end > n:
                raise CorruptStreamError(f"literal packet at byte {i - 1} needs {h + 1} bytes, {n - i} left")
            out += data[i:end]
            i = end
        elif h > 128:  # repeat: the next byte, 1 - n = 257 - h times
            if i >= n:
                raise CorruptStreamError(f"repeat packet at byte {i - 1} has no data byte")
            out += data[i : i + 1] * (257 - h)
            i += 1
        # h == 128 (n = -128): no-op
    return bytes(out)


# ---- images ----


def encode(img: np.ndarray) -> bytes:
    """PackBits every row of every plane separately, as TIFF does.

    Parameters
    ----------
    img : numpy.ndarray
        ``uint8``, ``(H, W)`` or ``(H, W, 3)``.

    Returns
    -------
    bytes
        Container (codec id ``rle``) holding the rows' PackBits, plane after plane.

    Examples
    --------
    >>> img = np.full((2, 300), 7, np.uint8)
    >>> encode(img)[-12:].hex()  # each row: repeats of 128, 128 and 44 sevens
    '81078107d50781078107d507'
    >>> bool((decode(encode(img)) == img).all())
    True
    """
    img = check_image(img)
    planes = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)  # (C, H, W)
    rows = np.ascontiguousarray(planes).reshape(-1, img.shape[1])
    return pack(CODEC_ID, _encode_rows(rows).tobytes(), shape=img.shape)


def decode(data: bytes) -> np.ndarray:
    """Invert :func:`encode`.

    Raises
    ------
    CorruptStreamError
        Not an ``rle`` container, an impossible shape, bad packets, or packets that
        do not unpack to ``H * W * C`` bytes.
    """
    header, payload = unpack(data, codec=CODEC_ID)
    shape = header.shape
    if header.dtype != "uint8" or len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3):
        raise CorruptStreamError(f"rle stream has an impossible image {header.dtype} {shape}")
    size = int(np.prod(shape))
    if len(payload) > 2 * size + 2:  # a packet covers >= 1 byte with <= 2 bytes; bounds the work
        raise CorruptStreamError(f"payload of {len(payload)} bytes is too long for {size} samples")
    raw = packbits_decode(payload)
    if len(raw) != size:
        raise CorruptStreamError(f"payload unpacks to {len(raw)} bytes, shape {shape} needs {size}")
    samples = np.frombuffer(raw, np.uint8)
    if len(shape) == 2:
        return samples.reshape(shape).copy()
    return samples.reshape(3, shape[0], shape[1]).transpose(1, 2, 0).copy()


# ---- encoder helpers ----


def _encode_rows(rows: np.ndarray) -> np.ndarray:
    """PackBits each row of a 2-D ``uint8`` array separately; returns the concatenation.

    Steps, each vectorized over the whole array:

    1. runs: a run starts at column 0 or where a byte differs from its left neighbour;
    2. classes: a run is *repeat* if its length is >= 3, or if it is a 2-run whose
       decider (the nearest run at or before it that is not a 2-run, or that starts
       the row) is not a single byte; every other run is *literal*;
    3. packets: a repeat run of length L gives ``ceil(L / 128)`` repeat packets, a
       stretch of consecutive literal runs in one row gives ``ceil(len / 128)``
       literal packets;
    4. output: headers and repeat bytes go to their offsets (a cumulative sum of
       packet sizes), the literal bytes fill the remaining positions in input order.
    """
    if rows.size == 0:
        return np.zeros(0, np.uint8)
    width = rows.shape[1]
    flat = rows.reshape(-1)
    # 1. runs
    new = np.ones(flat.size, bool)
    new[1:] = flat[1:] != flat[:-1]
    new[::width] = True  # a run never crosses a row
    start = np.flatnonzero(new)
    length = np.diff(np.append(start, flat.size))
    row_start = start % width == 0
    # 2. classes
    is_two = length == 2
    decider = np.where(~is_two | row_start, np.arange(start.size), 0)
    np.maximum.accumulate(decider, out=decider)
    repeat = (length >= 3) | (is_two & (length[decider] != 1))
    # 3a. repeat packets: 128, 128, ..., rest; a rest of 1 becomes 127 + 2
    rep_start, rep_len = start[repeat], length[repeat]
    n_pk = -(-rep_len // MAX_PACKET)
    run_of = np.repeat(np.arange(rep_len.size), n_pk)  # repeat run of each packet
    first_pk = np.cumsum(n_pk) - n_pk
    k = np.arange(run_of.size) - first_pk[run_of]  # packet number within its run
    last = k == n_pk[run_of] - 1
    rep_size = np.where(last, rep_len[run_of] - MAX_PACKET * k, MAX_PACKET)
    one = np.flatnonzero(last & (rep_size == 1))  # only when n_pk >= 2
    rep_size[one - 1] = MAX_PACKET - 1
    rep_size[one] = 2
    done = np.cumsum(rep_size) - rep_size  # bytes covered before each packet...
    rep_pos = rep_start[run_of] + done - done[first_pk][run_of]  # ...within its own run
    # 3b. literal packets: stretches of consecutive literal runs within a row
    lit = ~repeat
    lit_runs = np.flatnonzero(lit)
    opens = (row_start | np.append(True, repeat[:-1]))[lit_runs]  # run opens a stretch
    firsts = np.flatnonzero(opens)
    s_len = np.add.reduceat(length[lit_runs], firsts) if firsts.size else firsts
    s_pos = start[lit_runs[firsts]]
    n_lp = -(-s_len // MAX_PACKET)
    str_of = np.repeat(np.arange(s_len.size), n_lp)
    j = np.arange(str_of.size) - (np.cumsum(n_lp) - n_lp)[str_of]
    lit_pos = s_pos[str_of] + MAX_PACKET * j
    lit_size = np.minimum(s_len[str_of] - MAX_PACKET * j, MAX_PACKET)
    # 4. output, packets in input order
    pos = np.concatenate([rep_pos, lit_pos])
    cover = np.concatenate([rep_size, lit_size])
    is_rep = np.arange(pos.size) < rep_pos.size
    order = np.argsort(pos, kind="stable")
    pos, cover, is_rep = pos[order], cover[order], is_rep[order]
    out_len = np.where(is_rep, 2, cover + 1)
    off = np.cumsum(out_len) - out_len
    out = np.empty(int(out_len.sum()), np.uint8)
    out[off] = np.where(is_rep, 257 - cover, cover - 1)  # n = -(L - 1) as a byte, or L - 1
    free = np.ones(out.size, bool)  # positions still to fill
    free[off] = False
    out[off[is_rep] + 1] = flat[pos[is_rep]]
    free[off[is_rep] + 1] = False
    out[free] = flat[np.repeat(lit, length)]
    return out
