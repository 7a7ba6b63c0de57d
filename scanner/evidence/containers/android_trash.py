"""Android trash databases: where a trashed file came from and when it was trashed.

The trashed files themselves are ordinary files (found and scanned as such); these
databases give their original path and deletion time. A trash database is read as a
container (kind `android-trash`, recognised by its schema) whose members are the
trashed files it names, found beside it through its siblings (`trashed=<reference>`)
with the record as their origin; the database's own picture BLOBs are members too, as
in any SQLite database. Schemas, and how sure we are of them:

- Google Photos `databases/local_trash.db`, table `local`: `local_path` (original
  path), `trash_file_name` (the UUID name under `files/trash_files/`), `deleted_time`
  (ms), `is_video`, `media_store_id`. Confirmed from a published examination
  (deagler4n6, "Dumpster Diving in Google Photos", 2021).
- Samsung trash provider `com.samsung.android.providers.trash/databases/trash.db`,
  table `trashes` (One UI, used by Gallery and My Files): `_data` (path in the trash),
  `original_path`, `date_deleted`, `date_expires`, `_display_name`, `sec_media_id`.
  Confirmed from a published examination (bebinary4n6, 2026); time unit (s or ms) not
  stated: both are accepted.
- Samsung Gallery `com.sec.android.gallery3d/databases/local.db`, table `trash`:
  `__absPath` (path in `.Trash`), `__originPath`, `__deleteTime` (ms), `__Title`.
  UNCONFIRMED column names (recalled from cheeky4n6monkey, 2022; not re-read here).
"""

from __future__ import annotations

import posixpath
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from scanner.errors import EvidenceError
from scanner.evidence.containers.android_media_store import ancestors
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    member_value,
)
from scanner.evidence.containers.cache_common import iso_time
from scanner.evidence.streams import Stream, read_all

MAX_ROWS = 1_000_000
SIGNATURE = b"SQLite format 3\x00"
MAX_DATABASE = 512 << 20
SCHEMA_BYTES = 256 << 10  # where a trash table's column names are looked for
MARKS = ((b"trash_file_name", b"local_path"), (b"trashes", b"original_path"), (b"__originPath",))
# where shared storage (/storage/emulated/0) is in an extraction or a userdata image
STORAGE = ("/storage/emulated/0/", "/storage/self/primary/", "/sdcard/", "/data/media/0/")
STORAGE_IN_EVIDENCE = ("data/media/0/", "media/0/", "sdcard/", "storage/emulated/0/")
SEARCHED = 8  # records looked for under every candidate root before keeping to the one found
SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class TrashRecord:
    """One trashed file as its database describes it."""

    store: str  # google-photos-trash, samsung-trash-provider, samsung-gallery-trash
    trashed: str  # the file's path or name in the trash (what the join matches)
    original_path: str
    deleted: float | None  # POSIX seconds
    expires: float | None = None
    media_id: str = ""

    def origin(self) -> dict[str, str]:
        """The `origin` a trashed item gets when joined to this record."""
        fields = {
            "store": self.store,
            "entry": self.trashed,
            "original_path": self.original_path,
            "deleted": iso_time(self.deleted),
            "expires": iso_time(self.expires),
            "media_store_id": self.media_id,
        }
        return {k: v for k, v in fields.items() if v}


# store, table, (trashed, original, deleted, expires, media id) columns
SCHEMAS = (
    (
        "google-photos-trash",
        "local",
        ("trash_file_name", "local_path", "deleted_time", None, "media_store_id"),
    ),
    (
        "samsung-trash-provider",
        "trashes",
        ("_data", "original_path", "date_deleted", "date_expires", "sec_media_id"),
    ),
    ("samsung-gallery-trash", "trash", ("__absPath", "__originPath", "__deleteTime", None, None)),
)


