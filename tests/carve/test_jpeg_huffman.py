"""The Huffman check: several AC symbols per lookup decode exactly like one at a time."""

from __future__ import annotations

import random

import pytest

from scanner.carve.jpeg_huffman import EOB, Checkpoint, HuffmanCheck
from scanner.carve.jpeg_structure import walk
from scanner.carve.window import Window

from .conftest import BytesReader


def _one_symbol_at_a_time(entry: int) -> int:
    """The same lookup entry, reduced to its first symbol."""
    alone = entry >> 24
    step = alone >> 8
    return (alone & 0xFF) | step << 8 | (1 if step == EOB else step) << 16 | alone << 24


def _checkers(data: bytes) -> tuple[HuffmanCheck, HuffmanCheck, int]:
    result = walk(Window(BytesReader(data), 0, len(data)), 0)
    assert result is not None
    fast = HuffmanCheck.for_layout(result.layout)
    slow = HuffmanCheck.for_layout(result.layout)
    assert fast is not None and slow is not None
    slow.plan = [(dc, [_one_symbol_at_a_time(e) if e else 0 for e in ac]) for dc, ac in slow.plan]
    return fast, slow, result.layout.scan_start


@pytest.mark.parametrize("name", ["jpg", "jpg-restart", "jpg-gray", "jpg-exif"])
def test_multi_symbol_lookup_matches_symbol_by_symbol(media: dict[str, bytes], name: str):
    data = media[name]
    fast, slow, scan_start = _checkers(data)
    rng = random.Random(3)
    streams = [data[scan_start:]]
    for _ in range(12):  # corrupted copies: a run of random bytes somewhere in the scan
        at = rng.randrange(scan_start, len(data) - 64)
        streams.append(data[scan_start:at] + rng.randbytes(rng.randrange(1, 64)) + data[at:])
    for stream in streams:
        fast_points: list[Checkpoint] = []
        slow_points: list[Checkpoint] = []
        assert fast.check(stream, 0, 0, fast_points) == slow.check(stream, 0, 0, slow_points)
        assert fast_points == slow_points
    assert fast.check(streams[0]).ok and fast.check(streams[0]).mcus == fast.total
