"""Two-fragment JPEGs: reassembled byte-exact by bifragment gap carving."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scanner.carve import jpeg_fragments
from scanner.carve.jpeg_fragments import OWNER_BLOCK, _sois_before
from scanner.carve.jpeg_structure import find_scan_end
from scanner.carve.libjpeg_check import _median
from scanner.carve.window import Window

from .conftest import SHARED, content, encode, photo, plant, random_bytes, run_carve

SECTOR = 512


def _split(data: bytes, fraction: float, shift: int = 0) -> tuple[bytes, bytes]:
    cut = int(len(data) * fraction) // SECTOR * SECTOR + shift
    return data[:cut], data[cut:]


def _gap(kind: str, size: int, media: dict[str, bytes]) -> bytes:
    if kind == "zeros":
        return bytes(size)
    if kind == "other-jpeg":  # another picture, same Huffman tables
        return (media["jpg-other"] * (size // len(media["jpg-other"]) + 1))[:size]
    return random_bytes(size, 99)


@pytest.mark.parametrize("name", ["jpg", "jpg-restart", "jpg-gray", "jpg-exif"])
@pytest.mark.parametrize("gap_kind", ["random", "zeros", "other-jpeg"])
@pytest.mark.parametrize("fraction", [0.25, 0.6])
def test_two_fragments_reassembled(
    tmp_path: Path, media: dict[str, bytes], name: str, gap_kind: str, fraction: float
):
    data = media[name]
    start = 7 * SECTOR + 100  # the file starts off the sector grid; its split is on it
    first, second = _split(data, fraction, SECTOR - 100)
    cont = start + len(first) + 37 * SECTOR
    parts = {start: first, start + len(first): _gap(gap_kind, 37 * SECTOR, media), cont: second}
    image = plant(tmp_path / "img.raw", cont + len(second) + 50_000, parts)
    item = {i.offset: i for i in run_carve(image, types=["jpg"])}[start]
    assert item.complete
    assert item.runs == ((start, len(first)), (cont, len(second)))
    assert content(image, item) == data


def test_real_photo_two_fragments(tmp_path: Path):
    path = SHARED / "faces" / "deepface" / "img19.jpg"
    if not path.exists():
        pytest.skip("../shared/data is not here")
    data = path.read_bytes()
    first, second = _split(data, 0.4)
    cont = 4096 + len(first) + 300 * SECTOR
    image = plant(tmp_path / "img.raw", cont + len(second) + 4096, {4096: first, cont: second})
    item = {i.offset: i for i in run_carve(image, types=["jpg"])}[4096]
    assert item.runs == ((4096, len(first)), (cont, len(second)))
    assert content(image, item) == data


def test_missing_second_fragment_gives_valid_prefix(tmp_path: Path, media: dict[str, bytes]):
    data = media["jpg"]
    first, _ = _split(data, 0.5)
    image = plant(tmp_path / "img.raw", 400_000, {SECTOR * 3: first})
    item = {i.offset: i for i in run_carve(image, types=["jpg"])}[SECTOR * 3]
    assert not item.complete
    assert len(item.runs) == 1 and 0 < item.valid_length <= len(first)
    assert content(image, item) == first[: item.valid_length]


def test_data_inside_other_whole_jpegs_is_no_continuation(tmp_path: Path, media: dict[str, bytes]):
    """Later pictures with the same Huffman tables are whole files of their own: their
    sectors are not taken as the missing second fragment of a cut picture."""
    data = media["jpg"]
    first, _ = _split(data, 0.5)
    other = media["jpg-other"]
    start, later = SECTOR * 3, SECTOR * 3 + len(first) + 8 * SECTOR
    parts = {start: first, later: other, later + len(other) + 5 * SECTOR: other}
    image = plant(tmp_path / "img.raw", later + 2 * len(other) + 20 * SECTOR, parts)
    items = {i.offset: i for i in run_carve(image, types=["jpg"])}
    assert not items[start].complete and len(items[start].runs) == 1
    assert content(image, items[start]) == first[: items[start].valid_length]
    assert content(image, items[later]) == other


@pytest.mark.parametrize("seed", range(8))
def test_cut_picture_keeps_none_of_what_overwrote_it(tmp_path: Path, seed: int):
    """A picture overwritten from a sector on: its partial prefix ends on a sector boundary
    at or before the seam, even when the bytes after the seam go on decoding for a while."""
    data = encode(photo(392, 358, seed), "JPEG", quality=80 + seed)
    kept = len(data) * 2 // 3 // SECTOR * SECTOR
    image = plant(
        tmp_path / "img.raw", 4 * SECTOR + len(data) + 8192, {4 * SECTOR: data[:kept]}, seed
    )
    item = {i.offset: i for i in run_carve(image, types=["jpg"])}[4 * SECTOR]
    assert not item.complete and len(item.runs) == 1
    assert kept - SECTOR <= item.valid_length <= kept
    assert content(image, item) == data[: item.valid_length]


@pytest.mark.parametrize(("workers", "chunk_size"), [(1, 8 << 20), (2, 32768)])
@pytest.mark.parametrize("fraction", [0.3, 0.5])
def test_one_end_marker_one_file(tmp_path: Path, workers: int, chunk_size: int, fraction: float):
    """A cut picture followed by a two-fragment one of the same size and quality (same
    tables and MCU count, as one camera's photos are): the cut one's head decodes on from a
    sector inside the other's last fragment to its EOI. That fragment is the other's; the cut
    picture is its valid prefix, and no two files end at the same byte."""
    cut = encode(photo(392, 358, seed=0), "JPEG", quality=71)
    split = encode(photo(392, 358, seed=1000), "JPEG", quality=71)
    start, kept = 4096, len(cut) // 2 // SECTOR * SECTOR
    split_start = start + kept + 4 * 4096 - (start + kept) % 4096
    first = int(len(split) * fraction) // 4096 * 4096
    cont = split_start + first + 10 * 4096
    parts = {start: cut[:kept], split_start: split[:first], cont: split[first:]}
    image = plant(tmp_path / "img.raw", cont + len(split) + 20 * 4096, parts, seed=0)
    items = run_carve(image, types=["jpg"], workers=workers, chunk_size=chunk_size)
    by_offset = {i.offset: i for i in items}
    assert by_offset[split_start].runs == ((split_start, first), (cont, len(split) - first))
    assert content(image, by_offset[split_start]) == split
    assert not by_offset[start].complete and len(by_offset[start].runs) == 1
    assert content(image, by_offset[start]) == cut[: by_offset[start].valid_length]
    ends = [i.runs[-1][0] + i.runs[-1][1] for i in items]
    assert len(ends) == len(set(ends))


def test_seam_median_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    for size in range(1, 40):
        values = rng.random(size) * 255
        assert _median(values) == float(np.median(values))


def test_sois_before_finds_the_last_markers_across_blocks() -> None:
    """Backwards block reads find what one rfind over the whole range finds, markers across a
    block boundary included."""
    size = 300_000  # markers across the first block boundaries back from the end, too
    data = bytearray(random_bytes(size, seed=5).replace(b"\xff", b"\x00"))
    for at in (10, 70_000, size - OWNER_BLOCK - 1, size - 2 * OWNER_BLOCK - 2, 250_000, 299_997):
        data[at : at + 3] = b"\xff\xd8\xff"
    window = Window(_BytesReader(bytes(data)), 0, len(data))
    for lo, hi in ((0, len(data)), (11, 299_999), (70_001, 250_002)):
        expected, pos = [], hi - lo
        while (pos := bytes(data[lo:hi]).rfind(b"\xff\xd8\xff", 0, pos)) >= 0:
            expected.append(lo + pos)
        assert list(_sois_before(window, lo, hi)) == expected


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


def _reference_continuations(window: Window, split: int) -> list[tuple[int, int]]:
    """What `_continuations` finds, one marker search per sector start."""
    lo, hi = split + SECTOR, min(window.end, split + jpeg_fragments.MAX_GAP)
    out = []
    for start in range(lo, hi, SECTOR):
        marker = find_scan_end(window, start)
        sector = window.read(start, SECTOR)
        if window.read(marker + 1, 1) == b"\xd9" and sector != bytes(len(sector)):
            out.append((start, marker))
    return out


@pytest.mark.parametrize(
    "layout",
    [
        "eoi-beyond-lookahead",
        "other-marker-beyond-lookahead",
        "zeros-then-eoi",
        "markers-inside",
        "eoi-at-window-end",
        "fill-bytes-at-the-boundary",
    ],
)
def test_continuations_match_one_search_per_sector(monkeypatch, layout: str) -> None:
    """Sector starts with no marker in the data read share one search beyond it: the same
    (start, EOI) pairs as searching from every sector start."""
    monkeypatch.setattr(jpeg_fragments, "MAX_GAP", 64 << 10)
    monkeypatch.setattr(jpeg_fragments, "LOOKAHEAD", 8 << 10)
    size = (64 << 10) + (8 << 10) + 20_000
    data = bytearray(random_bytes(size, seed=3).replace(b"\xff", b"\x11"))
    read_end = SECTOR + (64 << 10) - SECTOR + (8 << 10)  # split 0: lo + hi - lo + LOOKAHEAD
    if layout == "eoi-beyond-lookahead":
        data[read_end + 5_000 : read_end + 5_002] = b"\xff\xd9"
    elif layout == "other-marker-beyond-lookahead":
        data[read_end + 5_000 : read_end + 5_002] = b"\xff\xc4"
    elif layout == "zeros-then-eoi":
        data[40_000:] = bytes(size - 40_000)
        data[-3:-1] = b"\xff\xd9"
    elif layout == "markers-inside":
        for at, code in ((3_000, 0xD9), (20_000, 0xDA), (33_333, 0xD9), (read_end + 100, 0xD9)):
            data[at : at + 2] = bytes([0xFF, code])
    elif layout == "eoi-at-window-end":
        data[-2:] = b"\xff\xd9"
    else:  # a fill run straddling the end of the data read, then EOI
        data[read_end - 3 : read_end + 2] = b"\xff\xff\xff\xff\xd9"
    window = Window(_BytesReader(bytes(data)), 0, len(data))
    expected = _reference_continuations(window, 0)
    assert jpeg_fragments._continuations(window, 0) == expected
    assert expected or layout == "other-marker-beyond-lookahead"


def test_free_space_after_a_broken_jpeg_is_searched_once(monkeypatch) -> None:
    """A cut JPEG followed by megabytes of zeros (free space on a FAT volume): the gap's
    8,192 sector starts have no marker in the data read, and the search beyond it is done
    once, not once per sector (that took 229 s on a 33 MiB fuzzed FAT32 image)."""
    calls = []

    def counted(window: Window, pos: int) -> int:
        calls.append(pos)
        return find_scan_end(window, pos)

    monkeypatch.setattr(jpeg_fragments, "find_scan_end", counted)
    data = bytes(12 << 20)
    window = Window(_BytesReader(data), 0, len(data))
    assert jpeg_fragments._continuations(window, 4096) == []
    assert len(calls) == 1
