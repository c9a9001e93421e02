"""Where a marker stands in a text: tests compute expected positions from their
fixtures, never from the validator's output."""

from __future__ import annotations


def position(text: str, marker: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the first character of the ``occurrence``-th ``marker``."""
    offset = -1
    for _ in range(occurrence):
        offset = text.index(marker, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
