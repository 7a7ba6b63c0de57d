"""A file whose size field spans foreign bytes is partial, never whole with garbage inside:
WebP (decoded picture), BMP (pixel rows), ISO-BMFF video (samples), with random bytes,
zeros or another picture's bytes where part of the file was."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from .conftest import content, encode, photo, plant, run_carve

BASE = 64 * 1024  # the file starts here, sector-aligned, as a file system places it


def _fillers(media: dict[str, bytes], size: int, seed: int) -> dict[str, bytes]:
    return {
        "random": random.Random(seed).randbytes(size),
        "zeros": bytes(size),
        "other picture": (media["png"] * 4)[1000 : 1000 + size],
    }


def _carve_with_gap(tmp_path: Path, data: bytes, gap: int, filler: bytes) -> tuple[Path, dict]:
    broken = data[:gap] + filler + data[gap + len(filler) :]
    image = plant(tmp_path / "img.raw", BASE + len(data) + 200_000, {BASE: broken})
    return image, {item.offset: item for item in run_carve(image)}


@pytest.fixture(scope="module")
def webp() -> bytes:
    return encode(photo(480, 360, seed=5), "WEBP", quality=80)


@pytest.fixture(scope="module")
def bmp() -> bytes:
    return encode(photo(200, 150, seed=6), "BMP")


@pytest.fixture(scope="module")
def tiff() -> bytes:
    return encode(photo(200, 150, seed=7), "TIFF")  # uncompressed RGB strips


@pytest.mark.parametrize("filler", ["random", "zeros", "other picture"])
@pytest.mark.parametrize("name", ["webp", "bmp", "tiff"])
def test_picture_with_foreign_sectors_inside_is_partial(
    tmp_path: Path,
    media: dict[str, bytes],
    webp: bytes,
    bmp: bytes,
    tiff: bytes,
    name: str,
    filler: str,
):
    if name != "webp" and filler == "zeros":
        pytest.skip("zeros spanning more than a pixel row look like black rows (a known limit)")
    data = {"webp": webp, "bmp": bmp, "tiff": tiff}[name]
    gap = len(data) // 2 // 4096 * 4096
    image, items = _carve_with_gap(tmp_path, data, gap, _fillers(media, 8192, 3)[filler])
    item = items[BASE]
    assert item.kind == name and not item.complete
    assert 0 < item.valid_length <= gap  # only bytes of the file itself
    assert content(image, item) == data[: item.valid_length]


@pytest.mark.parametrize("gap", [2048, 4096])
@pytest.mark.parametrize("name", ["bmp", "tiff"])
def test_picture_cut_a_few_sectors_in_is_partial(
    tmp_path: Path, bmp: bytes, tiff: bytes, name: str, gap: int
):
    """A first fragment of a few sectors, the rest of the span another file's bytes: the
    rows are judged from the first sector that has a row above it, not only after a base."""
    data = {"bmp": bmp, "tiff": tiff}[name]
    filler = random.Random(gap).randbytes(len(data) - gap)
    image, items = _carve_with_gap(tmp_path, data, gap, filler)
    item = items[BASE]
    assert item.kind == name and not item.complete
    assert 0 < item.valid_length <= gap  # only bytes of the file itself
    assert content(image, item) == data[: item.valid_length]


@pytest.mark.parametrize("name", ["webp", "bmp", "tiff"])
def test_whole_picture_stays_whole(tmp_path: Path, webp: bytes, bmp: bytes, tiff: bytes, name: str):
    data = {"webp": webp, "bmp": bmp, "tiff": tiff}[name]
    image = plant(tmp_path / "img.raw", BASE + len(data) + 100_000, {BASE: data})
    item = {item.offset: item for item in run_carve(image)}[BASE]
    assert item.complete and content(image, item) == data


@pytest.mark.parametrize("kind", ["mp4", "mov", "3gp"])
def test_video_whose_samples_hold_foreign_bytes_is_partial(
    tmp_path: Path, clips: dict[str, bytes], kind: str
):
    if kind not in clips:
        pytest.skip(f"ffmpeg cannot make {kind} here")
    data = clips[kind]
    gap = len(data) // 3 // 512 * 512  # over the starts of a few samples
    filler = random.Random(4).randbytes(min(8192, len(data) // 4 // 512 * 512))
    image, items = _carve_with_gap(tmp_path, data, gap, filler)
    item = items[BASE]
    assert item.kind == kind and not item.complete
    assert item.valid_length <= gap
    assert content(image, item) == data[: item.valid_length]
