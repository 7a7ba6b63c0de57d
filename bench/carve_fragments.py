"""Two-fragment media for the carving benchmark: every format, either order, varied sizes.

Each fragmented file is split at a sector boundary into a first piece of one sector to
several MiB and the rest; the two are written a gap of 4 KiB to 4 MiB apart (log-uniform),
the second piece first on disk half of the time, and the gap keeps what was there (old
random data, or the files planted before). Large JPEGs (up to about 4 MiB) are added so
that pieces of several MiB occur. JPEGs in three pieces (on request) are cut the same way
twice and laid out in any of the six orders, with such gaps between them.
"""

from __future__ import annotations

import io
import random
from typing import BinaryIO

import numpy as np
from PIL import Image

SECTOR = 512
CLUSTER = 4096
# per fragmented JPEG of the old generator, how many of each format
MIX = {"jpg": 8, "png": 4, "gif": 1, "bmp": 1, "webp": 1, "tiff": 1, "jpg-progressive": 1, "mp4": 1}


def fragment_jobs(per: int) -> list[tuple[str, str]]:
    return [("fragmented", kind) for kind, count in MIX.items() for _ in range(count * per)]


def large_jpeg(rng: random.Random) -> bytes:
    """A camera-sized JPEG (2-4 MiB)."""
    width, height = rng.randrange(2400, 3600, 16), rng.randrange(1800, 2600, 16)
    gen = np.random.default_rng(rng.randrange(2**32))
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x * y) % 256], -1)
    pixels = ((base + gen.integers(0, 40, (height, width, 3))) % 256).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=rng.randrange(80, 95))
    return out.getvalue()


def split_point(size: int, rng: random.Random) -> int:
    """Size of the first piece: one sector, a few sectors, or a fraction of the file."""
    choice = rng.random()
    if choice < 0.15:
        first = SECTOR * rng.randrange(1, 3)
    elif choice < 0.3:
        first = SECTOR * rng.randrange(3, 64)
    else:
        first = int(size * rng.uniform(0.05, 0.95)) // SECTOR * SECTOR
    return max(SECTOR, min(first, (size - 1) // SECTOR * SECTOR))


def gap_size(rng: random.Random) -> int:
    return int(CLUSTER * 2 ** rng.uniform(0, 10)) // SECTOR * SECTOR


def write_split(
    out: BinaryIO, cursor: int, data: bytes, rng: random.Random
) -> tuple[int, str, int, int]:
    """Write `data` in two pieces from `cursor` on; (end, order, first piece, gap)."""
    first, gap = split_point(len(data), rng), gap_size(rng)
    reverse = rng.random() < 0.5
    if reverse:  # the second piece first on disk, then the gap, then the head
        tail, head = cursor, -(-(cursor + len(data) - first + gap) // CLUSTER) * CLUSTER
    else:
        head, tail = cursor, -(-(cursor + first + gap) // SECTOR) * SECTOR
    out.seek(head)
    out.write(data[:first])
    out.seek(tail)
    out.write(data[first:])
    end = max(head + first, tail + len(data) - first)
    return end, "reversed" if reverse else "forward", first, gap


def write_three(out: BinaryIO, cursor: int, data: bytes, rng: random.Random) -> tuple[int, str]:
    """Write `data` in three pieces from `cursor` on, in a random order; (end, order)."""
    first = split_point(len(data) - SECTOR, rng)
    second = first + split_point(len(data) - first, rng)
    pieces = [(0, first), (first, second), (second, len(data))]
    order = rng.sample(range(3), 3)
    end = cursor
    for index in order:
        lo, hi = pieces[index]
        out.seek(end)
        out.write(data[lo:hi])
        end = -(-(end + hi - lo + gap_size(rng)) // SECTOR) * SECTOR
    return end, "".join("123"[index] for index in order)
