"""macOS QuickLook thumbnail cache: `com.apple.QuickLook.thumbnailcache/`.

Two files: `index.sqlite` describes each thumbnail and `thumbnails.data` holds them as raw
bitmaps one after another. In the index (layout of the public write-ups by Sara
Newcomer, Mari DeGrazia and mac_apt): `files` (rowid, folder, file_name, version: a plist
with the original's `date` and `size`) and `thumbnails` (file_id, width, height,
bitspercomponent, bitsperpixel, bytesperrow, bitmapdata_location, bitmapdata_length,
last_hit_date in seconds since 2001-01-01, and on newer systems bitmapinfo, the
CoreGraphics layout). A bitmap of 8-bit components and 32 bits a pixel is given back as
a lossless PNG (RGBA, or RGB where the layout skips alpha), its pixels exactly as stored,
only reordered; colour that CoreGraphics premultiplied by alpha is left so.

The index is recognised by content (a SQLite database whose schema names
`bitmapdata_location`) and read as a container of kind `quicklook`; it finds
`thumbnails.data` beside it through its siblings. Members are
`quicklook:thumbnail=<rowid>,data=<reference>`, the reference naming `thumbnails.data` in
the same parent (`inode=15`, a folder's relative path, an archive's member), so a member's
locator alone reopens it.
"""

from __future__ import annotations

import io
import plistlib
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import ClassVar

from PIL import Image

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
from scanner.evidence.streams import BytesStream, Stream, read_all

STORE = "quicklook"
INDEX = "index.sqlite"
DATA = "thumbnails.data"
MAX_INDEX = 1 << 30
SQLITE_MAGIC = b"SQLite format 3\x00"
SCHEMA_BYTES = 64 << 10  # where the index's schema (sqlite_master) is looked for
MAX_PIXELS = 4096 * 4096
MAC_EPOCH = 978_307_200  # 2001-01-01 in POSIX seconds
NOTE = "thumbnail {size} of a picture whose original may be gone"
COLUMNS = (
    "t.rowid", "t.width", "t.height", "t.bitspercomponent", "t.bitsperpixel", "t.bytesperrow",
    "t.bitmapdata_location", "t.bitmapdata_length", "t.last_hit_date", "f.folder",
    "f.file_name", "f.version",
)  # fmt: skip


class QuickLookCache:
    """The thumbnails of one QuickLook cache, from its index and its data file."""

    def __init__(self, index: Stream, data: Stream, limit: int = MAX_INDEX) -> None:
        self._data = data
        try:
            raw = read_all(index, limit)
        except EvidenceError as exc:
            raise EvidenceError(f"{STORE} {INDEX}: {exc}") from exc
        self._db = sqlite3.connect(":memory:")
        try:
            self._db.deserialize(raw)
            names = {row[1] for row in self._db.execute("PRAGMA table_info(thumbnails)")}
        except sqlite3.DatabaseError as exc:
            raise EvidenceError(f"{STORE} {INDEX} unreadable: {exc}") from exc
        if "bitmapdata_location" not in names:
            raise EvidenceError(f"{STORE} {INDEX}: no thumbnails table with bitmap locations")
        self._info = "t.bitmapinfo" if "bitmapinfo" in names else "NULL"

    def members(self) -> Iterator[Member | Problem]:
        """Every thumbnail whose bitmap can be read; the others as Problems."""
        for row in self._rows():
            try:
                png = self._png(row)
            except EvidenceError as exc:
                yield Problem(str(exc))
                continue
            yield self._member(row, len(png))

    def open(self, value: str) -> Stream:
        text = member_value(value, "thumbnail=")
        if not text.isdigit():
            raise EvidenceError(f"{STORE}: bad thumbnail step {value[:80]!r}")
        rows = list(self._rows(int(text)))
        if not rows:
            raise EvidenceError(f"{STORE}: no thumbnail {text} in {INDEX}")
        return BytesStream(self._png(rows[0]))

    def _rows(self, rowid: int | None = None) -> Iterator[tuple[object, ...]]:
        sql = (
            f"SELECT {', '.join(COLUMNS)}, {self._info} FROM thumbnails t"
            " LEFT JOIN files f ON f.rowid = t.file_id"
        )
        try:
            if rowid is None:
                yield from self._db.execute(sql + " ORDER BY t.rowid")
            else:
                yield from self._db.execute(sql + " WHERE t.rowid = ?", (rowid,))
        except sqlite3.DatabaseError as exc:
            raise EvidenceError(f"{STORE} {INDEX} unreadable: {exc}") from exc

    def _png(self, row: tuple[object, ...]) -> bytes:
        rowid, width, height, component, pixel, per_row, at, length = row[:8]
        info = row[12]
        where = f"{STORE} thumbnail {rowid}"
        numbers = (width, height, component, pixel, per_row, at, length)
        if not all(isinstance(n, int) and n >= 0 for n in numbers):
            raise EvidenceError(f"{where}: bitmap description missing or not numbers")
        assert isinstance(width, int) and isinstance(height, int) and isinstance(per_row, int)
        assert isinstance(at, int) and isinstance(length, int)
        if (component, pixel) != (8, 32):
            raise EvidenceError(
                f"{where}: {component}-bit components, {pixel} bits a pixel: not read"
            )
        if not 0 < width * height <= MAX_PIXELS or per_row < width * 4:
            raise EvidenceError(f"{where}: {width}x{height}, {per_row} bytes a row: not a bitmap")
        needed = (height - 1) * per_row + width * 4
        if length < needed:
            raise EvidenceError(f"{where}: {length} bytes, {needed} needed for {width}x{height}")
        if at + needed > self._data.size:
            raise EvidenceError(f"{where}: bitmap at {at} runs past the end of {DATA}")
        raw = self._data.read(at, needed)
        rows = b"".join(raw[y * per_row : y * per_row + width * 4] for y in range(height))
        mode, raw_mode = _raw_mode(info)
        image = Image.frombytes(mode, (width, height), rows, "raw", raw_mode)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=False)
        return out.getvalue()

    def _member(self, row: tuple[object, ...], size: int) -> Member:
        rowid, width, height = row[0], row[1], row[2]
        last_hit, folder, name, version = row[8], row[9], row[10], row[11]
        dimensions = f"{width}x{height} px"
        origin = {"store": STORE, "entry": str(rowid), "thumbnail": dimensions}
        if isinstance(folder, str) and isinstance(name, str):
            origin["original_path"] = printable(f"{folder.rstrip('/')}/{name}")[:4096]
        if isinstance(last_hit, int | float) and abs(last_hit) < 1e10:
            origin["cached"] = _iso(last_hit + MAC_EPOCH)
        origin.update(_version(version))
        origin["note"] = NOTE.format(size=dimensions)
        return Member(f"thumbnail={rowid}", f"{rowid}.png", size, origin=origin)


