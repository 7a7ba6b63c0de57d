"""Windows Explorer thumbnail caches, `thumbcache_*.db` (Vista to Windows 11).

Written from libyal's libwtcdb documentation ("Windows Explorer Thumbnail Cache database
format"). A 24-byte file header ("CMMM", format version 20 Vista, 21 7, 30 8, 31 8.1,
32 10/11, cache type, first entry offset) is followed by cache entries, each "CMMM", its
size, the 64-bit entry hash (the ThumbnailCacheId Windows Search stores), identifier
string, padding and data sizes, a data CRC-64 and a header CRC-64, then the identifier
(UTF-16), padding and the picture (BMP, JPEG or PNG). Entries without data are skipped.

Members: `thumbcache:entry=<offset of the entry>`, named `<entry hash>.<format>`. A bad
checksum is a warning (the data is still offered); damage between entries is skipped to
the next "CMMM". The thumbnail size comes from the header's cache type. Where the volume
the cache is on holds the Windows Search index, each entry's origin gets the original
path, times and size the index gives its entry hash (`windows_search.py`).
"""

from __future__ import annotations

import struct
from collections.abc import Generator, Iterator
from typing import ClassVar

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    member_value,
)
from scanner.evidence.containers.windows_search import attribute, index_beside, originals_of
from scanner.evidence.streams import RangeStream, Stream

STORE = "thumbcache"
SIGNATURE = b"CMMM"
FILE_HEADER = struct.Struct("<4sIIIII")
# (entry header, header CRC offset): the CRC covers the bytes before it
ENTRY_V20 = struct.Struct("<4sIQ8sIII4sQQ")  # 56 bytes, with a file extension
ENTRY_V21 = struct.Struct("<4sIQIII4sQQ")  # 48 bytes
ENTRY_V30 = struct.Struct("<4sIQIII4s8sQQ")  # 56 bytes
CACHE_TYPES: dict[int, tuple[str, ...]] = {
    20: ("32", "96", "256", "1024", "sr"),
    21: ("32", "96", "256", "1024", "sr"),
    30: ("16", "32", "48", "96", "256", "1024", "sr", "wide", "exif"),
    31: ("16", "32", "48", "96", "256", "1024", "1600", "sr", "wide", "exif", "wide_alternate"),
    32: (
        "16", "32", "48", "96", "256", "768", "1280", "1920", "2560",
        "sr", "wide", "exif", "wide_alternate", "custom_stream",
    ),
}  # fmt: skip
WINDOWS = {20: "Vista", 21: "7", 30: "8", 31: "8.1", 32: "10/11"}
WINDOW = 1 << 20
MAX_PROBLEMS = 50
NOTE = "thumbnail {size} of a picture whose original may be gone"
CRC64_POLY = 0x92C64265D32139A4  # reflected; libwtcdb's table is this polynomial's


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ CRC64_POLY if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


CRC64_TABLE = _crc_table()


def crc64(data: bytes, value: int = 0xFFFF_FFFF_FFFF_FFFF) -> int:
    """The thumbcache "weak" CRC-64: initial value -1, no final XOR."""
    table = CRC64_TABLE
    for byte in data:
        value = table[(value ^ byte) & 0xFF] ^ (value >> 8)
    return value


