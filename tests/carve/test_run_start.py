"""Where an orphan EOI's run of entropy-coded data starts, found from the end of each block
with rfind, against a whole-block numpy scan written here, on random bytes, real JPEG data
and zero sectors at every alignment."""

from __future__ import annotations

import random

import numpy as np

from scanner.carve.jpeg_pairs import _run_start

from .conftest import encode, photo

SECTOR = 512
NOT_MARKER = np.zeros(256, np.bool_)
NOT_MARKER[[0x00, 0xFF, *range(0xD0, 0xD8)]] = True


def _reference(data: bytes, lo: int, hi: int) -> int | None:
    """After the last marker or zero sector of the block, by scanning all of it."""
    raw = np.frombuffer(data, np.uint8)
    ffs = np.flatnonzero(raw[:-1] == 0xFF)
    markers = ffs[~NOT_MARKER[raw[ffs + 1]]]
    found = [lo + int(markers[-1]) + 2] if len(markers) else []
    first = -(-lo // SECTOR) * SECTOR
    count = (hi - first) // SECTOR
    if count > 0:
        sectors = raw[first - lo : first - lo + count * SECTOR].reshape(count, SECTOR)
        zero = np.flatnonzero(~sectors.any(axis=1))
        if len(zero):
            found.append(first + (int(zero[-1]) + 1) * SECTOR)
    return max(found) if found else None


def test_run_start_matches_a_whole_block_scan():
    rng = random.Random(5)
    scan = encode(photo(640, 480, 2), "JPEG", quality=90)[700:]  # entropy data: few markers
    for trial in range(3000):
        pieces = []
        for _ in range(rng.randrange(1, 5)):
            kind = rng.randrange(4)
            size = rng.randrange(1, 3 * SECTOR)
            if kind == 0:
                pieces.append(rng.randbytes(size))
            elif kind == 1:
                pieces.append(bytes(size + SECTOR))
            elif kind == 2:
                at = rng.randrange(len(scan) - size)
                pieces.append(scan[at : at + size])
            else:
                pieces.append(rng.choice([b"\xff", b"\xff\x00", b"\xff\xd0", b"\xff\xff"]))
        data = b"".join(pieces)
        if len(data) < 2:
            continue
        lo = rng.randrange(0, 4 * SECTOR)
        hi = lo + len(data) - 1
        assert _run_start(data, lo, hi) == _reference(data, lo, hi), trial
