"""Byte or block ranges as sorted (start, length) pairs."""

from __future__ import annotations


def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, length) ranges covering the same units as `ranges`."""
    merged: list[tuple[int, int]] = []
    for start, length in sorted(ranges):
        if merged and start <= merged[-1][0] + merged[-1][1]:
            first, old = merged[-1]
            merged[-1] = (first, max(old, start + length - first))
        else:
            merged.append((start, length))
    return merged
