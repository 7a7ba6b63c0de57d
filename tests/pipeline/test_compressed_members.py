"""A compressed member is decompressed once when it is hashed, with the same result."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scanner.pipeline.tasks import ItemTask
from scanner.pipeline.worker import hash_item
from scanner.types import Locator


def _photo(seed: int, side: int) -> bytes:
    """A noisy JPEG of a few MiB (larger than one read chunk)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=95)
    return out.getvalue()


def _task(archive: Path, name: str, size: int) -> ItemTask:
    locator = Locator((("file", str(archive)), ("zip", f"member=DCIM/{name}")))
    return ItemTask(1, locator, f"/DCIM/{name}", size, False)


def test_a_deflated_picture_is_decompressed_once_and_hashes_as_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = _photo(1, 1400)
    assert len(photo) > 2 << 20
    archive = tmp_path / "phone.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("DCIM/stored.jpg", photo, zipfile.ZIP_STORED)
        out.writestr("DCIM/deflated.jpg", photo, zipfile.ZIP_DEFLATED)
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def counted(self: zipfile.ZipFile, name: object, *args: object, **kwargs: object) -> object:
        opened.append(getattr(name, "filename", str(name)))
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", counted)
    stored = hash_item(_task(archive, "stored.jpg", len(photo)))
    deflated = hash_item(_task(archive, "deflated.jpg", len(photo)))
    assert opened == ["DCIM/deflated.jpg"]  # the head, the end and the digests: one pass
    for result in (stored, deflated):
        assert not result.error and result.media_type == "image/jpeg"
        assert result.sha256 == hashlib.sha256(photo).hexdigest()
        assert (result.md5, result.sha1) == (
            hashlib.md5(photo).hexdigest(),
            hashlib.sha1(photo).hexdigest(),
        )


def test_a_damaged_deflated_member_is_reported_as_before(tmp_path: Path) -> None:
    photo = _photo(2, 600)
    archive = tmp_path / "phone.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("DCIM/a.jpg", photo)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as listing:
        info = listing.getinfo("DCIM/a.jpg")
    data[info.header_offset + 14] ^= 0xFF  # the local header's CRC-32: the data stays whole
    data[data.rindex(b"PK\x01\x02") + 16] ^= 0xFF  # and the central directory's
    archive.write_bytes(bytes(data))
    result = hash_item(_task(archive, "a.jpg", len(photo)))
    assert result.error == "unexpected BadZipFile: Bad CRC-32 for file 'DCIM/a.jpg'"
    assert not result.sha256
