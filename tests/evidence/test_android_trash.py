"""Trash databases built from their published schemas give each trashed file's original
path and deletion time; a database of another app gives nothing; garbage is an error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scanner.errors import EvidenceError
from scanner.evidence.containers.android_trash import trash_records


def database(tmp_path: Path, schema: str, rows: list[tuple], insert: str) -> bytes:
    path = tmp_path / "trash.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(schema)
        connection.executemany(insert, rows)
    connection.close()
    return path.read_bytes()


def test_google_photos_local_trash(tmp_path: Path) -> None:
    schema = (
        "CREATE TABLE local (_id INTEGER PRIMARY KEY, local_path TEXT, trash_file_name TEXT,"
        " deleted_time INTEGER, is_video INTEGER, media_store_id INTEGER,"
        " media_store_values BLOB);"
    )
    rows = [
        (
            "/storage/emulated/0/DCIM/Camera/IMG_1.jpg",
            "125a9db3-3d3c-49b7-8bde-5015d30bf229",
            1_610_400_000_123,
            0,
            41,
        ),
        ("/storage/emulated/0/Pictures/x.mp4", "9b1c", 1_610_400_100_000, 1, None),
    ]
    insert = (
        "INSERT INTO local (local_path, trash_file_name, deleted_time, is_video, media_store_id)"
        " VALUES (?, ?, ?, ?, ?)"
    )
    records = trash_records(database(tmp_path, schema, rows, insert))
    assert [(r.store, r.trashed, r.original_path, r.media_id) for r in records] == [
        ("google-photos-trash", rows[0][1], rows[0][0], "41"),
        ("google-photos-trash", "9b1c", rows[1][0], ""),
    ]
    assert records[0].deleted == pytest.approx(1_610_400_000.123)
    origin = records[0].origin()
    assert origin["deleted"] == "2021-01-11T21:20:00+00:00"
    assert origin["original_path"] == rows[0][0] and origin["store"] == "google-photos-trash"


def test_samsung_trash_provider(tmp_path: Path) -> None:
    schema = (
        "CREATE TABLE trashes (_id INTEGER PRIMARY KEY, _data TEXT, original_path TEXT,"
        " media_id INTEGER, sec_media_id INTEGER, is_cloud INTEGER, volume_name TEXT,"
        " title TEXT, _display_name TEXT, _size INTEGER, mime_type TEXT, media_type INTEGER,"
        " datetaken INTEGER, date_expires INTEGER, date_deleted INTEGER, user_id INTEGER);"
    )
    rows = [
        (
            "/storage/emulated/0/Android/.Trash/com.sec.android.gallery3d/abc",
            "/storage/emulated/0/DCIM/a.jpg",
            77,
            1_700_000_000,
            1_702_592_000,
        )
    ]
    insert = "INSERT INTO trashes (_data, original_path, sec_media_id, date_deleted, date_expires) VALUES (?, ?, ?, ?, ?)"
    (record,) = trash_records(database(tmp_path, schema, rows, insert))
    assert record.store == "samsung-trash-provider"
    assert (record.trashed, record.original_path, record.media_id) == (rows[0][0], rows[0][1], "77")
    assert record.deleted == 1_700_000_000 and record.expires == 1_702_592_000


def test_samsung_gallery_local_db_trash(tmp_path: Path) -> None:
    schema = (
        "CREATE TABLE trash (__absID INTEGER, __absPath TEXT, __Title TEXT, __originPath TEXT,"
        " __originTitle TEXT, __deleteTime INTEGER, __restoreExtra TEXT);"
        "CREATE TABLE log (__category TEXT, __timestamp TEXT, __log TEXT);"
    )
    rows = [
        (
            "/storage/emulated/0/Android/data/com.sec.android.gallery3d/files/.Trash/x1",
            "/storage/emulated/0/DCIM/Camera/b.jpg",
            1_640_000_000_000,
        )
    ]
    insert = "INSERT INTO trash (__absPath, __originPath, __deleteTime) VALUES (?, ?, ?)"
    (record,) = trash_records(database(tmp_path, schema, rows, insert))
    assert record.store == "samsung-gallery-trash" and record.original_path == rows[0][1]
    assert record.deleted == 1_640_000_000


def test_a_database_of_another_app_has_no_trash_records(tmp_path: Path) -> None:
    schema = "CREATE TABLE trash (id INTEGER, name TEXT); CREATE TABLE local (x TEXT);"
    assert (
        trash_records(database(tmp_path, schema, [(1, "n")], "INSERT INTO trash VALUES (?, ?)"))
        == []
    )


def test_garbage_and_hostile_values(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="trash database unreadable"):
        trash_records(b"SQLite format 3\0" + bytes(200))
    schema = "CREATE TABLE local (local_path BLOB, trash_file_name TEXT, deleted_time TEXT);"
    rows = [(b"/sd/\xff\xfe.jpg", "t", "not a time"), (None, None, -5)]
    insert = "INSERT INTO local VALUES (?, ?, ?)"
    records = trash_records(database(tmp_path, schema, rows, insert))
    assert records[0].original_path == "/sd/\\xff\\xfe.jpg" and records[0].deleted is None
    assert records[1].original_path == "" and records[1].deleted is None
