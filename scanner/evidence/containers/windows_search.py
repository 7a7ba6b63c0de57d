"""Windows Search: which file a thumbcache entry was made from.

The index stores for each file its `System.ThumbnailCacheId`, the 64-bit id a
`thumbcache_*.db` entry carries as its entry hash, `System.ItemPathDisplay`, the path
Windows shows, and `System.DateModified`, `System.DateCreated` (FILETIME) and
`System.Size`. `cache_id_originals` reads them from the index database:

* `Windows.db` (Windows 11): SQLite, one row per (WorkId, ColumnId, Value) in
  `SystemIndex_1_PropertyStore`, the property of each ColumnId named in
  `SystemIndex_1_PropertyStore_Metadata` (UniqueKey "4454-System_ThumbnailCacheId" or
  Name "System.ThumbnailCacheId"); the cache id is 8 little-endian bytes.
* `Windows.edb` (Vista to 10): ESE, read with libesedb (`pyesedb`); properties are columns
  of `SystemIndex_PropertyStore` (8 and later, "4454-System_ThumbnailCacheId") or
  `SystemIndex_0A` (Vista, 7). Not tested on a real Windows.edb (there is no ESE writer
  on Linux to build one): both byte orders of the cache id are keyed.

The thumbcache container finds the index on its own volume (`index_beside`: through its
siblings, at `ProgramData/Microsoft/Search/Data/Applications/Windows/` of the root its
`Users/…/Explorer` folder is on) and gives each entry's origin what the index says
(`attribute`). The index is read once per process (`originals_of`), not once for each
of the ten or so thumbcache files beside it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import Siblings, printable
from scanner.evidence.containers.cache_common import iso_time
from scanner.evidence.streams import Stream, read_all, stream_file

CACHE_ID = "System_ThumbnailCacheId"
PATH = "System_ItemPathDisplay"
# property -> the origin field it gives
FACTS = {
    PATH: "original_path",
    "System_DateModified": "original_modified",
    "System_DateCreated": "original_created",
    "System_Size": "original_size",
}
FILETIME_EPOCH = 11_644_473_600  # 1601-01-01 to 1970-01-01 in seconds
MAX_SIZE = 1 << 48  # bytes: larger sizes are not believed
SEARCH_FOLDER = "ProgramData/Microsoft/Search/Data/Applications/Windows"
SEARCH_NAMES = ("Windows.db", "Windows.edb")  # Windows 11; Vista to 10
EXPLORER = re.compile(r"^(.*/)Users/[^/]+/AppData/Local/Microsoft/Windows/Explorer/[^/]+$", re.I)
SQLITE_MAGIC = b"SQLite format 3\x00"
ESE_MAGIC = b"\xef\xcd\xab\x89"  # at offset 4
ESE_TABLES = ("SystemIndex_PropertyStore", "SystemIndex_0A")
MAX_SQLITE = 2 << 30  # Windows.db is read into memory (SQLite cannot read a Stream)
MAX_PATH = 32_767
DATABASE = re.compile(r"(^|/)Windows\.(db|edb)$", re.IGNORECASE)
BASIS = "Windows Search index ({database}): System.ItemPathDisplay of the cache id"


def is_search_database(path: str) -> bool:
    """Whether an evidence path names a Windows Search index (`.../Windows.db|edb`)."""
    return bool(DATABASE.search(path)) and "/search/" in path.lower()


def property_name(key: str) -> str:
    """ "4454-System_ThumbnailCacheId", "4631F-System_X" or "System.X" as "System_X"."""
    return re.sub(r"^\d+F?-", "", key).replace(".", "_")


def cache_id_originals(stream: Stream, limit: int = MAX_SQLITE) -> dict[str, dict[str, str]]:
    """{cache id as 16 hex digits -> {original_path, original_modified…}} from a
    Windows.db or Windows.edb; only ids the index gives a path for."""
    head = stream.read(0, 16)
    if head == SQLITE_MAGIC:
        return dict(_sqlite_originals(stream, limit))
    if head[4:8] == ESE_MAGIC:
        return dict(_ese_originals(stream))
    raise EvidenceError("Windows Search: neither a SQLite Windows.db nor an ESE Windows.edb")


def index_beside(siblings: Siblings) -> tuple[str, str] | None:
    """(reference, path) of the Windows Search index on the volume of the thumbcache file
    whose siblings these are, or None if there is none."""
    own = siblings.path
    found = EXPLORER.match(own) if own else None
    root = found.group(1) if found else "/"
    for name in SEARCH_NAMES:
        path = f"{root}{SEARCH_FOLDER}/{name}"
        reference = siblings.find(path)
        if reference is not None:
            return reference, path
    return None


_READ: dict[tuple[str, int], dict[str, dict[str, str]]] = {}  # the last index read here


def originals_of(siblings: Siblings, reference: str) -> dict[str, dict[str, str]]:
    """`cache_id_originals` of the sibling `reference`, read once per process."""
    stream = siblings.open(reference)
    key = (siblings.describe(reference), stream.size)
    if key not in _READ:
        _READ.clear()
        _READ[key] = cache_id_originals(stream)
    return _READ[key]


def attribute(
    origin: dict[str, str], originals: dict[str, dict[str, str]], database: str
) -> dict[str, str]:
    """A thumbcache item's origin with what the index says of the file its cache id is of."""
    facts = originals.get(origin.get("entry", "")) if origin.get("store") == "thumbcache" else None
    if facts is None or "original_path" in origin:
        return origin
    basis = BASIS.format(database=printable(database)[:200])
    return {**origin, **facts, "original_path_basis": basis}