def picture_format(head: bytes) -> str:
    """The format by signature: "jpg", "png", "bmp", or "bin" if none of them."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"BM"):
        return "bmp"
    return "bin"


class _Entry:
    """One parsed cache entry header."""

    __slots__ = ("offset", "size", "hash", "id_size", "pad", "data_size", "data_crc", "ok")

    def __init__(self, offset: int, fields: tuple[int, ...], header_ok: bool) -> None:
        self.offset = offset
        self.size, self.hash, self.id_size, self.pad, self.data_size, self.data_crc = fields
        self.ok = header_ok


class ThumbcacheContainer(Container):
    kind: ClassVar[str] = "thumbcache"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        if len(head) < FILE_HEADER.size or not head.startswith(SIGNATURE):
            return False
        _, version, cache_type, _, _, _ = FILE_HEADER.unpack_from(head)
        return version in CACHE_TYPES and cache_type < 64

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream
        header = stream.read(0, FILE_HEADER.size)
        if len(header) < FILE_HEADER.size or not header.startswith(SIGNATURE):
            raise EvidenceError("thumbcache: no CMMM file header")
        _, self.version, cache_type, first, _, self.count = FILE_HEADER.unpack(header)
        if self.version not in CACHE_TYPES:
            raise EvidenceError(f"thumbcache: unknown format version {self.version}")
        names = CACHE_TYPES[self.version]
        self.cache = names[cache_type] if cache_type < len(names) else f"type {cache_type}"
        self._first = first if first >= FILE_HEADER.size else FILE_HEADER.size
        self._layout = {20: ENTRY_V20, 21: ENTRY_V21}.get(self.version, ENTRY_V30)
        self._window_at = -1
        self._window = b""

    def metadata(self) -> dict[str, str]:
        return {
            "thumbcache format": f"{self.version} (Windows {WINDOWS[self.version]})",
            "thumbcache file": f"thumbcache_{self.cache}.db",
        }

    def members(self) -> Iterator[Member | Problem]:
        originals, database = yield from self._search_index()
        problems = 0
        offset = self._first
        while offset + self._layout.size <= self._stream.size:
            entry, reason = self._entry(offset)
            if entry is None:
                following = self._next_signature(offset + 1)
                skipped = f"skipped to the next entry at {following}" if following else "the end"
                problems += 1
                if problems <= MAX_PROBLEMS:
                    yield Problem(f"{STORE} entry at offset {offset}: {reason}; {skipped}")
                if following is None:
                    break
                offset = following
                continue
            if entry.data_size:
                for reason in self._checks(entry):
                    problems += 1
                    if problems <= MAX_PROBLEMS:
                        yield Problem(reason)
                yield self._member(entry, originals, database)
            offset += entry.size
        if problems > MAX_PROBLEMS:
            yield Problem(f"{STORE}: {problems - MAX_PROBLEMS} more damaged entries not listed")

    def _search_index(self) -> Generator[Problem, None, tuple[dict[str, dict[str, str]], str]]:
        """{cache id -> what the Windows Search index beside this cache says of its
        file} and the index's path ({} and "" if there is none; a Problem if unreadable)."""
        found = index_beside(self.siblings)
        if found is None:
            return {}, ""
        reference, path = found
        try:
            return originals_of(self.siblings, reference), path
        except EvidenceError as exc:
            reason = f"{STORE}: Windows Search index {path}: {exc}; entries listed without it"
            yield Problem(reason)
            return {}, ""

    def open(self, value: str) -> Stream:
        text = member_value(value, "entry=")
        if not text.isdigit():
            raise EvidenceError(f"{STORE}: bad entry step {value[:80]!r}")
        entry, reason = self._entry(int(text))
        if entry is None or not entry.data_size:
            raise EvidenceError(f"{STORE} entry at offset {text}: {reason or 'no data'}")
        return RangeStream(self._stream, self._data_offset(entry), entry.data_size)

    def _read(self, offset: int, length: int) -> bytes:
        """Bytes through a 1 MiB window: 10^5 tiny entries are not 10^5 reads."""
        if length > WINDOW:
            return self._stream.read(offset, length)
        at = self._window_at
        if not (0 <= at <= offset and offset + length <= at + len(self._window)):
            self._window_at, self._window = offset, self._stream.read(offset, WINDOW)
        start = offset - self._window_at
        return self._window[start : start + length]

    def _entry(self, offset: int) -> tuple[_Entry | None, str]:
        layout = self._layout
        raw = self._read(offset, layout.size)
        if len(raw) < layout.size:
            return None, "header cut off"
        fields = layout.unpack(raw)
        if fields[0] != SIGNATURE:
            return None, "no CMMM signature"
        size, hash_ = fields[1], fields[2]
        if layout is ENTRY_V20:
            id_size, pad, data_size, data_crc, header_crc = fields[4:7] + fields[8:10]
        elif layout is ENTRY_V21:
            id_size, pad, data_size, data_crc, header_crc = fields[3:6] + fields[7:9]
        else:
            id_size, pad, data_size, data_crc, header_crc = fields[3:6] + fields[8:10]
        needed = layout.size + id_size + pad + data_size
        if size < layout.size or size > self._stream.size - offset:
            return None, f"entry size {size} runs past the end of the file or is too small"
        if needed > size:
            return (
                None,
                f"identifier, padding and data ({needed} bytes) exceed the entry size {size}",
            )
        ok = crc64(raw[: layout.size - 8]) == header_crc
        return _Entry(offset, (size, hash_, id_size, pad, data_size, data_crc), ok), ""

    def _checks(self, entry: _Entry) -> list[str]:
        reasons = []
        where = f"{STORE} entry {entry.hash:016x} at offset {entry.offset}"
        if not entry.ok:
            reasons.append(f"{where}: header checksum does not match (data offered as found)")
        data = self._read(self._data_offset(entry), entry.data_size)
        if entry.data_crc and crc64(data) != entry.data_crc:
            reasons.append(f"{where}: data checksum does not match (data offered as found)")
        return reasons

    def _data_offset(self, entry: _Entry) -> int:
        return entry.offset + self._layout.size + entry.id_size + entry.pad

    def _member(self, entry: _Entry, originals: dict[str, dict[str, str]], database: str) -> Member:
        raw = self._read(entry.offset + self._layout.size, min(entry.id_size, 512))
        identifier = raw.decode("utf-16-le", "replace").replace("\x00", "")
        head = self._read(self._data_offset(entry), 8)
        cache_id = f"{entry.hash:016x}"
        size = f"{self.cache} px" if self.cache.isdigit() else self.cache
        origin = {
            "store": STORE,
            "entry": cache_id,
            "identifier": identifier,
            "thumbnail": size,
            "cache_file": f"thumbcache_{self.cache}.db (format {self.version})",
            "note": NOTE.format(size=size),
        }
        name = f"{cache_id}.{picture_format(head)}"
        origin = attribute(origin, originals, database)
        return Member(f"entry={entry.offset}", name, entry.data_size, origin=origin)

    def _next_signature(self, offset: int) -> int | None:
        """The offset of the next "CMMM" at or after `offset`, if any."""
        while offset < self._stream.size:
            chunk = self._stream.read(offset, WINDOW + 3)
            found = chunk.find(SIGNATURE)
            if found >= 0:
                return offset + found
            if len(chunk) < WINDOW + 3:
                return None
            offset += WINDOW
        return None


CONTAINERS.add(STORE, ThumbcacheContainer, "Windows thumbnail cache (thumbcache_*.db)")
