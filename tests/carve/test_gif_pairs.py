"""Two-fragment GIFs (Pillow's, one with a local colour table and GIF89a extensions) in
either order, split at sector boundaries from two sectors to all but the last, gaps from
one sector to over 4 MiB holding random bytes, zeros or another picture's bytes:
recovered byte-exact; a GIF without its tail stays its valid prefix."""

from __future__ import annotations

import io
import random
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from scanner.carve import gif_pairs

from .conftest import content, encode, photo, run_carve
from .test_fragments_anywhere import BASE, SECTOR, paired_on_two_workers, split_disk

GAPS = [SECTOR, 96 * 1024, (4 << 20) + 3 * SECTOR]
FILLERS = ["random", "zeros", "other picture"]


def local_table(data: bytes) -> bytes:
    """`data` (a Pillow GIF with a global colour table and one image) with that table
    moved into the image as a local one, and a comment extension before it (GIF89a)."""
    flags = data[10]
    table = 3 << ((flags & 7) + 1)
    image = 13 + table
    while data[image] == 0x21:  # Pillow's extensions, kept as they are
        pos = image + 2
        while data[pos]:
            pos += data[pos] + 1
        image = pos + 1
    assert data[image] == 0x2C
    descriptor = bytearray(data[image : image + 10])
    descriptor[9] = 0x80 | (flags & 7)
    comment = b"\x21\xfe\x0bfragmented!\x00"
    return b"".join(
        [
            b"GIF89a",
            data[6:10],
            bytes([flags & 0x70]),
            data[11:13],
            data[13 + table : image],
            comment,
            bytes(descriptor),
            data[13 : 13 + table],
            data[image + 10 :],
        ]
    )


@pytest.fixture(scope="module")
def pictures() -> dict[str, bytes]:
    gifs = {
        "small": encode(photo(160, 120, seed=41).convert("P"), "GIF"),
        "medium": encode(photo(400, 300, seed=42).convert("P"), "GIF"),
        "large": encode(photo(900, 640, seed=43).convert("P"), "GIF"),
        "local-table": local_table(encode(photo(320, 200, seed=44).convert("P"), "GIF")),
        "other": encode(photo(300, 260, seed=45).convert("P"), "GIF"),
    }
    for data in gifs.values():  # real GIFs: Pillow decodes each one to the end
        Image.open(io.BytesIO(data)).load()
    return gifs


def _filler(name: str, pictures: dict[str, bytes]) -> bytes:
    if name == "zeros":
        return bytes(SECTOR)
    if name == "random":
        return random.Random(6).randbytes(1 << 16)
    return pictures["other"]


def _paired(path: Path, data: bytes, head: int, tail: int, first: int) -> None:
    found = [item for item in run_carve(path) if item.offset == head]
    assert len(found) == 1
    item = found[0]
    assert item.complete and item.runs == ((head, first), (tail, len(data) - first))
    assert content(path, item) == data


@pytest.mark.parametrize("filler", FILLERS)
@pytest.mark.parametrize("gap", GAPS)
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reversed"])
@pytest.mark.parametrize("name", ["small", "medium", "large", "local-table"])
def test_two_fragments_any_order_and_gap(
    tmp_path: Path, pictures: dict[str, bytes], name: str, reverse: bool, gap: int, filler: str
):
    data = pictures[name]
    first = len(data) * 3 // 7 // SECTOR * SECTOR
    path = tmp_path / "disk.raw"
    head, tail = split_disk(path, data, first, gap, reverse, _filler(filler, pictures))
    _paired(path, data, head, tail, first)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reversed"])
@pytest.mark.parametrize("piece", [2, 3, 7, 33, 100, -1])
def test_first_pieces_from_two_sectors_to_all_but_the_last(
    tmp_path: Path, pictures: dict[str, bytes], piece: int, reverse: bool
):
    """Split just after the colour table and the image's first bytes, at odd sector
    counts, and where the tail is only the last few bytes and the trailer."""
    data = pictures["medium"]
    first = (len(data) - 1) // SECTOR * SECTOR if piece < 0 else piece * SECTOR
    path = tmp_path / "disk.raw"
    head, tail = split_disk(path, data, first, 64 * 1024, reverse, _filler("random", pictures))
    _paired(path, data, head, tail, first)


def test_a_gif_without_its_tail_stays_its_prefix(tmp_path: Path, pictures: dict[str, bytes]):
    data = pictures["medium"]
    first = len(data) // 2 // SECTOR * SECTOR
    disk = bytearray(random.Random(11).randbytes(8 << 20))
    disk[BASE : BASE + first] = data[:first]
    path = tmp_path / "disk.raw"
    path.write_bytes(bytes(disk))
    found = run_carve(path, types=["gif"])
    assert [(item.offset, item.complete) for item in found] == [(BASE, False)]
    assert 0 < found[0].valid_length <= first
    assert content(path, found[0]) == data[: found[0].valid_length]


