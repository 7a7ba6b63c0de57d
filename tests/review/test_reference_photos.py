"""A face's source photo shown from its victim set's folder: never a path outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.case.database import CaseDatabase, open_readonly
from scanner.case.writer import store_analysis
from scanner.knownsets import build_victims
from scanner.report.content import reference_thumbnail
from scanner.review import detail
from scanner.types import BlobAnalysis, Face
from tests.report.report_case import picture

SHA = "cd" * 32


@pytest.fixture
def victims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real victim set `refs` (built from DIR/<victim>/ pictures) in a private data home."""
    monkeypatch.setenv("DFTRIAGE_HOME", str(tmp_path / "home"))
    folder = tmp_path / "victims"
    (folder / "P01").mkdir(parents=True)
    (folder / "P01" / "a.jpg").write_bytes(picture((200, 30, 30), "JPEG", (320, 240)))
    (tmp_path / "outside.jpg").write_bytes(picture((30, 30, 200), "JPEG"))
    build_victims(folder, "refs")
    return folder


def test_a_reference_photo_is_read_from_its_sets_folder_only(victims: Path) -> None:
    thumbnail = reference_thumbnail("refs", "P01/a.jpg")
    assert thumbnail is not None and thumbnail.startswith(b"\xff\xd8\xff")
    assert reference_thumbnail("refs", "../outside.jpg") is None
    assert reference_thumbnail("refs", "P01/gone.jpg") is None
    assert reference_thumbnail("no-such-set", "P01/a.jpg") is None


def test_the_review_shows_the_reference_a_face_was_traced_to(victims: Path, tmp_path: Path) -> None:
    db = CaseDatabase(tmp_path / "case")
    db.add_blob(SHA, "0" * 32, "0" * 40, 100, "image/jpeg")
    traced = Face(0, (1.0, 2.0, 3.0, 4.0), (), 0.9, source_set="refs", source_reference="P01/a.jpg")
    hostile = Face(
        1, (1.0, 2.0, 3.0, 4.0), (), 0.9, source_set="refs", source_reference="../outside.jpg"
    )
    store_analysis(db, BlobAnalysis(SHA, faces=(traced, hostile, Face(2, (0.0,) * 4, (), 0.5))))
    db.close()
    conn = open_readonly(tmp_path / "case")
    assert detail.reference_thumbnail(conn, SHA, 0) == reference_thumbnail("refs", "P01/a.jpg")
    assert detail.reference_thumbnail(conn, SHA, 1) is None
    assert detail.reference_thumbnail(conn, SHA, 2) is None  # traced to no photo
    assert detail.reference_thumbnail(conn, SHA, 9) is None  # no such face
    conn.close()
