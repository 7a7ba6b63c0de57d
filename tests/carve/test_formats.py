"""Every format family: planted at odd offsets in random data, recovered byte-exact."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from .conftest import content, plant, run_carve

PICTURES = ["jpg", "jpg-progressive", "jpg-restart", "jpg-gray", "jpg-exif", "png", "gif", "bmp",
            "webp", "tiff"]  # fmt: skip
KIND = {name: name.split("-")[0] for name in PICTURES}


def _by_offset(items: list) -> dict:
    return {item.offset: item for item in items}


@pytest.mark.parametrize("name", PICTURES)
def test_picture_found_exact_at_odd_offset(tmp_path: Path, media: dict[str, bytes], name: str):
    data = media[name]
    image = plant(tmp_path / "img.raw", 1 << 20, {12345: data})
    items = _by_offset(run_carve(image))
    item = items[12345]
    assert (item.kind, item.complete, item.valid_length) == (KIND[name], True, len(data))
    assert content(image, item) == data


@pytest.mark.parametrize("kind", ["mp4", "mov", "3gp", "avi", "mkv", "webm"])
def test_video_found_exact(tmp_path: Path, clips: dict[str, bytes], kind: str):
    if kind not in clips:
        pytest.skip(f"ffmpeg cannot make {kind} here")
    data = clips[kind]
    image = plant(tmp_path / "img.raw", len(data) + 300_000, {99_991: data})
    item = _by_offset(run_carve(image))[99_991]
    assert (item.kind, item.complete) == (kind, True)
    assert content(image, item) == data


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def test_heic_structure(tmp_path: Path):
    heic = (
        _box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")
        + _box(b"meta", b"\x00" * 4 + _box(b"hdlr", b"\x00" * 8 + b"pict" + b"\x00" * 13))
        + _box(b"mdat", bytes(range(200)))
    )
    image = plant(tmp_path / "img.raw", 100_000, {5003: heic})
    item = _by_offset(run_carve(image))[5003]
    assert (item.kind, item.complete, content(image, item)) == ("heic", True, heic)


@pytest.mark.parametrize("name", ["jpg", "png", "gif", "webp", "tiff", "bmp"])
def test_truncated_picture_is_partial_valid_prefix(
    tmp_path: Path, media: dict[str, bytes], name: str
):
    data = media[name]
    cut = len(data) * 2 // 3
    image = plant(tmp_path / "img.raw", 50_000 + cut, {50_000: data[:cut]})
    items = _by_offset(run_carve(image))
    item = items[50_000]
    assert not item.complete
    assert 0 < item.valid_length <= cut
    assert content(image, item) == data[: item.valid_length]


def test_jpeg_overwritten_by_next_file_is_partial(tmp_path: Path, media: dict[str, bytes]):
    first, second = media["jpg"], media["png"]
    cut = 8192
    image = plant(tmp_path / "img.raw", 400_000, {4096: first[:cut], 4096 + cut: second})
    items = _by_offset(run_carve(image))
    jpg, png = items[4096], items[4096 + cut]
    assert not jpg.complete and jpg.valid_length <= cut
    assert content(image, jpg) == first[: jpg.valid_length]
    assert png.complete and content(image, png) == second


def test_exif_thumbnail_is_carved_too(tmp_path: Path, media: dict[str, bytes]):
    thumb = media["jpg-gray"]
    app1 = b"Exif\x00\x00" + b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00" + thumb
    outer = media["jpg"]
    framed = outer[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + outer[2:]
    image = plant(tmp_path / "img.raw", 200_000, {777: framed})
    items = _by_offset(run_carve(image))
    assert content(image, items[777]) == framed
    inner = 777 + framed.index(thumb)
    assert content(image, items[inner]) == thumb


def test_surrounded_by_other_headers(tmp_path: Path, media: dict[str, bytes]):
    decoys = b"\xff\xd8\xff\xe0" + b"\x89PNG\r\n\x1a\n" + b"GIF89a" + b"BM" + b"RIFF" + b"II*\x00"
    parts = {1000: decoys, 1000 + len(decoys): media["png"]}
    end = 1000 + len(decoys) + len(media["png"])
    parts[end] = decoys + b"\x00\x00\x00\x18ftypmp42" + b"\x1a\x45\xdf\xa3"
    image = plant(tmp_path / "img.raw", end + 10_000, parts)
    items = run_carve(image)
    assert [(i.offset, i.kind) for i in items] == [(1000 + len(decoys), "png")]
    assert content(image, items[0]) == media["png"]


def test_types_filter(tmp_path: Path, media: dict[str, bytes]):
    image = plant(tmp_path / "img.raw", 500_000, {100: media["png"], 300_000: media["gif"]})
    assert [i.kind for i in run_carve(image, types=["gif"])] == ["gif"]


def test_unknown_type_is_an_error(tmp_path: Path):
    image = plant(tmp_path / "img.raw", 10_000, {})
    with pytest.raises(ValueError, match="unknown file types"):
        run_carve(image, types=["jpg", "exe"])


def _riff_header() -> bytes:
    """A WebP RIFF header whose VP8 chunk claims 1 GiB: it runs past any small image."""
    return b"RIFF" + (1 << 30).to_bytes(4, "little") + b"WEBPVP8 " + (1 << 30).to_bytes(4, "little")


def _bmp_header() -> bytes:
    """A sane header of a 4000 x 3000 24-bit BMP (36 MB), no pixel data after it."""
    size = 54 + 12000 * 3000
    return (
        b"BM" + struct.pack("<IIII", size, 0, 54, 40) + struct.pack("<iiHHI", 4000, 3000, 1, 24, 0)
    )


@pytest.mark.parametrize("kind, header", [("webp", _riff_header()), ("bmp", _bmp_header())])
def test_run_of_headers_pointing_past_the_end(tmp_path: Path, kind: str, header: bytes):
    """Headers every 512 bytes whose sizes all point past the end of the image (damaged or
    hostile media): each file runs to the next header of its kind, the last one to the end,
    so the output is the image once, not once per header (quadratic before)."""
    size, step = 64 << 10, 512
    image = plant(tmp_path / "img.raw", size, {at: header for at in range(0, size, step)})
    items = [i for i in run_carve(image, types=[kind], chunk_size=16 << 10)]
    assert [i.offset for i in items] == list(range(0, size, step))
    assert all(not i.complete and len(i.runs) == 1 for i in items)
    assert [i.runs[0][1] for i in items] == [step] * len(items)
    assert sum(i.valid_length for i in items) == size


def test_truncated_file_at_the_end_still_runs_to_the_end(tmp_path: Path):
    """One header pointing past the end, no other after it: the bytes up to the end are
    still reported (cut short by the end of the image, as before)."""
    image = plant(tmp_path / "img.raw", 40_000, {1024: _riff_header()})
    (item,) = run_carve(image, types=["webp"])
    assert item.runs == ((1024, 40_000 - 1024),) and not item.complete
