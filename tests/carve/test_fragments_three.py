"""JPEGs in three pieces, in any order on disk, with random bytes between them: with
`three_pieces` the two-piece search applied again once finds all three, byte-exact;
without it the head stays its valid prefix."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from .conftest import content, encode, photo, run_carve

SECTOR = 512
BASE = 64 * 1024

ORDERS = {"forward": (0, 1, 2), "last first": (2, 0, 1), "middle first": (1, 2, 0)}


def three_disk(path: Path, data: bytes, cuts: tuple[int, int], order: str, gap: int) -> list[int]:
    """A disk of random bytes holding `data` cut at `cuts`, its pieces laid out in `order`
    with `gap` bytes of random data between them; the pieces' offsets, in file order."""
    pieces = [data[: cuts[0]], data[cuts[0] : cuts[1]], data[cuts[1] :]]
    offsets = [0, 0, 0]
    cursor = BASE
    for index in ORDERS[order]:
        offsets[index] = cursor
        cursor = -(-(cursor + len(pieces[index]) + gap) // SECTOR) * SECTOR
    disk = bytearray(random.Random(len(data) + gap).randbytes(cursor + BASE))
    for offset, piece in zip(offsets, pieces, strict=True):
        disk[offset : offset + len(piece)] = piece
    path.write_bytes(bytes(disk))
    return offsets


@pytest.fixture(scope="module")
def picture() -> bytes:
    return encode(photo(640, 480, seed=41), "JPEG", quality=88)


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize(("first", "second", "gap"), [(0.3, 0.6, 40 * SECTOR), (0.5, 0.9, 3 << 20)])
def test_jpeg_in_three_pieces(
    tmp_path: Path, picture: bytes, order: str, first: float, second: float, gap: int
):
    cuts = (
        int(len(picture) * first) // SECTOR * SECTOR,
        int(len(picture) * second) // SECTOR * SECTOR,
    )
    path = tmp_path / "disk.raw"
    offsets = three_disk(path, picture, cuts, order, gap)
    found = [item for item in run_carve(path, three_pieces=True) if item.offset == offsets[0]]
    assert len(found) == 1 and found[0].complete
    lengths = (cuts[0], cuts[1] - cuts[0], len(picture) - cuts[1])
    assert found[0].runs == tuple(zip(offsets, lengths, strict=True))
    assert content(path, found[0]) == picture


def test_two_pieces_of_three_are_partial(tmp_path: Path, picture: bytes):
    """The middle piece overwritten: the head is reported as its valid prefix, never
    joined with the last piece."""
    cuts = (len(picture) // 3 // SECTOR * SECTOR, 2 * len(picture) // 3 // SECTOR * SECTOR)
    path = tmp_path / "disk.raw"
    offsets = three_disk(path, picture, cuts, "forward", 40 * SECTOR)
    disk = bytearray(path.read_bytes())
    disk[offsets[1] : offsets[1] + cuts[1] - cuts[0]] = random.Random(9).randbytes(
        cuts[1] - cuts[0]
    )
    path.write_bytes(bytes(disk))
    found = [item for item in run_carve(path, three_pieces=True) if item.offset == offsets[0]]
    assert len(found) == 1 and not found[0].complete
    assert content(path, found[0]) == picture[: found[0].valid_length]
    assert found[0].valid_length <= cuts[0]


def test_three_pieces_are_looked_for_only_when_asked(tmp_path: Path, picture: bytes):
    cuts = (len(picture) // 3 // SECTOR * SECTOR, 2 * len(picture) // 3 // SECTOR * SECTOR)
    path = tmp_path / "disk.raw"
    offsets = three_disk(path, picture, cuts, "forward", 40 * SECTOR)
    found = [item for item in run_carve(path) if item.offset == offsets[0]]
    assert len(found) == 1 and not found[0].complete and found[0].valid_length <= cuts[0]
