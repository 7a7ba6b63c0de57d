"""macOS QuickLook: index.sqlite + thumbnails.data built from the published layout; raw
bitmaps come back pixel-exact as PNG with the original's path and times."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scanner.errors import EvidenceError
from scanner.evidence.containers import SNIFF_BYTES, sniff
from scanner.evidence.containers.base import Member, Problem
from scanner.evidence.containers.quicklook import QuickLookCache
from scanner.evidence.streams import BytesStream, FileStream
from tests.evidence.windows_cache_builders import QuickLookThumb, quicklook_index, quicklook_version

WHEN = 1_600_000_000.0  # 2020-09-13 12:26:40 UTC
RNG = np.random.default_rng(11)


def bitmap(width: int, height: int, per_row: int, order: str) -> tuple[bytes, np.ndarray]:
    """Stored bytes (`order` of each pixel, rows padded to `per_row`) and the RGBA pixels."""
    rgba = RNG.integers(0, 256, (height, width, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    stored = rgba[..., ["RGBA".index(c) for c in order]]
    rows = b"".join(stored[y].tobytes() + b"\xee" * (per_row - width * 4) for y in range(height))
    return rows, rgba


def listing(cache: QuickLookCache) -> tuple[list[Member], list[str]]:
    entries = list(cache.members())
    return (
        [e for e in entries if isinstance(e, Member)],
        [e.reason for e in entries if isinstance(e, Problem)],
    )


def decoded(cache: QuickLookCache, value: str) -> np.ndarray:
    stream = cache.open(value)
    png = stream.read(0, stream.size)
    assert png.startswith(b"\x89PNG")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.parametrize(
    ("bitmap_info", "order"),
    [(False, "RGBA"), (True, "BGRA")],  # older layout; 0x2002 (32 little, alpha first)
)
def test_thumbnails_come_back_pixel_exact_with_their_original(
    tmp_path: Path, bitmap_info: bool, order: str
) -> None:
    first, first_pixels = bitmap(16, 12, 80, order)  # rows padded to 80 bytes
    second, second_pixels = bitmap(7, 5, 28, order)
    data = b"\x00" * 100 + first + second
    thumbs = [
        QuickLookThumb(1, 16, 12, 100, len(first), 80, WHEN + 3600, bitmap_info=0x2002),
        QuickLookThumb(2, 7, 5, 100 + len(first), len(second), 28, WHEN, bitmap_info=0x2002),
    ]
    files = {
        1: ("/Users/x/Pictures/gone", "IMG_0007.JPG", quicklook_version(WHEN - 86400, 123456)),
        2: ("/Volumes/USB/", "b.png", b"not a plist"),
    }
    index = tmp_path / "index.sqlite"
    quicklook_index(str(index), files, thumbs, bitmap_info)
    cache = QuickLookCache(FileStream(index), BytesStream(data))
    members, problems = listing(cache)
    assert problems == []
    assert [m.value for m in members] == ["thumbnail=1", "thumbnail=2"]
    assert np.array_equal(decoded(cache, "thumbnail=1"), first_pixels)
    assert np.array_equal(decoded(cache, "thumbnail=2"), second_pixels)
    one, two = (m.origin for m in members)
    assert one["original_path"] == "/Users/x/Pictures/gone/IMG_0007.JPG"
    assert one["cached"] == "2020-09-13T13:26:40+00:00"
    assert one["original_modified"] == "2020-09-12T12:26:40+00:00"
    assert one["original_size"] == "123456"
    assert one["thumbnail"] == "16x12 px" and one["store"] == "quicklook"
    assert two["original_path"] == "/Volumes/USB/b.png" and "original_modified" not in two
    assert members[0].size == cache.open("thumbnail=1").size


def test_damaged_rows_are_recorded_and_the_rest_delivered(tmp_path: Path) -> None:
    good, pixels = bitmap(4, 4, 16, "RGBA")
    thumbs = [
        QuickLookThumb(1, 4, 4, 0, len(good), 16, WHEN),
        QuickLookThumb(1, 4, 4, 10_000, len(good), 16, WHEN),  # past the end of the data
        QuickLookThumb(1, 4, 4, 0, 20, 16, WHEN),  # length too short for 4x4
        QuickLookThumb(1, 4, 4, 0, len(good), 12, WHEN, bits_per_pixel=24),
        QuickLookThumb(1, 1 << 20, 1 << 20, 0, len(good), 1 << 22, WHEN),  # hostile size
        QuickLookThumb(99, 4, 4, 0, len(good), 16, WHEN),  # no files row
    ]
    index = tmp_path / "index.sqlite"
    quicklook_index(str(index), {1: ("/a", "b.jpg", b"")}, thumbs, bitmap_info=False)
    cache = QuickLookCache(FileStream(index), BytesStream(good))
    members, problems = listing(cache)
    assert [m.value for m in members] == ["thumbnail=1", "thumbnail=6"]
    assert "original_path" not in members[1].origin
    assert np.array_equal(decoded(cache, "thumbnail=6"), pixels)
    assert problems == [
        "quicklook thumbnail 2: bitmap at 10000 runs past the end of thumbnails.data",
        "quicklook thumbnail 3: 20 bytes, 64 needed for 4x4",
        "quicklook thumbnail 4: 8-bit components, 24 bits a pixel: not read",
        f"quicklook thumbnail 5: {1 << 20}x{1 << 20}, {1 << 22} bytes a row: not a bitmap",
    ]
    with pytest.raises(EvidenceError, match="no thumbnail 42"):
        cache.open("thumbnail=42")


def test_not_a_quicklook_index(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="unreadable"):
        QuickLookCache(BytesStream(b"SQLite format 3\x00" + b"\x01" * 2000), BytesStream(b""))
    other = tmp_path / "other.sqlite"
    quicklook_index(str(other), {}, [], bitmap_info=False)
    with sqlite3.connect(other) as db:
        db.execute("DROP TABLE thumbnails")
    with pytest.raises(EvidenceError, match="no thumbnails table"):
        QuickLookCache(FileStream(other), BytesStream(b""))


def test_the_index_is_recognised_by_content(tmp_path: Path) -> None:
    index = tmp_path / "renamed.db"
    quicklook_index(str(index), {}, [], bitmap_info=True)
    other = tmp_path / "index.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE thumbnails (file_id, width)")
    head = index.read_bytes()[:SNIFF_BYTES]
    assert sniff(head, FileStream(index)) == "quicklook"
    assert sniff(other.read_bytes()[:SNIFF_BYTES], FileStream(other)) == "sqlite"
