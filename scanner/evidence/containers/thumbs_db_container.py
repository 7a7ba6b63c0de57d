"""`Thumbs.db` (Windows 98 to XP, and Vista and later on network shares): an OLE file.

The compound file is read with `olefile` from the stream. Its `Catalog` stream lists the
thumbnails: a 16-byte header (header size, version, count, width, height), then entries
(size, id, FILETIME of the original, its file name in UTF-16, 4 zero bytes). Thumbnail
`n` is the stream named by the digits of `n` reversed ("21" for 12); it starts with a
header (its size, a value, the picture's size) and holds a whole JPEG ("type 2"), or a
second 16-byte header whose first value is 1 and a JPEG without its quantisation and
Huffman tables ("type 1"), which are re-attached (`thumbs_db_jpeg`) and said so in the
member's origin. Streams not named by a number (`256_<cache id>` on Vista and later) are
listed too, without a catalog name.

Members: `thumbs.db:stream=<stream name>`, named `<id>.jpg`. Only a compound file with a
`Catalog` stream is claimed (not every OLE file: a Word .doc is one too).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar

import olefile

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    member_value,
    printable,
)
from scanner.evidence.containers.thumbs_db_jpeg import with_standard_tables
from scanner.evidence.streams import BytesStream, Stream, stream_file

STORE = "thumbs.db"
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
CATALOG = "Catalog"
CATALOG_NAME = "Catalog".encode("utf-16-le") + b"\0\0"
MAX_STREAM = 64 << 20
MAX_DIRECTORY_SECTORS = 64
FILETIME_EPOCH = 11_644_473_600
SAFE = re.compile(r"[^A-Za-z0-9_-]")
NOTE = "thumbnail {size} of a picture whose original may be gone"
TYPE1_NOTE = (
    '; stored without its JPEG {tables} (Windows "type 1"): the standard Annex K tables'
    " were re-attached so it decodes, and the picture may show upside down"
)


class ThumbsDbContainer(Container):
    kind: ClassVar[str] = "thumbs.db"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head.startswith(OLE_SIGNATURE) and _has_catalog(head, stream)

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        try:
            self._ole = olefile.OleFileIO(stream_file(stream))
        except (OSError, ValueError, struct.error, IndexError) as exc:
            raise EvidenceError(f"{STORE}: not a readable compound file: {exc}") from exc
        self._limit = min(MAX_STREAM, options.max_member_bytes)
        self._size = "size unknown"
        if self._ole.exists(CATALOG):
            head = self._ole.openstream(CATALOG).read(16)
            if len(head) == 16:
                width, height = struct.unpack_from("<II", head, 8)
                self._size = f"{width}x{height} px"

    def members(self) -> Iterator[Member | Problem]:
        catalog: dict[int, tuple[str, float | None]] = {}
        problems: list[str] = []
        if self._ole.exists(CATALOG):
            try:
                catalog = _catalog(self._read(CATALOG), problems)
            except EvidenceError as exc:
                problems.append(str(exc))
        else:
            problems.append(f"{STORE}: no Catalog stream: thumbnails listed without names")
        yield from (Problem(reason) for reason in problems)
        for parts in self._ole.listdir(streams=True, storages=False):
            if len(parts) != 1 or parts[0] == CATALOG or parts[0].startswith("\x05"):
                continue
            name = parts[0]
            try:
                data, tables = self._picture(name)
            except EvidenceError as exc:
                yield Problem(str(exc))
                continue
            yield self._member(name, data, tables, catalog)

    def open(self, value: str) -> Stream:
        data, _ = self._picture(member_value(value, "stream="))
        return BytesStream(data)

    def _read(self, name: str) -> bytes:
        if not self._ole.exists([name]):
            raise EvidenceError(f"{STORE}: no stream {printable(name)[:80]!r}")
        size = self._ole.get_size([name])
        if size > self._limit:
            raise EvidenceError(f"{STORE} stream {printable(name)[:80]!r}: {size} bytes: too large")
        try:
            return bytes(self._ole.openstream([name]).read())
        except (OSError, ValueError, IndexError) as exc:
            raise EvidenceError(f"{STORE} stream {printable(name)[:80]!r}: {exc}") from exc

    def _picture(self, name: str) -> tuple[bytes, list[str]]:
        """The picture of thumbnail stream `name` and the tables re-attached to it."""
        raw = self._read(name)
        where = f"{STORE} thumbnail stream {printable(name)[:80]!r}"
        if len(raw) < 12:
            raise EvidenceError(f"{where}: {len(raw)} bytes, shorter than its header")
        header_size = struct.unpack_from("<I", raw)[0]
        if not 12 <= header_size < len(raw):
            raise EvidenceError(f"{where}: header size {header_size} out of range")
        body = raw[header_size:]
        if body.startswith(b"\xff\xd8"):
            return body, []
        if len(body) > 16 and struct.unpack_from("<I", body)[0] == 1 and body[16:18] == b"\xff\xd8":
            try:
                return with_standard_tables(body[16:])
            except (ValueError, struct.error) as exc:
                raise EvidenceError(f"{where}: type 1 picture unreadable: {exc}") from exc
        raise EvidenceError(f"{where}: no JPEG after the header")

    def _member(
        self,
        name: str,
        data: bytes,
        tables: list[str],
        catalog: dict[int, tuple[str, float | None]],
    ) -> Member:
        digits = name[::-1]
        ident = int(digits) if digits.isdigit() and len(digits) < 10 else None
        size = self._size
        origin = {"store": STORE, "entry": str(ident) if ident is not None else printable(name)}
        origin["thumbnail"] = size
        if ident is not None and ident in catalog:
            original, when = catalog[ident]
            origin["original_path"] = original
            origin["original_path_basis"] = "file name only, in the folder of this Thumbs.db"
            if when is not None:
                origin["original_modified"] = datetime.fromtimestamp(when, UTC).isoformat()
        note = NOTE.format(size=size)
        if tables:
            note += TYPE1_NOTE.format(tables=" and ".join(tables))
        origin["note"] = note
        label = str(ident) if ident is not None else SAFE.sub("_", name)[:80]
        return Member(f"stream={name}", f"{label}.jpg", len(data), origin=origin)


def _catalog(raw: bytes, problems: list[str]) -> dict[int, tuple[str, float | None]]:
    """Thumbnail id -> (original file name, its FILETIME as POSIX seconds)."""
    if len(raw) < 16:
        raise EvidenceError(f"{STORE} Catalog: {len(raw)} bytes, shorter than its header")
    header_size = struct.unpack_from("<H", raw)[0]
    entries: dict[int, tuple[str, float | None]] = {}
    at = max(16, header_size)
    while at < len(raw):
        size, ident, stamp = struct.unpack_from("<IIQ", raw[at : at + 16].ljust(16, b"\x00"))
        if size == 0 and not raw[at:].strip(b"\x00"):
            break  # zero bytes after the last entry
        if size < 20 or at + size > len(raw):
            problems.append(f"{STORE} Catalog entry at offset {at}: size {size} out of range")
            break
        name = raw[at + 16 : at + size - 4].decode("utf-16-le", "replace").rstrip("\x00")
        when = stamp / 1e7 - FILETIME_EPOCH if stamp else None
        entries[ident] = (printable(name)[:1024], when)
        at += size
    return entries


def _has_catalog(head: bytes, stream: Stream) -> bool:
    """Whether the directory (its first sectors, followed through the FAT) names a
    `Catalog` stream: read without parsing the whole compound file."""
    if len(head) < 512:
        return False
    shift = struct.unpack_from("<H", head, 30)[0]
    if shift not in (9, 12):
        return False
    sector = 1 << shift
    fat_sectors = struct.unpack_from("<109I", head, 76)
    current = struct.unpack_from("<I", head, 48)[0]
    for _ in range(MAX_DIRECTORY_SECTORS):
        if current >= 0xFFFFFFFA:
            return False
        data = stream.read((current + 1) * sector, sector)
        for at in range(0, len(data) - 127, 128):
            if data[at : at + 16] == CATALOG_NAME and data[at + 66] == 2:
                return True
        per = sector // 4
        if current // per >= len(fat_sectors):
            return False
        fat = fat_sectors[current // per]
        if fat >= 0xFFFFFFFA:
            return False
        raw = stream.read((fat + 1) * sector + (current % per) * 4, 4)
        if len(raw) < 4:
            return False
        current = struct.unpack("<I", raw)[0]
    return False


CONTAINERS.add(STORE, ThumbsDbContainer, "Windows Thumbs.db thumbnail cache (OLE, with Catalog)")
