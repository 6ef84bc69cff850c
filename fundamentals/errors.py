"""The exception hierarchy shared by every codec.

Three tiers, as in Project Nayuki's reference coders:

* a caller's mistake (wrong dtype, quality out of range) is a plain ``ValueError``
  whose message names the bad value and the allowed range;
* a byte stream that is truncated, corrupted, or not of this codec is a
  :class:`CorruptStreamError`;
* a valid stream that uses a feature this package does not implement (progressive
  JPEG, 12-bit samples, ``.Z`` with more than 16 bits) is an :class:`UnsupportedError`.

Both stream errors derive from :class:`CodecError`, itself a ``ValueError``, so
``except ValueError`` still catches everything a decoder raises on bad input.

Examples
--------
>>> from fundamentals.errors import CodecError, CorruptStreamError
>>> issubclass(CorruptStreamError, CodecError) and issubclass(CodecError, ValueError)
True
"""

__all__ = ["CodecError", "CorruptStreamError", "UnsupportedError"]


class CodecError(ValueError):
    """Base class of every error a decoder raises on a bad or unsupported stream."""


class CorruptStreamError(CodecError):
    """The stream is truncated, corrupted, or was not written by this codec.

    Raise it with a message that says what was expected and what was found,
    e.g. ``"bad magic b'GIF8' (expected b'CPK1')"``.
    """


class UnsupportedError(CodecError):
    """The stream is valid but uses a feature that is not implemented here.

    The message names the feature, e.g. ``"progressive JPEG (SOF2) is not supported"``.
    """
