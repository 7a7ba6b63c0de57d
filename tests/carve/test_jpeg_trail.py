"""A Trail shares the work of decodes that end at the same place: on real JPEGs split in
two, every (head, continuation start) pair the fragment search would try gives exactly the
result of a plain check, while the trail remembers fewer MCU starts than separate decodes
would (later decodes join earlier paths)."""

from __future__ import annotations

import random

import pytest
from scanner.carve._jpeg_entropy import Trail

from scanner.carve.jpeg_huffman import Decoded, HuffmanCheck
from scanner.carve.jpeg_structure import walk
from scanner.carve.window import Window

from .conftest import SHARED, BytesReader, encode, photo

SECTOR = 512


def _pictures() -> dict[str, bytes]:
    out = {
        "color": encode(photo(640, 480, 11), "JPEG", quality=85),
        "444": encode(photo(400, 300, 12), "JPEG", quality=95, subsampling=0),
        "gray": encode(photo(480, 320, 13).convert("L"), "JPEG", quality=70),
        "optimized": encode(photo(512, 384, 14), "JPEG", quality=75, optimize=True),
        "restart": encode(photo(320, 240, 15), "JPEG", quality=90, restart_marker_blocks=4),
    }
    shared = sorted((SHARED / "deepfakes").rglob("*.jpg")) if SHARED.exists() else []
    baseline = [path for path in shared if _checker(path.read_bytes()) is not None]
    for path in baseline[:3]:  # real camera and web JPEGs, where present
        out[f"shared-{path.name}"] = path.read_bytes()
    return out


def _checker(data: bytes) -> HuffmanCheck | None:
    result = walk(Window(BytesReader(data), 0, len(data)), 0)
    return None if result is None else HuffmanCheck.for_layout(result.layout)


PICTURES = _pictures()


def _plain(check: HuffmanCheck, raw: bytes, bit: int, mcu: int) -> Decoded:
    return check.check(raw, bit, mcu)


def _trials(data: bytes, rng: random.Random) -> tuple[HuffmanCheck, bytes, list[tuple]]:
    """The checker, a disk (the file split at a sector, the tail after a gap of random
    bytes, other data and the file's own sectors), and (head, bit, mcu, cont) trials: the
    heads of several splits, continuation starts around the real one."""
    result = walk(Window(BytesReader(data), 0, len(data)), 0)
    assert result is not None
    check = HuffmanCheck.for_layout(result.layout)
    assert check is not None
    scan = result.layout.scan_start
    _, points = check.check_points(data[scan:])
    split = scan + (len(data) - scan) * rng.uniform(0.2, 0.7) // SECTOR * SECTOR
    split = int(max(split, -(-scan // SECTOR) * SECTOR + SECTOR))
    gap = rng.randbytes(SECTOR * rng.randrange(1, 6)) + data[scan : scan + SECTOR * 2]
    disk = gap + data[split:]
    cont = len(gap)  # where the tail starts on the disk
    trials = []
    for back in range(4):  # the real split and sectors before it
        at = split - back * SECTOR
        cp = points.last_before(at - scan)
        if cp is None:
            continue
        head = data[scan + cp.raw : at]
        for shift in range(-(len(gap) // SECTOR), 4):
            trials.append((head, cp.bit, cp.mcu, cont + shift * SECTOR))
    rng.shuffle(trials)
    return check, disk, trials


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_trail_gives_the_plain_check_result(name: str):
    rng = random.Random(name)
    check, disk, trials = _trials(PICTURES[name], rng)
    trail = Trail(len(disk))
    alone = 0  # MCU starts separate trails would remember
    for head, bit, mcu, cont in trials:
        raw = head + disk[cont:]
        at = cont - len(head)
        expected = _plain(check, raw, bit, mcu)
        assert check.check_along(raw, bit, mcu, trail, at, cont) == expected
        own = Trail(len(disk))
        assert check.check_along(raw, bit, mcu, own, at, cont) == expected
        alone += own.size()
    if "restart" in name:  # restart intervals: several segments, no trail is kept
        assert trail.size() == 0
    else:
        assert 0 < trail.size() < alone / 3


def test_trail_on_mutated_continuations():
    """Continuations with random bytes inserted, cut short or with sectors of another
    picture's data; heads at every MCU start near the split."""
    rng = random.Random(7)
    data = PICTURES["color"]
    other = PICTURES["444"]
    result = walk(Window(BytesReader(data), 0, len(data)), 0)
    assert result is not None
    check = HuffmanCheck.for_layout(result.layout)
    assert check is not None
    scan = result.layout.scan_start
    _, points = check.check_points(data[scan:])
    for _ in range(30):
        split = rng.randrange(scan + 64, len(data) - 64)
        tail = data[split:]
        at = rng.randrange(0, len(tail))
        tail = tail[:at] + rng.choice([rng.randbytes(rng.randrange(1, 900)), other[at : at + 700]])
        tail += data[split + at :]
        disk = rng.randbytes(rng.randrange(0, 2000)) + tail
        trail = Trail(len(disk))
        rows = [row for row in points.rows.tolist() if row[0] < split - scan][-40:]
        for raw_at, bit, mcu in rng.sample(rows, min(12, len(rows))):
            head = data[scan + raw_at : split]
            for cont in rng.sample(range(len(disk)), 8):
                raw = head + disk[cont:]
                got = check.check_along(raw, bit, mcu, trail, cont - len(head), cont)
                assert got == _plain(check, raw, bit, mcu)


def test_trail_refuses_a_wrong_buffer_or_decoder():
    check, _, _ = _trials(PICTURES["color"], random.Random(1))
    other, _, _ = _trials(PICTURES["gray"], random.Random(2))
    trail = Trail(1000)
    with pytest.raises(ValueError):
        check.check_along(bytes(10), 0, 0, trail, 0, 0)  # ends at 10, not 1000
    check.check_along(bytes(10), 0, 0, trail, 990, 990)
    with pytest.raises(ValueError):
        other.check_along(bytes(10), 0, 0, trail, 990, 990)  # another picture's decoder
