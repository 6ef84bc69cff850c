"""fundamentals: what every codec stands on.

Errors, bit I/O, the self-describing container, colour transforms, sampling,
quantization, quality metrics and image I/O.  Nothing here imports ``classical``,
``learned`` or ``pipeline``.
"""
