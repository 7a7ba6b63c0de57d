"""The cases the varied benchmark disks missed: JPEGs cut inside their header, large JPEGs
split in reverse order, a truncated JPEG that could take another file's last fragment,
and GIFs whose sub-block chain runs on through a gap of random bytes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from .conftest import content, encode, photo, run_carve
from .test_fragments_anywhere import split_disk

SECTOR = 512


@pytest.fixture(scope="module")
def pictures() -> dict[str, bytes]:
    return {
        "small": encode(photo(480, 360, seed=31), "JPEG", quality=85),
        "other": encode(photo(520, 400, seed=32), "JPEG", quality=85),
        "large": encode(photo(2400, 1800, seed=33), "JPEG", quality=92),
        "gif": encode(photo(400, 300, seed=34).convert("P"), "GIF"),
    }


def _random(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reversed"])
@pytest.mark.parametrize("gap", [8 * SECTOR, 300 * 1024])
def test_jpeg_cut_in_its_header(
    tmp_path: Path, pictures: dict[str, bytes], reverse: bool, gap: int
):
    """A first piece of one sector holds only SOI and part of the tables: the rest of the
    header, the scan and EOI are found in the other piece."""
    data = pictures["small"]
    path = tmp_path / "disk.raw"
    head, tail = split_disk(path, data, SECTOR, gap, reverse, _random(1 << 16, 3))
    found = [item for item in run_carve(path) if item.offset == head]
    assert len(found) == 1 and found[0].complete
    assert found[0].runs == ((head, SECTOR), (tail, len(data) - SECTOR))
    assert content(path, found[0]) == data


def test_a_header_alone_is_not_reported(tmp_path: Path, pictures: dict[str, bytes]):
    """One sector of a JPEG header whose rest is gone is no picture: nothing is carved."""
    disk = bytearray(_random(1 << 20, 4))
    disk[64 * SECTOR : 65 * SECTOR] = pictures["small"][:SECTOR]
    path = tmp_path / "disk.raw"
    path.write_bytes(bytes(disk))
    assert [item.offset for item in run_carve(path)] == []


@pytest.mark.parametrize("first_part", [0.4, 0.8])
def test_large_jpeg_reversed(tmp_path: Path, pictures: dict[str, bytes], first_part: float):
    """A camera-sized JPEG whose second piece lies first on disk: the split with foreign
    bytes at its end must not use up the trials before the right one is tried."""
    data = pictures["large"]
    assert len(data) > 2 << 20
    first = int(len(data) * first_part) // SECTOR * SECTOR
    path = tmp_path / "disk.raw"
    head, tail = split_disk(path, data, first, 20 * 1024 + 3 * SECTOR, True, _random(1 << 16, 5))
    item = next(item for item in run_carve(path) if item.offset == head)
    assert item.complete and item.runs == ((head, first), (tail, len(data) - first))
    assert content(path, item) == data


def test_a_truncated_jpeg_does_not_take_another_files_tail(
    tmp_path: Path, pictures: dict[str, bytes]
):
    """A truncated picture with the same tables before a fragmented one, both able to
    decode into the fragmented one's last piece: the piece goes to its own head."""
    small, other = pictures["small"], pictures["other"]
    cut = len(small) // 2 // SECTOR * SECTOR
    first = len(other) // 3 // SECTOR * SECTOR
    disk = bytearray(_random(4 << 20, 6))
    tail_at, head_at, lone_at = 1 << 20, 2 << 20, 3 << 20
    disk[tail_at : tail_at + len(other) - first] = other[first:]
    disk[head_at : head_at + first] = other[:first]
    disk[lone_at : lone_at + cut] = small[:cut]
    path = tmp_path / "disk.raw"
    path.write_bytes(bytes(disk))
    found = {item.offset: item for item in run_carve(path)}
    assert found[head_at].complete and content(path, found[head_at]) == other
    lone = found[lone_at]
    assert not lone.complete and content(path, lone) == small[: lone.valid_length]


@pytest.mark.parametrize("first_part", [0.05, 0.5])
def test_gif_with_random_bytes_inside_is_reassembled_without_them(
    tmp_path: Path, pictures: dict[str, bytes], first_part: float
):
    """A GIF whose second piece lies after a gap of random bytes: its sub-block chain can
    run through the gap, but the LZW data cannot; the two pieces are joined without the
    gap (gif_pairs), byte-exact."""
    data = pictures["gif"]
    first = int(len(data) * first_part) // SECTOR * SECTOR
    for seed in range(6):
        path = tmp_path / f"disk{seed}.raw"
        head, tail = split_disk(path, data, first, 17 * SECTOR, False, _random(1 << 16, seed))
        found = [item for item in run_carve(path, types=["gif"]) if item.offset == head]
        assert len(found) == 1 and found[0].complete
        assert found[0].runs == ((head, first), (tail, len(data) - first))
        assert content(path, found[0]) == data


def test_whole_gif_still_complete(tmp_path: Path, pictures: dict[str, bytes]):
    data = pictures["gif"]
    disk = bytearray(_random(1 << 20, 8))
    disk[4096 + 77 : 4096 + 77 + len(data)] = data
    path = tmp_path / "disk.raw"
    path.write_bytes(bytes(disk))
    found = run_carve(path, types=["gif"])
    assert [(item.offset, item.complete) for item in found] == [(4096 + 77, True)]
    assert content(path, found[0]) == data


@pytest.mark.parametrize(
    ("seed", "size", "quality", "first"),
    [(3, (992, 464), 85, 139776), (7, (640, 480), 90, 137216), (11, (1200, 800), 88, 331776)],
)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reversed"])
def test_jpeg_whose_rest_also_decodes_a_sector_short(
    tmp_path: Path, seed: int, size: tuple[int, int], quality: int, first: int, reverse: bool
):
    """Pictures where the rest without its first sector still decodes cleanly to every MCU
    (the decoder falls back in step) with a smoother seam than the right pair (found by
    trying splits of these pictures): the continuation that starts first is the file's,
    not the one a sector on."""
    data = encode(photo(*size, seed=seed), "JPEG", quality=quality)
    path = tmp_path / "disk.raw"
    head, tail = split_disk(path, data, first, 64 * SECTOR, reverse, _random(1 << 16, 5))
    found = [item for item in run_carve(path) if item.offset == head]
    assert len(found) == 1 and found[0].complete
    assert found[0].runs == ((head, first), (tail, len(data) - first))
    assert content(path, found[0]) == data
