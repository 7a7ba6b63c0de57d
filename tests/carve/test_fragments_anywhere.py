"""Two-fragment JPEGs and PNGs in either order on disk, gaps from one sector to over 4 MiB,
with random bytes, zeros or another picture's bytes in the gap: recovered byte-exact."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from scanner.carve import Failure, png_pairs

from .conftest import content, encode, photo, run_carve

SECTOR = 512
BASE = 256 * 1024
GAPS = [SECTOR, 96 * 1024, (4 << 20) + 3 * SECTOR]
FILLERS = ["random", "zeros", "other picture"]


@pytest.fixture(scope="module")
def pictures() -> dict[str, bytes]:
    return {
        "jpg": encode(photo(640, 480, seed=21), "JPEG", quality=88),
        "jpg-restart": encode(
            photo(480, 320, seed=22), "JPEG", quality=80, restart_marker_blocks=8
        ),
        "png": encode(photo(400, 300, seed=23), "PNG"),
        "other": encode(photo(500, 400, seed=24), "JPEG", quality=88),
    }


def split_disk(
    path: Path, data: bytes, first: int, gap: int, reverse: bool, filler: bytes
) -> tuple[int, int]:
    """A disk of random bytes holding `data` in two pieces, `gap` bytes apart (the second
    piece first when `reverse`), the gap holding `filler` (repeated); (head, tail) offsets."""
    rest = len(data) - first
    if reverse:
        tail = BASE
        head = -(-(tail + rest + gap) // SECTOR) * SECTOR
        gap_at = tail + rest
    else:
        head = BASE
        tail = head + first + gap
        gap_at = head + first
    size = max(head + first, tail + rest) + BASE
    disk = bytearray(random.Random(len(data) + gap).randbytes(size))
    disk[gap_at : gap_at + gap] = (filler * (gap // len(filler) + 1))[:gap]
    disk[head : head + first] = data[:first]
    disk[tail : tail + rest] = data[first:]
    path.write_bytes(bytes(disk))
    return head, tail


def paired_on_two_workers(path: Path, data: bytes, first: int) -> int:
    """`data` split at `first`, reversed, 96 KiB of random bytes apart: paired on two
    workers as in this process, byte-exact; the head's offset."""
    gap = random.Random(6).randbytes(1 << 16)
    head, _ = split_disk(path, data, first, 96 * 1024, True, gap)
    here, there = run_carve(path), run_carve(path, workers=2)
    assert here == there
    (item,) = [item for item in there if item.offset == head]
    assert item.complete and content(path, item) == data
    return head


def _filler(name: str, pictures: dict[str, bytes]) -> bytes:
    if name == "zeros":
        return bytes(SECTOR)
    if name == "random":
        return random.Random(5).randbytes(1 << 16)
    return pictures["other"]


@pytest.mark.parametrize("filler", FILLERS)
@pytest.mark.parametrize("gap", GAPS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reversed"])
@pytest.mark.parametrize("name", ["jpg", "jpg-restart", "png"])
def test_two_fragments_any_order_and_gap(
    tmp_path: Path,
    pictures: dict[str, bytes],
    name: str,
    reverse: bool,
    gap: int,
    filler: str,
):
    data = pictures[name]
    first = len(data) * 2 // 5 // SECTOR * SECTOR
    path = tmp_path / "disk.raw"
    head, tail = split_disk(path, data, first, gap, reverse, _filler(filler, pictures))
    found = [item for item in run_carve(path) if item.offset == head]
    assert len(found) == 1
    item = found[0]
    assert item.complete and item.runs == ((head, first), (tail, len(data) - first))
    assert content(path, item) == data


@pytest.mark.parametrize("first", [2 * SECTOR, 7 * SECTOR])  # a JPEG header needs two
@pytest.mark.parametrize("name", ["jpg", "png"])
def test_small_first_fragment_reversed(
    tmp_path: Path, pictures: dict[str, bytes], name: str, first: int
):
    data = pictures[name]
    path = tmp_path / "disk.raw"
    head, _ = split_disk(path, data, first, 64 * 1024, True, _filler("random", pictures))
    item = next(item for item in run_carve(path) if item.offset == head)
    assert item.complete and content(path, item) == data


def test_a_lone_tail_is_not_joined_to_another_picture(tmp_path: Path, pictures: dict[str, bytes]):
    """A truncated JPEG next to the tail of a different picture stays partial."""
    data, other = pictures["jpg"], pictures["other"]
    cut = len(data) // 2 // SECTOR * SECTOR
    disk = bytearray(random.Random(9).randbytes(3 << 20))
    disk[BASE : BASE + len(other) // 2] = other[len(other) - len(other) // 2 :]
    disk[1 << 20 : (1 << 20) + cut] = data[:cut]
    path = tmp_path / "disk.raw"
    path.write_bytes(bytes(disk))
    item = next(item for item in run_carve(path) if item.offset == 1 << 20)
    assert not item.complete and content(path, item) == data[: item.valid_length]


def test_pairing_on_two_workers_and_a_bug_in_it_reported(
    tmp_path: Path, pictures: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
):
    """Reversed pieces paired in worker processes, as in this one; a programming error in
    the pairing raises, or with `on_error` is reported and leaves the valid prefix."""
    data = pictures["png"]
    path = tmp_path / "disk.raw"
    head = paired_on_two_workers(path, data, len(data) * 2 // 5 // SECTOR * SECTOR)

    def bug(*args: object) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(png_pairs, "pair_anywhere", bug)
    with pytest.raises(ValueError, match="a bug"):
        run_carve(path)
    failures: list[Failure] = []
    items = run_carve(path, on_error=lambda failure, extent: failures.append(failure))
    (item,) = [item for item in items if item.offset == head]
    assert not item.complete and content(path, item) == data[: item.valid_length]
    assert [(f.carver, f.offset, f.error) for f in failures] == [
        ("png pairing", head, "ValueError('a bug')")
    ]