def _cache_id(value: object, big_endian: bool = False) -> str | None:
    number = _number(value, big_endian)
    return None if number is None else f"{number:016x}"


def _number(value: object, big_endian: bool = False) -> int | None:
    """An 8-byte binary value (or an integer) as an unsigned 64-bit number."""
    if isinstance(value, bytes | bytearray) and len(value) == 8:
        return int.from_bytes(value, "big" if big_endian else "little")
    if isinstance(value, int) and not big_endian:
        return value & 0xFFFF_FFFF_FFFF_FFFF
    return None


def _fact(name: str, value: object) -> str | None:
    """A property's value as origin text: the path, a FILETIME as ISO 8601, a size."""
    if name == PATH:
        return _text(value)
    number = _number(value)
    if number is None:
        return None
    if name == "System_Size":  # a size read in the wrong byte order is implausible: dropped
        return str(number) if number < MAX_SIZE else None
    return iso_time(number / 1e7 - FILETIME_EPOCH) or None


def _text(value: object) -> str | None:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes | bytearray):
        raw = bytes(value)
        utf16 = len(raw) % 2 == 0 and raw[1:2] == b"\x00"
        text = raw.decode("utf-16-le" if utf16 else "utf-8", "replace")
    else:
        return None
    text = text.rstrip("\x00")
    return printable(text)[:MAX_PATH] if text else None


