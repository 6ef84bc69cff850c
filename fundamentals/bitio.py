"""Bit-level and varint I/O.

This module currently provides unsigned LEB128 varints (used by the container
header); the bit reader/writer classes live below them.

Varints (unsigned LEB128)
-------------------------
An unsigned integer ``n`` is written 7 bits at a time, least significant group
first; every byte but the last has its high bit (0x80) set:

======  ====================
value   bytes
======  ====================
0       ``00``
127     ``7F``
128     ``80 01``
300     ``AC 02``
======  ====================
"""

from __future__ import annotations

from fundamentals.errors import CorruptStreamError

__all__ = ["write_varint", "read_varint"]

#: Longest varint accepted by :func:`read_varint` (10 bytes hold 64 bits).
MAX_VARINT_BYTES = 10


def write_varint(n: int) -> bytes:
    """Encode a non-negative integer as unsigned LEB128.

    Parameters
    ----------
    n : int
        Value, ``0 <= n < 2**64``.

    Returns
    -------
    bytes
        1 to 10 bytes, low 7-bit group first, continuation bit 0x80.

    Examples
    --------
    >>> write_varint(300).hex()
    'ac02'
    """
    n = int(n)
    if not 0 <= n < 1 << 64:
        raise ValueError(f"varint value {n} out of range [0, 2**64)")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data: bytes, pos: int = 0) -> tuple[int, int]:
    """Decode an unsigned LEB128 integer starting at ``data[pos]``.

    Parameters
    ----------
    data : bytes
        The buffer.
    pos : int
        Offset of the first byte of the varint.

    Returns
    -------
    value, next_pos : int, int
        The integer and the offset just past it.

    Raises
    ------
    CorruptStreamError
        If the buffer ends inside the varint or it is longer than 10 bytes.

    Examples
    --------
    >>> read_varint(bytes([0xAC, 0x02, 0xFF]))
    (300, 2)
    """
    value = 0
    for i in range(MAX_VARINT_BYTES):
        if pos + i >= len(data):
            raise CorruptStreamError("stream ends inside a varint")
        byte = data[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, pos + i + 1
    raise CorruptStreamError(f"varint longer than {MAX_VARINT_BYTES} bytes")
