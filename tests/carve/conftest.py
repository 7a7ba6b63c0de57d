"""Fixtures for carving tests: a raw-file reader, real media made with Pillow and ffmpeg."""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scanner.types import Extent, ExtentKind, Locator

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


class FileReader:
    """The smallest MediaReader: a raw file read with pread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.size = os.path.getsize(path)
        self._fd = os.open(path, os.O_RDONLY)

    def read(self, offset: int, length: int) -> bytes:
        return os.pread(self._fd, max(0, min(length, self.size - offset)), offset)


class BytesReader:
    """A MediaReader over bytes in memory."""

    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


def open_file(path: str) -> FileReader:
    return FileReader(path)


def whole(path: Path) -> Extent:
    size = path.stat().st_size
    return Extent(Locator((("raw", path.name),)), 0, size, ExtentKind.WHOLE_IMAGE)


def opener(path: Path) -> partial[FileReader]:
    return partial(open_file, str(path))


def photo(width: int = 320, height: int = 240, seed: int = 0) -> Image.Image:
    """A photo-like picture: smooth gradients plus noise, so it compresses like a real one."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // max(width, 1), y * 255 // max(height, 1), (x + y) % 256], -1)
    noise = rng.integers(0, 40, (height, width, 3))
    return Image.fromarray(((base + noise) % 256).astype(np.uint8))


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def make_media() -> dict[str, bytes]:
    """One real file per picture format, made with Pillow."""
    img = photo(seed=1)
    thumb = photo(80, 60, seed=2)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    return {
        "jpg": encode(img, "JPEG", quality=85),
        "jpg-progressive": encode(img, "JPEG", quality=80, progressive=True),
        "jpg-restart": encode(photo(200, 120, 3), "JPEG", quality=90, restart_marker_blocks=4),
        "jpg-gray": encode(photo(100, 90, 4).convert("L"), "JPEG", quality=70),
        "jpg-exif": encode(img, "JPEG", exif=exif.tobytes()),
        "jpg-other": encode(photo(seed=9), "JPEG", quality=85),
        "png": encode(img, "PNG"),
        "gif": encode(img.convert("P"), "GIF"),
        "bmp": encode(thumb, "BMP"),
        "webp": encode(img, "WEBP", quality=80),
        "tiff": encode(thumb, "TIFF"),
    }


def ffmpeg_clip(tmp: Path, name: str, args: list[str]) -> bytes | None:
    """A two-second test clip made by ffmpeg, or None when ffmpeg is missing or fails."""
    if shutil.which("ffmpeg") is None:
        return None
    out = tmp / name
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"]
    cmd += ["-t", "2", *args, str(out)]
    if subprocess.run(cmd, capture_output=True, check=False).returncode != 0:
        return None
    return out.read_bytes()


@pytest.fixture(scope="session")
def media() -> dict[str, bytes]:
    return make_media()


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("clips")
    specs = {
        "mp4": ("c.mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
        "mov": ("c.mov", ["-c:v", "mjpeg"]),
        "3gp": ("c.3gp", ["-c:v", "h263", "-s", "176x144"]),
        "avi": ("c.avi", ["-c:v", "mpeg4"]),
        "mkv": ("c.mkv", ["-c:v", "mpeg4"]),
        "webm": ("c.webm", ["-c:v", "libvpx", "-b:v", "200k"]),
    }
    out = {}
    for kind, (name, args) in specs.items():
        data = ffmpeg_clip(tmp, name, args)
        if data is not None:
            out[kind] = data
    return out


def random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def plant(path: Path, size: int, parts: dict[int, bytes], seed: int = 7) -> Path:
    """A raw image of random bytes with `parts` written at their offsets."""
    image = bytearray(random_bytes(size, seed))
    for offset, data in parts.items():
        image[offset : offset + len(data)] = data
    path.write_bytes(bytes(image[:size]))
    return path


def run_carve(path: Path, workers: int = 1, **options: object) -> list:
    """Carve a whole raw file in this process, or on a pool of `workers` processes."""
    from scanner.carve import carve, process_pool

    if workers == 1:
        return list(carve(opener(path), [whole(path)], **options))  # type: ignore[arg-type]
    with process_pool(workers) as pool:
        options.update(executor=pool, slots=workers)
        found = carve(opener(path), [whole(path)], **options)  # type: ignore[arg-type]
        return list(found)


def content(path: Path, item: object) -> bytes:
    """A carved file's bytes: its runs concatenated, as the pipeline reads them."""
    data = path.read_bytes()
    return b"".join(data[offset : offset + length] for offset, length in item.runs)  # type: ignore[attr-defined]