def test_two_broken_gifs_near_one_tail(tmp_path: Path, pictures: dict[str, bytes]):
    """A shorter first piece of the same picture and first pieces of two others (one of
    the same size) around one tail: only the head the tail continues gets it, the others
    stay prefixes."""
    data = pictures["medium"]
    same_size = encode(photo(400, 300, seed=46).convert("P"), "GIF")
    first = len(data) // 3 // SECTOR * SECTOR
    disk = bytearray(random.Random(12).randbytes(4 << 20))
    tail, head = 1 << 20, 3 << 20
    heads = {
        BASE: (data, first - 8 * SECTOR),
        (2 << 20) + 5 * SECTOR: (pictures["local-table"], first),
        (2 << 20) + (256 << 10): (same_size, first),
        head: (data, first),
    }
    disk[tail : tail + len(data) - first] = data[first:]
    for offset, (picture, length) in heads.items():
        disk[offset : offset + length] = picture[:length]
    path = tmp_path / "disk.raw"
    path.write_bytes(bytes(disk))
    found = {item.offset: item for item in run_carve(path, types=["gif"])}
    assert sorted(found) == sorted(heads)
    assert found[head].complete and found[head].runs == ((head, first), (tail, len(data) - first))
    assert content(path, found[head]) == data
    for offset, (picture, _) in heads.items():
        if offset != head:
            assert not found[offset].complete
            assert content(path, found[offset]) == picture[: found[offset].valid_length]


def test_nothing_in_random_bytes(tmp_path: Path):
    """32 MiB of random bytes hold about 500 `00 3B` pairs and no GIF."""
    path = tmp_path / "random.raw"
    path.write_bytes(random.Random(13).randbytes(32 << 20))
    assert run_carve(path) == []


def test_pairing_on_two_workers(tmp_path: Path, pictures: dict[str, bytes]):
    data = pictures["large"]
    paired_on_two_workers(tmp_path / "disk.raw", data, len(data) * 3 // 4 // SECTOR * SECTOR)


def test_a_tail_past_the_cap_is_not_looked_for(
    tmp_path: Path, pictures: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
):
    """The orphan ends looked at are capped: with a cap of one, the random bytes' `00 3B`
    nearer the head than the tail use it up, and the GIF stays its prefix."""
    data = pictures["medium"]
    first = len(data) // 2 // SECTOR * SECTOR
    path = tmp_path / "disk.raw"
    head, _ = split_disk(path, data, first, 4 << 20, False, _filler("random", pictures))
    monkeypatch.setattr(gif_pairs, "MAX_SEEN", 1)
    (item,) = [item for item in run_carve(path) if item.offset == head]
    assert not item.complete and content(path, item) == data[: item.valid_length]


def _frame_starts(data: bytes) -> list[int]:
    """Offsets of the image descriptors of a GIF (Pillow's blocks, walked)."""
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    starts = []
    while data[pos] != 0x3B:
        if data[pos] == 0x2C:
            starts.append(pos)
            local = data[pos + 9]
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
        else:
            pos += 2
        while data[pos]:
            pos += data[pos] + 1
        pos += 1
    return starts


@pytest.fixture(scope="module")
def animations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Animations by Pillow (frames of other pictures, local colour tables) and, where it
    is installed, by ffmpeg's own GIF encoder."""
    frames = [photo(360, 270, seed=60 + n).convert("P", palette=Image.ADAPTIVE) for n in range(5)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    made = {"pillow": out.getvalue()}
    clip = tmp_path_factory.mktemp("gif") / "clip.gif"
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=6", "-t", "2", str(clip)],
        capture_output=True,
    )  # fmt: skip
    if done.returncode == 0:
        made["ffmpeg"] = clip.read_bytes()
    for data in made.values():
        with Image.open(io.BytesIO(data)) as image:
            assert image.n_frames > 4
            for frame in range(image.n_frames):
                image.seek(frame)
                image.load()
    return made


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reversed"])
@pytest.mark.parametrize("frame", [0, 1, 2, -1])
@pytest.mark.parametrize("encoder", ["pillow", "ffmpeg"])
def test_animation_broken_in_any_frame(
    tmp_path: Path, animations: dict[str, bytes], encoder: str, frame: int, reverse: bool
):
    """The head breaks inside frame `frame`'s data: the tail's earlier frames are walked
    back over (descriptor, colour table, graphic control extension) to that frame."""
    if encoder not in animations:
        pytest.skip("ffmpeg is not installed")
    data = animations[encoder]
    starts = [*_frame_starts(data), len(data)]
    index = frame % (len(starts) - 1)
    middle = (starts[index] + starts[index + 1]) // 2 // SECTOR * SECTOR
    assert starts[index] + 20 < middle < starts[index + 1] - 20
    path = tmp_path / "disk.raw"
    head, tail = split_disk(
        path, data, middle, 200 * 1024, reverse, random.Random(9).randbytes(4096)
    )
    _paired(path, data, head, tail, middle)


def test_animation_head_does_not_take_another_animations_tail(
    tmp_path: Path, animations: dict[str, bytes]
):
    """Two animations of the same size and frame count: the head of one beside the tail
    of the other stays its prefix."""
    frames = [photo(360, 270, seed=80 + n).convert("P", palette=Image.ADAPTIVE) for n in range(5)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    ours, theirs = animations["pillow"], out.getvalue()
    cut = (_frame_starts(ours)[2] + 3 * SECTOR) // SECTOR * SECTOR
    other = (_frame_starts(theirs)[2] + 3 * SECTOR) // SECTOR * SECTOR
    disk = bytearray(random.Random(14).randbytes(4 << 20))
    disk[BASE : BASE + cut] = ours[:cut]
    disk[2 << 20 : (2 << 20) + len(theirs) - other] = theirs[other:]
    path = tmp_path / "disk.raw"
    path.write_bytes(bytes(disk))
    (item,) = [item for item in run_carve(path, types=["gif"]) if item.offset == BASE]
    assert not item.complete and content(path, item) == ours[: item.valid_length]
