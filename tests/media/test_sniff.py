"""libmagic's TGA guesses are checked against the header: real TGAs stay pictures, NTFS's
$UpCase table does not become one."""

from __future__ import annotations

import io
from pathlib import Path

import magic
import pytest
from PIL import Image

from scanner.evidence import open_evidence, read_chunks
from scanner.media.sniff import UNKNOWN, confirm

SHARED = Path(__file__).parents[2] / ".." / "shared" / "data" / "diskimages"


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P"])
@pytest.mark.parametrize("compression", [None, "tga_rle"])
def test_real_tga_files_stay_pictures(mode: str, compression: str | None) -> None:
    buffer = io.BytesIO()
    Image.new(mode, (40, 30)).save(buffer, "TGA", compression=compression)
    head = buffer.getvalue()
    assert magic.from_buffer(head, mime=True) == "image/x-tga"
    assert confirm("image/x-tga", head) == "image/x-tga"


def test_ntfs_upcase_table_is_not_a_picture() -> None:
    image = SHARED / "windows_volume.qcow2"
    if not image.is_file():
        pytest.skip(f"{image} not present")
    source = open_evidence(image)
    upcase = next(item for item in source.walk() if getattr(item, "path", "") == "/$UpCase")
    head = next(read_chunks(source.open_item(upcase.locator)))
    assert magic.from_buffer(head, mime=True) == "image/x-tga"  # libmagic's guess
    assert confirm("image/x-tga", head) == UNKNOWN


def test_other_types_and_short_heads_are_left_alone_or_refused() -> None:
    assert confirm("image/jpeg", b"") == "image/jpeg"
    assert confirm("image/x-tga", b"\x00\x00\x02") == UNKNOWN
    header = bytearray(18)
    header[2], header[12], header[14], header[16] = 2, 40, 30, 24
    assert confirm("image/x-tga", bytes(header)) == "image/x-tga"
    header[16] = 7  # no such pixel depth
    assert confirm("image/x-tga", bytes(header)) == UNKNOWN
