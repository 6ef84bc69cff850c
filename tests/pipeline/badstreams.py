"""Feeding a decoder damaged streams: the checks every registered codec gets.

A decoder given bad bytes must either return an array or raise
:class:`fundamentals.errors.CodecError`; anything else (IndexError, KeyError,
ZeroDivisionError, MemoryError, a hang) is a bug.  :func:`damaged_streams`
builds the damage, :func:`check_decoder` runs a decoder over it in-process with
a one-second alarm per call and returns a list of problems (empty = good).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator

import numpy as np

from fundamentals.errors import CodecError

#: Longest a single decode of a damaged stream may take.
SECONDS = 1.0


class DecodeTimeout(Exception):
    """Raised by the alarm when a decode runs past :data:`SECONDS`."""


def damaged_streams(good: bytes, *, header_end: int = 0, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """Yield ``(label, stream)`` pairs of damaged versions of ``good``.

    * truncations: every length for streams under 2 KiB, else ~200 spread
      lengths, always 0, 1, ``header_end`` and ``len - 1``;
    * 200 random single-byte mutations (a random position set to a random other value);
    * 20 random byte strings of assorted lengths, and the empty stream.
    """
    rng = np.random.default_rng(seed)
    n = len(good)
    if n < 2048:
        cuts = set(range(n))
    else:
        cuts = set(np.linspace(0, n - 1, 200).astype(int).tolist())
    cuts |= {0, 1, max(0, min(header_end, n - 1)), max(0, n - 1)}
    for cut in sorted(cuts):
        yield f"truncated to {cut} bytes", good[:cut]
    for _ in range(200):
        if n == 0:
            break
        pos = int(rng.integers(n))
        value = (good[pos] + int(rng.integers(1, 256))) % 256
        yield f"byte {pos} set to {value}", good[:pos] + bytes([value]) + good[pos + 1 :]
    for k in range(20):
        length = int(rng.integers(0, 4 * n + 16)) if k % 2 else int(rng.integers(0, 64))
        yield f"{length} random bytes", rng.integers(0, 256, length, dtype=np.uint8).tobytes()
    yield "empty stream", b""


def _alarm(signum, frame):
    raise DecodeTimeout


def decode_guarded(decode: Callable[[bytes], np.ndarray], data: bytes, seconds: float = SECONDS):
    """Call ``decode(data)`` with a wall-clock alarm; returns its result or raises.

    An alarm already set (pytest-timeout's, for the whole test) is saved and
    re-armed afterwards with the time it had left.
    """
    old_handler = signal.signal(signal.SIGALRM, _alarm)
    start = time.monotonic()
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return decode(data)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:
            left = max(old_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)


def check_decoder(decode: Callable[[bytes], np.ndarray], good: bytes, *, header_end: int = 0,
                  seed: int = 0, limit: int = 5) -> list[str]:
    """Run ``decode`` over :func:`damaged_streams` of ``good``; return problems found.

    At most ``limit`` problems are reported (the first ones), each as one line.
    """
    problems = []
    for label, data in damaged_streams(good, header_end=header_end, seed=seed):
        try:
            out = decode_guarded(decode, data)
        except CodecError:
            continue
        except DecodeTimeout:
            problems.append(f"{label}: decode ran longer than {SECONDS} s")
        except Exception as exc:  # noqa: BLE001 - the point is to catch everything else
            problems.append(f"{label}: {type(exc).__name__}: {exc}")
        else:
            if not isinstance(out, np.ndarray):
                problems.append(f"{label}: returned {type(out).__name__}, not an ndarray")
        if len(problems) >= limit:
            break
    return problems
