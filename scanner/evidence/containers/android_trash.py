"""Android trash databases: where a trashed file came from and when it was trashed.

The trashed files themselves are ordinary files (found and scanned as such); these
databases give their original path and deletion time, to be joined to them by the
caller (docs/caches-android-browser.md). Schemas, and how sure we are of them:

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

import sqlite3
from dataclasses import dataclass

from scanner.errors import EvidenceError
from scanner.evidence.containers.cache_common import iso_time

MAX_ROWS = 1_000_000


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
