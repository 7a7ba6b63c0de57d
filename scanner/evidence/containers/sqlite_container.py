"""Pictures stored as BLOBs in SQLite databases (chat apps, thumbnails, caches), by `sqlite3`.

The database is read from a private copy: up to `IN_MEMORY` bytes it is copied into an
in-memory database (`deserialize`, nothing on disk); a larger one is copied to a file in
a private temporary folder (mode 0700, never next to the evidence), deleted when the
container is dropped. Either is opened read-only. A BLOB cell is a member when its first
bytes are a picture's or video's signature; it is opened by
`sqlite:table=<t>,rowid=<n>,column=<c>` (`%`, `,` and `=` in names percent-escaped) and
shown as `<table>/<rowid>/<column>`. Tables without a rowid are skipped (said so).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import unquote

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    printable,
)
from scanner.evidence.streams import BytesStream, Stream, read_chunks

SIGNATURE = b"SQLite format 3\x00"
IN_MEMORY = 512 << 20
HEAD = 16  # bytes of each BLOB compared with the signatures
VALUE = re.compile(r"^table=([^,]*),rowid=(-?\d{1,20}),column=([^,]*)$")
ROWID_NAMES = ("rowid", "_rowid_", "oid")


def is_picture(head: bytes) -> bool:
    """True if `head` starts like a JPEG, PNG, GIF, WebP, BMP or HEIC/MP4 (ftyp) file."""
    return (
        head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a"))
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or (head[:2] == b"BM" and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00")
        or head[4:8] == b"ftyp"
    )


class SqliteContainer(Container):
    kind: ClassVar[str] = "sqlite"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head.startswith(SIGNATURE)

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        try:
            self._db = _private_copy(stream)
            self._db.execute("PRAGMA query_only = 1")
            self._tables = [
                str(name)
                for (name,) in self._db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid"
                )
            ]
        except sqlite3.Error as exc:
            raise EvidenceError(f"not a readable sqlite database: {exc}") from exc

    def members(self) -> Iterator[Member | Problem]:
        for table in self._tables:
            try:
                columns = [
                    str(row[1]) for row in self._db.execute(f"PRAGMA table_info({_q(table)})")
                ]
                rowid = _rowid_name(self._db, table, columns)
                if rowid is None:
                    yield Problem(f"table {printable(table)[:80]!r} has no rowid: not searched")
                    continue
                for column in columns:
                    yield from self._blobs(table, column, rowid)
            except sqlite3.Error as exc:
                yield Problem(f"table {printable(table)[:80]!r}: {exc}")

    def _blobs(self, table: str, column: str, rowid: str) -> Iterator[Member]:
        query = (
            f"SELECT {rowid}, substr({_q(column)}, 1, {HEAD}), length({_q(column)})"
            f" FROM {_q(table)} WHERE typeof({_q(column)}) = 'blob'"
        )
        for number, head, size in self._db.execute(query):
            if is_picture(bytes(head)):
                value = f"table={_escape(table)},rowid={number},column={_escape(column)}"
                path = f"{printable(table)}/{number}/{printable(column)}"
                yield Member(value, path, int(size))

    def open(self, value: str) -> Stream:
        match = VALUE.match(value)
        if match is None:
            raise EvidenceError(
                f"sqlite step value must be table=…,rowid=…,column=…: {value[:120]!r}"
            )
        table, column = unquote(match.group(1)), unquote(match.group(3))
        number = int(match.group(2))
        try:
            columns = [str(row[1]) for row in self._db.execute(f"PRAGMA table_info({_q(table)})")]
            rowid = _rowid_name(self._db, table, columns)
            row = None
            if rowid is not None and column in columns:
                query = f"SELECT {_q(column)} FROM {_q(table)} WHERE {rowid} = ?"
                row = self._db.execute(query, (number,)).fetchone()
        except sqlite3.Error as exc:
            raise EvidenceError(f"sqlite {value[:120]!r}: {exc}") from exc
        if row is None or not isinstance(row[0], bytes):
            raise EvidenceError(f"sqlite: no BLOB at {value[:120]!r}")
        return BytesStream(row[0])


def _private_copy(stream: Stream) -> sqlite3.Connection:
    """A read-only connection to a private copy of the database's bytes."""
    if stream.size <= IN_MEMORY:
        db = sqlite3.connect(":memory:")
        db.deserialize(b"".join(read_chunks(stream)))
        return db
    folder = tempfile.mkdtemp(prefix="dftriage-sqlite-")
    path = os.path.join(folder, "copy.sqlite")  # a fixed name: nothing from the evidence
    with open(path, "wb") as out:
        for chunk in read_chunks(stream):
            out.write(chunk)
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    weakref.finalize(db, shutil.rmtree, folder, True)
    return db


def _rowid_name(db: sqlite3.Connection, table: str, columns: list[str]) -> str | None:
    """A name for the rowid not taken by a column; None for a WITHOUT ROWID table."""
    taken = {c.lower() for c in columns}
    for name in ROWID_NAMES:
        if name not in taken:
            try:
                db.execute(f"SELECT {name} FROM {_q(table)} LIMIT 0")
            except sqlite3.OperationalError:
                return None
            return name
    return None


def _q(name: str) -> str:
    """An SQL identifier quoted, whatever it holds."""
    return '"' + name.replace('"', '""') + '"'


def _escape(name: str) -> str:
    return printable(name).replace("%", "%25").replace(",", "%2C").replace("=", "%3D")


CONTAINERS.add("sqlite", SqliteContainer, "SQLite database: BLOB cells holding pictures")