def _raw_mode(info: object) -> tuple[str, str]:
    """(PIL mode, raw mode) for a CGBitmapInfo: byte order (0x7000), alpha info (0x1F)."""
    if not isinstance(info, int):
        return "RGBA", "RGBA"  # no bitmapinfo column: the older layout, read as RGBA
    alpha = info & 0x1F
    first = alpha in (2, 4, 6)  # alpha (or the skipped byte) first
    order = "ARGB" if first else "RGBA"
    if info & 0x7000 == 0x2000:  # 32-bit little-endian words: the bytes reversed
        order = order[::-1]
    if alpha in (0, 5, 6):  # no alpha: the fourth byte is skipped
        return "RGB", order.replace("A", "X")
    return "RGBA", order


def _version(version: object) -> dict[str, str]:
    """The original's modification time and size from the `files.version` plist."""
    if not isinstance(version, bytes) or len(version) > 65536:
        return {}
    try:
        values = plistlib.loads(version)
    except (plistlib.InvalidFileException, ValueError, TypeError, OverflowError):
        return {}
    facts: dict[str, str] = {}
    if isinstance(values, dict):
        date, size = values.get("date"), values.get("size")
        if isinstance(date, int | float) and abs(date) < 1e10:
            facts["original_modified"] = _iso(date + MAC_EPOCH)
        elif isinstance(date, datetime):
            facts["original_modified"] = date.replace(tzinfo=UTC).isoformat()
        if isinstance(size, int):
            facts["original_size"] = str(size)
    return facts


def _iso(posix: float) -> str:
    return datetime.fromtimestamp(posix, UTC).isoformat()


class QuickLookContainer(Container):
    """An `index.sqlite` read with the `thumbnails.data` beside it."""

    kind: ClassVar[str] = STORE

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        if not head.startswith(SQLITE_MAGIC):
            return False
        schema = stream.read(0, min(stream.size, SCHEMA_BYTES))
        return b"bitmapdata_location" in schema and b"thumbnails" in schema

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._index = stream
        self._caches: dict[str, QuickLookCache] = {}

    def members(self) -> Iterator[Member | Problem]:
        reference = self.siblings.find(DATA)
        if reference is None:
            yield Problem(f"no {DATA} beside {INDEX}: its bitmaps cannot be read")
            return
        for entry in self._cache(reference).members():
            if isinstance(entry, Member):
                entry = replace(entry, value=f"{entry.value},data={reference}")
            yield entry

    def open(self, value: str) -> Stream:
        thumbnail, _, reference = value.partition(",data=")
        if not reference:
            raise EvidenceError(f"{STORE}: step without its {DATA}: {value[:80]!r}")
        return self._cache(reference).open(thumbnail)

    def _cache(self, reference: str) -> QuickLookCache:
        if reference not in self._caches:
            self._caches[reference] = QuickLookCache(self._index, self.siblings.open(reference))
        return self._caches[reference]


CONTAINERS.add(STORE, QuickLookContainer, "macOS QuickLook thumbnail cache (index.sqlite)")
