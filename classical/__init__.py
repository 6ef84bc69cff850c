"""classical: the hand-written classical codecs, one algorithm per file, NumPy only."""