def _sqlite_originals(stream: Stream, limit: int) -> Iterator[tuple[str, dict[str, str]]]:
    try:
        data = read_all(stream, limit)
    except EvidenceError as exc:
        raise EvidenceError(f"Windows Search Windows.db: {exc}") from exc
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(data)
        columns = {
            row[1] for row in db.execute("PRAGMA table_info(SystemIndex_1_PropertyStore_Metadata)")
        }
        named = [c for c in ("UniqueKey", "Name", "PropertyId") if c in columns]
        if "Id" not in columns or not named:
            raise EvidenceError(
                "Windows Search Windows.db: no SystemIndex_1_PropertyStore_Metadata"
            )
        ids: dict[int, str] = {}
        for row in db.execute(
            f"SELECT Id, {', '.join(named)} FROM SystemIndex_1_PropertyStore_Metadata"
        ):
            for key in row[1:]:
                if isinstance(key, str) and property_name(key) in (CACHE_ID, *FACTS):
                    ids[row[0]] = property_name(key)
        wanted = list(ids)
        if not {CACHE_ID, PATH} <= set(ids.values()):
            return
        marks = ", ".join("?" for _ in wanted)
        rows = db.execute(
            "SELECT WorkId, ColumnId, Value FROM SystemIndex_1_PropertyStore"
            f" WHERE ColumnId IN ({marks}) ORDER BY WorkId",
            wanted,
        )
        yield from _paired((work, ids[column], value) for work, column, value in rows)
    except sqlite3.DatabaseError as exc:
        raise EvidenceError(f"Windows Search Windows.db unreadable: {exc}") from exc
    finally:
        db.close()


def _paired(rows: Iterator[tuple[int, str, object]]) -> Iterator[tuple[str, dict[str, str]]]:
    """(cache id, facts) of each WorkId that has a cache id and a path, from rows ordered
    by WorkId."""
    current: int | None = None
    cache_id: str | None = None
    facts: dict[str, str] = {}
    for work, name, value in rows:
        if work != current:
            if cache_id and "original_path" in facts:
                yield cache_id, facts
            current, cache_id, facts = work, None, {}
        if name == CACHE_ID:
            cache_id = _cache_id(value)
        elif (fact := _fact(name, value)) is not None:
            facts[FACTS[name]] = fact
    if cache_id and "original_path" in facts:
        yield cache_id, facts


def _ese_originals(stream: Stream) -> Iterator[tuple[str, dict[str, str]]]:
    """Untested on a real Windows.edb: see the module docstring."""
    import pyesedb

    edb = pyesedb.file()
    try:
        edb.open_file_object(stream_file(stream))
    except OSError as exc:
        raise EvidenceError(f"Windows Search Windows.edb unreadable: {exc}") from exc
    try:
        table = next((edb.get_table_by_name(n) for n in ESE_TABLES if _has_table(edb, n)), None)
        if table is None:
            raise EvidenceError("Windows Search Windows.edb: no SystemIndex table")
        names = [property_name(column.name) for column in table.columns]
        if CACHE_ID not in names or PATH not in names:
            return
        id_at, path_at = names.index(CACHE_ID), names.index(PATH)
        others = [(names.index(n), n) for n in FACTS if n != PATH and n in names]
        for record in table.records:
            raw = record.get_value_data(id_at)
            path = _ese_text(record, path_at)
            if raw is None or path is None:
                continue
            facts = {"original_path": path}
            for at, name in others:
                value = record.get_value_data(at)
                fact = _fact(name, bytes(value)) if value is not None else None
                if fact is not None:
                    facts[FACTS[name]] = fact
            for big_endian in (False, True):
                cache_id = _cache_id(bytes(raw), big_endian)
                if cache_id:
                    yield cache_id, facts
    except OSError as exc:
        raise EvidenceError(f"Windows Search Windows.edb: {exc}") from exc
    finally:
        edb.close()


def _ese_text(record: object, at: int) -> str | None:
    """A text column's value; a long value (a path past the record) read from its pages,
    an undecodable one as its raw bytes."""
    try:
        if record.is_long_value(at):  # type: ignore[attr-defined]
            value = record.get_value_data_as_long_value(at)  # type: ignore[attr-defined]
            return _text(value.get_data()[: MAX_PATH * 2] if value is not None else None)
        return _text(record.get_value_data_as_string(at))  # type: ignore[attr-defined]
    except (OSError, TypeError, ValueError):
        return _text(record.get_value_data(at))  # type: ignore[attr-defined]


def _has_table(edb: object, name: str) -> bool:
    return any(table.name == name for table in edb.tables)  # type: ignore[attr-defined]
