"""Thumbnail caches written byte by byte from their documented layouts, for the tests.

thumbcache_*.db (libwtcdb documentation), OLE compound files holding a Thumbs.db
([MS-CFB] version 3, 512-byte sectors, a mini stream for streams under 4096 bytes),
QuickLook's index.sqlite + thumbnails.data and Windows 11's Windows.db.
"""

from __future__ import annotations

import io
import sqlite3
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image

from scanner.evidence.containers.thumbcache_container import crc64

FILETIME_EPOCH = 11_644_473_600


def filetime(posix: float) -> int:
    return int((posix + FILETIME_EPOCH) * 10_000_000)


def picture(
    color: tuple[int, int, int], size: tuple[int, int] = (24, 16), fmt: str = "JPEG"
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


# --- thumbcache_*.db ----------------------------------------------------------------


@dataclass
class CacheEntry:
    hash: int
    data: bytes
    identifier: str | None = None  # default: the hash as hex without leading zeros
    padding: int = 0
    bad_header_crc: bool = False
    bad_data_crc: bool = False
    extension: str = "jpg"  # format 20 only


def thumbcache_entry(version: int, entry: CacheEntry) -> bytes:
    ident = (entry.identifier if entry.identifier is not None else f"{entry.hash:x}").encode(
        "utf-16-le"
    )
    data_crc = crc64(entry.data) if entry.data else 0
    if entry.bad_data_crc:
        data_crc ^= 1
    header_size = 48 if version == 21 else 56
    size = header_size + len(ident) + entry.padding + len(entry.data)
    if version == 20:
        head = struct.pack(
            "<4sIQ8sIII4sQ", b"CMMM", size, entry.hash, f"{entry.extension}\0".encode("utf-16-le")[:8].ljust(8, b"\0"),
            len(ident), entry.padding, len(entry.data), b"\0" * 4, data_crc,
        )  # fmt: skip
    elif version == 21:
        head = struct.pack(
            "<4sIQIII4sQ", b"CMMM", size, entry.hash, len(ident), entry.padding,
            len(entry.data), b"\0" * 4, data_crc,
        )  # fmt: skip
    else:
        head = struct.pack(
            "<4sIQIII4s8sQ", b"CMMM", size, entry.hash, len(ident), entry.padding,
            len(entry.data), b"\0" * 4, b"\0" * 8, data_crc,
        )  # fmt: skip
    header_crc = crc64(head) ^ (1 if entry.bad_header_crc else 0)
    return head + struct.pack("<Q", header_crc) + ident + b"\0" * entry.padding + entry.data


def thumbcache(version: int, cache_type: int, entries: Iterable[CacheEntry | bytes]) -> bytes:
    """A cache file: header, then each entry (raw bytes are written as given)."""
    body = b"".join(e if isinstance(e, bytes) else thumbcache_entry(version, e) for e in entries)
    count = 0
    header = struct.pack("<4sIIIII", b"CMMM", version, cache_type, 24, 24 + len(body), count)
    return header + body


# --- OLE compound file (Thumbs.db) ------------------------------------------------------

END, FREE, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


def _chain(fat: list[int], start: int, count: int) -> None:
    for i in range(count):
        fat[start + i] = start + i + 1 if i + 1 < count else END


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A version 3 compound file with these streams in its root storage."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    mini = bytearray()
    minifat: list[int] = []
    starts: dict[str, int] = {}
    big: list[str] = []
    for name in names:
        data = streams[name]
        if len(data) >= 4096:
            big.append(name)
            continue
        count = (len(data) + 63) // 64
        starts[name] = len(minifat) if count else END
        minifat.extend([0] * count)
        _chain(minifat, len(minifat) - count, count)
        mini += data + b"\0" * (count * 64 - len(data))
    sectors: list[bytes] = []
    fat: list[int] = []

    def put(data: bytes) -> int:
        count = max(1, (len(data) + 511) // 512)
        first = len(sectors)
        for i in range(count):
            sectors.append(data[i * 512 : (i + 1) * 512].ljust(512, b"\0"))
        fat.extend([0] * count)
        _chain(fat, first, count)
        return first

    for name in big:
        starts[name] = put(streams[name])
    mini_start = put(bytes(mini)) if mini else END
    minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
    minifat_start = put(minifat_bytes) if minifat else END
    minifat_count = (len(minifat_bytes) + 511) // 512
    ids = {name: i + 1 for i, name in enumerate(names)}
    links: dict[str, tuple[int, int]] = {}
    child = _tree(names, ids, links)
    entries = [_dir_entry("Root Entry", 5, mini_start, len(mini), child=child)]
    for name in names:
        left, right = links[name]
        size = len(streams[name])
        entries.append(_dir_entry(name, 2, starts[name] if size else END, size, left, right))
    directory = b"".join(entries)
    dir_start = put(directory)
    fat_count = 1
    while (len(sectors) + fat_count) * 4 > fat_count * 512:
        fat_count += 1
    assert fat_count <= 109, "this builder writes no DIFAT"
    fat_first = len(sectors)
    fat.extend([FATSECT] * fat_count)
    fat.extend([FREE] * (fat_count * 128 - len(fat)))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    for i in range(fat_count):
        sectors.append(fat_bytes[i * 512 : (i + 1) * 512])
    difat = [fat_first + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x3E, 3,
        0xFFFE, 9, 6, b"\0" * 6, 0, fat_count, dir_start, 0, 4096, minifat_start,
        minifat_count, END, 0,
    ) + struct.pack("<109I", *difat)  # fmt: skip
    return header + b"".join(sectors)


def _tree(names: list[str], ids: dict[str, int], links: dict[str, tuple[int, int]]) -> int:
    """A balanced binary tree of the (sorted) names: its root's id; links per name."""
    if not names:
        return NOSTREAM
    middle = len(names) // 2
    left = _tree(names[:middle], ids, links)
    right = _tree(names[middle + 1 :], ids, links)
    links[names[middle]] = (left, right)
    return ids[names[middle]]


def _dir_entry(
    name: str, kind: int, start: int, size: int, left: int = NOSTREAM, right: int = NOSTREAM,
    child: int = NOSTREAM,
) -> bytes:  # fmt: skip
    raw = (name + "\0").encode("utf-16-le")
    return struct.pack(
        "<64sHBBIII16sIQQIQ", raw.ljust(64, b"\0"), len(raw), kind, 1, left, right, child,
        b"\0" * 16, 0, 0, 0, start, size,
    )  # fmt: skip


def catalog(entries: list[tuple[int, str, float]], width: int = 96, height: int = 96) -> bytes:
    """A Thumbs.db Catalog stream: (id, original file name, modification time)."""
    out = struct.pack("<HHIII", 16, 7, len(entries), width, height)
    for ident, name, when in entries:
        raw = name.encode("utf-16-le")
        out += struct.pack("<IIQ", 16 + len(raw) + 4, ident, filetime(when)) + raw + b"\0" * 4
    return out


def thumbs_stream(jpeg: bytes) -> bytes:
    """A "type 2" thumbnail stream: 12-byte header, then a whole JPEG."""
    return struct.pack("<III", 12, 1, len(jpeg)) + jpeg


def thumbs_stream_type1(jpeg_without_tables: bytes) -> bytes:
    """A "type 1" stream: 12-byte header, a 16-byte second header, the bare JPEG."""
    second = struct.pack("<IIII", 1, len(jpeg_without_tables), 0, 0)
    return struct.pack("<III", 12, 1, 16 + len(jpeg_without_tables)) + second + jpeg_without_tables


def strip_tables(jpeg: bytes) -> bytes:
    """The JPEG without its APPn, DQT and DHT segments (as Windows "type 1" stores it)."""
    out = bytearray(jpeg[:2])
    at = 2
    while at < len(jpeg):
        marker = jpeg[at + 1]
        length = struct.unpack_from(">H", jpeg, at + 2)[0]
        if marker == 0xDA:
            out += jpeg[at:]
            break
        if marker not in (0xDB, 0xC4) and not 0xE0 <= marker <= 0xEF:
            out += jpeg[at : at + 2 + length]
        at += 2 + length
    return bytes(out)


def stream_name(ident: int) -> str:
    return str(ident)[::-1]


# --- Windows 11 Windows.db ------------------------------------------------------------


def windows_db(path: str, items: dict[int, dict[str, object]]) -> None:
    """SystemIndex_1_PropertyStore rows (WorkId, ColumnId, Value), names in _Metadata."""
    keys = sorted({key for props in items.values() for key in props})
    ids = {key: 100 + i for i, key in enumerate(keys)}
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE SystemIndex_1_PropertyStore_Metadata (Id INTEGER PRIMARY KEY,"
        " UniqueKey TEXT, Name TEXT)"
    )
    db.execute(
        "CREATE TABLE SystemIndex_1_PropertyStore (WorkId INTEGER NOT NULL, ColumnId INTEGER"
        " NOT NULL, Value BLOB NOT NULL, PRIMARY KEY (WorkId, ColumnId)) WITHOUT ROWID"
    )
    db.executemany(
        "INSERT INTO SystemIndex_1_PropertyStore_Metadata VALUES (?, ?, ?)",
        [(i, f"{4000 + i}-{key.replace('.', '_')}", key) for key, i in ids.items()],
    )
    db.executemany(
        "INSERT INTO SystemIndex_1_PropertyStore VALUES (?, ?, ?)",
        [(work, ids[key], value) for work, props in items.items() for key, value in props.items()],
    )
    db.commit()
    db.close()


# --- macOS QuickLook index.sqlite + thumbnails.data -------------------------------------

MAC_EPOCH = 978_307_200


@dataclass
class QuickLookThumb:
    file_id: int
    width: int
    height: int
    location: int
    length: int
    bytes_per_row: int
    last_hit: float
    bits_per_pixel: int = 32
    bitmap_info: int | None = None


def quicklook_index(
    path: str, files: dict[int, tuple[str, str, bytes]], thumbs: list[QuickLookThumb],
    bitmap_info: bool,
) -> None:  # fmt: skip
    """files: rowid -> (folder, file_name, version plist); the older layout without a
    bitmapinfo column when `bitmap_info` is False."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE files (folder TEXT, file_name TEXT, version BLOB, fs_id TEXT)")
    info = ", bitmapinfo INTEGER" if bitmap_info else ""
    db.execute(
        "CREATE TABLE thumbnails (file_id INTEGER, size INTEGER, width INTEGER, height INTEGER,"
        " bitspercomponent INTEGER, bitsperpixel INTEGER, bytesperrow INTEGER,"
        " bitmapdata_location INTEGER, bitmapdata_length INTEGER, last_hit_date INTEGER,"
        f" hit_count INTEGER{info})"
    )
    for rowid, (folder, name, version) in files.items():
        db.execute(
            "INSERT INTO files (rowid, folder, file_name, version, fs_id) VALUES (?, ?, ?, ?, ?)",
            (rowid, folder, name, version, "file:///.file/id=1"),
        )
    for t in thumbs:
        values = [t.file_id, max(t.width, t.height), t.width, t.height, 8, t.bits_per_pixel,
                  t.bytes_per_row, t.location, t.length, t.last_hit - MAC_EPOCH, 1]  # fmt: skip
        if bitmap_info:
            values.append(t.bitmap_info)
        db.execute(f"INSERT INTO thumbnails VALUES ({', '.join('?' * len(values))})", values)
    db.commit()
    db.close()


def quicklook_version(modified: float, size: int) -> bytes:
    """A files.version plist: the original's modification date and size."""
    import plistlib

    return plistlib.dumps(
        {"date": modified - MAC_EPOCH, "size": size, "gen": "com.apple.x"}, fmt=plistlib.FMT_BINARY
    )
