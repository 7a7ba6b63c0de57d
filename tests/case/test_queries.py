"""What the stages, the report and the review read back from a real SQLite case."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from scanner.case import queries, review_queries
from scanner.case.database import CaseDatabase, open_readonly
from scanner.case.writer import store_analysis
from scanner.types import BlobAnalysis, Face
from tests.report.report_case import add_item, fill_case

SHA = "ab" * 32
FACE = Face(
    idx=0,
    box=(1.0, 2.0, 30.0, 40.0),
    landmarks=((5.0, 6.0),) * 5,
    score=0.99,
    embedding=b"\0" * 16,
    embed_model="dlib-resnet-v1",
    deepfake=0.1,
    consistency=0.2,
    source_set="victims",
    source_label="A",
    source_reference="a/1.jpg",
    source_correlation=0.7,
    face_pdq="f" * 64,
    face_pdq_quality=90,
    apparent_age=15.5,
    apparent_age_spread=3.25,
    minor_probability=0.6,
    age_model="dlib-age-v1",
)


def stored_face(folder: Path) -> CaseDatabase:
    db = CaseDatabase(folder)
    evidence = db.add_evidence("/e/disk.E01", "disk.E01", "ewf", 1, [], {}, {})
    db.add_blob(SHA, "0" * 32, "0" * 40, 100, "image/jpeg")
    add_item(db, evidence, SHA, "image/jpeg", locator="ewf:disk.E01 > ext4:inode=12", path="/a")
    store_analysis(db, BlobAnalysis(SHA, faces=(FACE,), thumbnail=b"\xff\xd8\xff thumb"))
    return db


def test_triage_reads_every_face_attribute_but_geometry_and_embedding(tmp_path: Path) -> None:
    db = stored_face(tmp_path)
    (face,) = queries.triage_records(db).faces[SHA]
    expected = {k: v for k, v in asdict(FACE).items() if k not in ("box", "landmarks", "embedding")}
    assert face == {"sha256": SHA, **expected}
    assert {f.name for f in fields(Face)} - set(face) == {"box", "landmarks", "embedding"}
    db.close()


def test_report_rows_group_a_blobs_rows_without_their_sha256(tmp_path: Path) -> None:
    db = stored_face(tmp_path)
    rows = queries.report_rows(db)
    assert [blob["sha256"] for blob in rows.blobs] == [SHA]
    (face,) = rows.by_blob["faces"][SHA]
    assert "sha256" not in face and face["apparent_age"] == 15.5
    assert [item["path"] for item in rows.by_blob["items"][SHA]] == ["/a"]
    assert rows.by_blob["matches"] == {} and rows.decisions == []
    assert [e["name"] for e in rows.evidence] == ["disk.E01"]
    db.close()


def test_review_reads_on_a_connection_that_cannot_write(tmp_path: Path) -> None:
    built = fill_case(tmp_path / "case")
    built.db.commit()
    conn = open_readonly(built.folder)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM blobs")
    items = review_queries.item_blobs(conn, sorted(built.pictures))
    assert sorted(set(items.values())) == sorted(built.pictures)
    key, sha256 = next(iter(items.items()))
    assert review_queries.item_blob(conn, key) == sha256
    assert review_queries.item_blob(conn, "1:no such locator") is None
    assert review_queries.item_blob(conn, "x:" + key) is None
    found = review_queries.blob(conn, sha256)
    assert found is not None and key in [loc["key"] for loc in found["locations"]]
    assert review_queries.blob(conn, "0" * 64) is None
    assert review_queries.thumbnail(conn, sha256) is None  # fill_case stores no thumbnails
    conn.close()
    built.db.close()


def test_review_finds_a_faces_source_photo_and_the_stored_thumbnail(tmp_path: Path) -> None:
    stored_face(tmp_path).close()
    conn = open_readonly(tmp_path)
    assert review_queries.face_source(conn, SHA, 0) == ("victims", "a/1.jpg")
    assert review_queries.face_source(conn, SHA, 1) is None
    assert review_queries.thumbnail(conn, SHA) == b"\xff\xd8\xff thumb"
    conn.close()
