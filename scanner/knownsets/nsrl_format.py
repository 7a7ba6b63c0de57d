"""NSRL RDS: v3 SQLite (table FILE) and the legacy NSRLFile.txt CSV; imported as known-good."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from scanner.errors import KnownSetError
from scanner.knownsets.hexutil import optional_hash
from scanner.knownsets.model import ReadOptions, Record, Rejection

SQLITE_MAGIC = b"SQLite format 3\x00"
V3_COLUMNS = ("sha256", "sha1", "md5", "file_name", "file_size", "package_id")
LEGACY_HEADER = ("sha-1", "md5", "crc32", "filename", "filesize", "productcode")


def sniff(head: bytes) -> bool:
    if head.startswith(SQLITE_MAGIC):
        return True
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace")
    return first.replace('"', "").lower().startswith("sha-1,md5,crc32,filename")


def read(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
    with open(path, "rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        yield from _read_v3(path, options)
    else:
        yield from _read_legacy(path, options)


def _read_v3(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise KnownSetError(f"{path}: cannot open as SQLite: {exc}") from exc
    try:
        columns = _v3_columns(path, db)
        query = f"SELECT rowid, {', '.join(columns)} FROM FILE"  # noqa: S608 - fixed names
        for rowid, sha256, sha1, md5, name, _size, package in db.execute(query):
            yield _v3_record(rowid, sha256, sha1, md5, name, package, options)
    except sqlite3.DatabaseError as exc:
        raise KnownSetError(f"{path}: NSRL database unreadable: {exc}") from exc
    finally:
        db.close()


def _v3_columns(path: Path, db: sqlite3.Connection) -> tuple[str, ...]:
    tables = {
        row[0].upper() for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    if "FILE" not in tables:
        raise KnownSetError(
            f"{path}: not an NSRL RDS v3 database: no FILE table (tables: {', '.join(sorted(tables)) or 'none'})"
        )
    have = {row[1].lower() for row in db.execute("PRAGMA table_info(FILE)")}
    missing = [c for c in V3_COLUMNS if c not in have]
    if missing:
        raise KnownSetError(
            f"{path}: not an NSRL RDS v3 database: table FILE lacks column(s) {', '.join(missing)}"
        )
    return V3_COLUMNS


def _v3_record(
    rowid: int,
    sha256: str | None,
    sha1: str | None,
    md5: str | None,
    name: str | None,
    package: object,
    options: ReadOptions,
) -> Record | Rejection:
    where = f"FILE row {rowid}"
    try:
        hashes = {
            "sha256": optional_hash(sha256, "sha256"),
            "sha1": optional_hash(sha1, "sha1"),
            "md5": optional_hash(md5, "md5"),
        }
    except ValueError as exc:
        return Rejection(where, str(exc))
    if not any(hashes.values()):
        return Rejection(where, "no hash in the row")
    return Record(
        md5=hashes["md5"],
        sha1=hashes["sha1"],
        sha256=hashes["sha256"],
        category=options.category,
        label=str(name) if name is not None else options.label,
        entry_id=str(package) if package is not None else "",
        where=where,
    )


def _read_legacy(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        rows = csv.reader(handle)
        header = [h.strip().lower() for h in next(rows, [])]
        if tuple(header[: len(LEGACY_HEADER)]) != LEGACY_HEADER:
            raise KnownSetError(
                f"{path}: not an NSRL file: line 1 should start with "
                f'"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode", got {header[:6]}'
            )
        for row in rows:
            where = f"line {rows.line_num}"
            if len(row) < len(LEGACY_HEADER):
                yield Rejection(
                    where, f"expected at least {len(LEGACY_HEADER)} fields, got {len(row)}"
                )
                continue
            try:
                sha1, md5 = optional_hash(row[0], "sha1"), optional_hash(row[1], "md5")
            except ValueError as exc:
                yield Rejection(where, str(exc))
                continue
            yield Record(
                sha1=sha1,
                md5=md5,
                category=options.category,
                label=row[3] or options.label,
                entry_id=row[5],
                where=where,
            )
