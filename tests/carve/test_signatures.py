"""The signature scan: every magic at every byte offset, whole magics only."""

from __future__ import annotations

import random

from scanner.carve import CARVERS
from scanner.carve.registry import registered
from scanner.carve.signatures import SignatureScanner


def _scan(buffer: bytes, limit: int | None = None) -> dict[str, list[int]]:
    scanner = SignatureScanner(list(registered()))
    hits = scanner.starts(buffer, len(buffer) if limit is None else limit)
    return {name: sorted(starts) for name, starts in hits.items()}


def test_every_magic_at_odd_offsets():
    buffer = bytearray(b"." * 4000)
    planted = {"jpeg": 1, "png": 333, "gif": 1001, "tiff": 2047, "ebml": 3001, "riff": 3333}
    magics = {name: CARVERS[name].signatures[0][0] for name in planted}
    for name, offset in planted.items():
        buffer[offset : offset + len(magics[name])] = magics[name]
    assert _scan(bytes(buffer)) == {name: [offset] for name, offset in planted.items()}


def test_magic_with_nul_bytes_matches_only_whole():
    """Big-endian TIFF's magic is 'MM\\x00*': a bare 'MM\\x00' must not count."""
    buffer = b"xxMM\x00+yyMM\x00*zz"
    assert _scan(buffer) == {"tiff": [8]}


def test_magic_after_the_file_start_gives_the_file_start():
    buffer = b"..ftyp...." + b"\x00\x00\x00\x18ftypisom"
    assert _scan(buffer) == {"isobmff": [10]}  # the first 'ftyp' would start before the buffer


def test_limit_excludes_starts_in_the_margin():
    buffer = b"\xff\xd8\xff...\xff\xd8\xff.."
    assert _scan(buffer, limit=6) == {"jpeg": [0]}
    assert _scan(buffer, limit=7) == {"jpeg": [0, 6]}


def test_random_data_gives_only_two_byte_magics():
    hits = _scan(random.Random(5).randbytes(1 << 20))
    assert set(hits) <= {"bmp"}  # 'BM' occurs about 16 times per MiB; longer magics do not
