"""MediaStore external.db: {_id -> _data} from a database built with the AOSP `files`
columns; other databases give nothing, garbage is a clear error, and an origin that
already names its original keeps it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scanner.errors import EvidenceError
from scanner.evidence.containers.android_media_store import ancestors, attribute, media_paths


def database(path: Path, schema: str, rows: list[tuple[object, ...]]) -> bytes:
    with sqlite3.connect(path) as db:
        db.execute(schema)
        db.executemany(f"INSERT INTO files VALUES ({', '.join('?' * len(rows[0]))})", rows)
    db.close()
    return path.read_bytes()


def test_ids_map_to_file_paths(tmp_path: Path) -> None:
    data = database(
        tmp_path / "external.db",
        "CREATE TABLE files (_id INTEGER PRIMARY KEY, _data TEXT, _size INTEGER)",
        [(3, "/storage/emulated/0/DCIM/a.jpg", 10), (4, None, 0), (5, b"\xff", 1)],
    )
    assert media_paths(data) == {"3": "/storage/emulated/0/DCIM/a.jpg"}
    origin = {"store": "android-thumbdata", "media_store_id": "3"}
    joined = attribute(origin, media_paths(data), "/x/external.db")
    assert joined["original_path"] == "/storage/emulated/0/DCIM/a.jpg"
    assert joined["original_path_basis"] == "MediaStore /x/external.db: files._data of _id 3"
    kept = {**origin, "original_path": "/kept"}
    assert attribute(kept, media_paths(data), "db") is kept
    assert attribute({"store": "x"}, media_paths(data), "db") == {"store": "x"}


def test_other_databases_and_garbage(tmp_path: Path) -> None:
    other = database(tmp_path / "o.db", "CREATE TABLE files (name TEXT)", [("a",)])
    assert media_paths(other) == {}
    with pytest.raises(EvidenceError, match="external.db unreadable"):
        media_paths(b"SQLite format 3\x00" + b"\xff" * 3000)


def test_ancestors_nearest_first() -> None:
    assert list(ancestors("/a/b/c.db")) == ["/a/b/", "/a/", "/"]
    assert list(ancestors("/c.db")) == ["/"]
