"""Real photos and clips from ../shared/data, planted at unaligned offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import SHARED, content, plant, run_carve

EXTENSIONS = {".jpg": "jpg", ".png": "png", ".webp": "webp", ".mp4": "mp4"}


def _real_files() -> list[Path]:
    if not SHARED.exists():
        return []
    files = [p for p in sorted(SHARED.rglob("*")) if p.suffix in EXTENSIONS and p.is_file()]
    return [p for p in files if p.stat().st_size < 8 << 20]


@pytest.mark.skipif(not _real_files(), reason="../shared/data is not here")
def test_real_media_recovered_byte_exact(tmp_path: Path):
    parts: dict[int, bytes] = {}
    pos = 3333
    for path in _real_files():
        parts[pos] = path.read_bytes()
        pos += len(parts[pos]) + 1021
    image = plant(tmp_path / "img.raw", pos, parts)
    items = {(i.offset, i.valid_length): i for i in run_carve(image, workers=2)}
    missing = [offset for offset, data in parts.items() if (offset, len(data)) not in items]
    assert missing == []
    for offset, data in parts.items():
        assert content(image, items[offset, len(data)]) == data