def trash_records(db_bytes: bytes) -> list[TrashRecord]:
    """Every trash record of a SQLite database of a known trash schema (empty if the
    database is of none); EvidenceError if it is not a readable SQLite database."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(db_bytes)
        tables = {
            row[0]: _columns(connection, row[0])
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        records: list[TrashRecord] = []
        for store, table, columns in SCHEMAS:
            needed = [c for c in columns[:3] if c]
            if table in tables and all(c in tables[table] for c in needed):
                records.extend(_rows(connection, store, table, columns, tables[table]))
        return records
    except sqlite3.Error as exc:
        raise EvidenceError(f"trash database unreadable: {exc}") from exc
    finally:
        connection.close()


def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
    quoted = table.replace('"', '""')
    return {row[1] for row in connection.execute(f'PRAGMA table_info("{quoted}")')}


def _rows(
    connection: sqlite3.Connection,
    store: str,
    table: str,
    columns: tuple[str | None, ...],
    present: set[str],
) -> list[TrashRecord]:
    chosen = [f'"{c}"' if c and c in present else "NULL" for c in columns]
    sql = f'SELECT {", ".join(chosen)} FROM "{table}" LIMIT {MAX_ROWS}'
    records = []
    for trashed, original, deleted, expires, media in connection.execute(sql):
        records.append(
            TrashRecord(
                store,
                _text(trashed),
                _text(original),
                _seconds(deleted),
                _seconds(expires),
                _text(media),
            )
        )
    return records


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value[:4096].decode("utf-8", "backslashreplace")
    return str(value)[:4096]


def _seconds(value: object) -> float | None:
    """A time in seconds or milliseconds since 1970 as seconds (None if not a number)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int | float) or value <= 0:
        return None
    return value / 1000 if value > 1e11 else float(value)


# the trash folders of each store, as they appear in a file's path
TRASH_FOLDERS = (
    ("google-photos-trash", r"/com\.google\.android\.apps\.photos/files/trash_files/"),
    ("samsung-gallery-trash", r"/Android/data/com\.sec\.android\.gallery3d/files/\.Trash/"),
    ("samsung-trash-provider", r"/Android/\.Trash/[^/]+/"),
)
TRASHED = [(store, re.compile(folder + r"([^/]+)$")) for store, folder in TRASH_FOLDERS]
TRASHED_NOTE = "in a trash folder: deleted by the user; the trash database names its original path"


def trash_folder_origin(path: str) -> dict[str, str] | None:
    """The origin a file has for being in a trash folder (the trash database's member
    for it, when the database is found, gives the original path), or None."""
    for store, folder in TRASHED:
        found = folder.search(path[-4096:])
        if found:
            return {"store": store, "entry": found.group(1)[:256], "note": TRASHED_NOTE}
    return None


class TrashDatabase(Container):
    """A trash database whose members are the trashed files beside it."""

    kind: ClassVar[str] = "android-trash"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        if not head.startswith(SIGNATURE):
            return False
        schema = stream.read(0, min(stream.size, SCHEMA_BYTES))
        return any(all(mark in schema for mark in marks) for marks in MARKS)

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        # imported here: importing it at the top would register it before this container
        from scanner.evidence.containers.sqlite_container import SqliteContainer

        self._records = trash_records(read_all(stream, MAX_DATABASE))
        self._blobs = SqliteContainer(stream, options)
        self._found: tuple[str, str] | None = None  # (root, storage) where a file was found
        self._searched = 0

    def members(self) -> Iterator[Member | Problem]:
        missing = 0
        for record in self._records:
            reference = self._find(record)
            if reference is None:
                missing += 1
                continue
            name = SAFE.sub("_", posixpath.basename(record.original_path))[:120] or "trashed"
            size = self.siblings.open(reference).size
            yield Member(f"trashed={reference}", name, size, origin=record.origin())
        if missing:
            yield Problem(
                f"{missing} of {len(self._records)} trashed files it names not"
                " found beside it (purged, or not in the evidence)"
            )
        yield from self._blobs.members()

    def open(self, value: str) -> Stream:
        if value.startswith("trashed="):
            return self.siblings.open(member_value(value, "trashed="))
        return self._blobs.open(value)

    def _find(self, record: TrashRecord) -> str | None:
        """The reference of the trashed file a record names, or None."""
        if record.store == "google-photos-trash":  # a UUID name in files/trash_files/
            name = record.trashed
            if not name or "/" in name or name in (".", ".."):
                return None
            return self.siblings.find(f"../files/trash_files/{name}")
        rest = next((record.trashed[len(p) :] for p in STORAGE if record.trashed.startswith(p)), "")
        if not rest:
            return None
        if self._found is not None:
            root, storage = self._found
            found = self.siblings.find(f"{root}{storage}{rest}")
            if found is not None:
                return found
        if self._searched >= SEARCHED:
            return None
        self._searched += 1
        for root in ancestors(self.siblings.path or "/"):
            for storage in STORAGE_IN_EVIDENCE:
                found = self.siblings.find(f"{root}{storage}{rest}")
                if found is not None:
                    self._found = (root, storage)
                    return found
        return None


CONTAINERS.add("android-trash", TrashDatabase, "Android trash database (Google Photos, Samsung)")
