"""make_thumbnail limits, and `dftriage report CASE_DIR`."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from PIL import Image

from scanner.case.database import CaseDatabase
from scanner.commands import report as report_command
from scanner.errors import CaseError
from scanner.report.thumbnails import make_thumbnail
from tests.report.report_case import FINDING_INSERT, Case, add_blob, add_item, picture


def test_thumbnail_is_a_small_jpeg() -> None:
    data = make_thumbnail(picture((10, 20, 30), "PNG", size=(640, 320)))
    assert data is not None and data.startswith(b"\xff\xd8\xff")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and max(image.size) == 160


def test_thumbnail_refuses_garbage_and_bombs() -> None:
    assert make_thumbnail(b"\xff\xd8\xff\xe0 not really a jpeg") is None
    assert make_thumbnail(picture((1, 2, 3), "PNG", size=(100, 100)), max_pixels=9_999) is None
    bomb = io.BytesIO()
    Image.new("1", (12_000, 5_000)).save(bomb, format="PNG")  # 60 Mpixel in a few kB
    assert make_thumbnail(bomb.getvalue()) is None


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    report_command.add_arguments(parser)
    return parser.parse_args(argv)


def test_report_command_regenerates(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    case.db.commit()
    assert report_command.run(_parse(str(case.folder), "--no-thumbnails")) == 0
    printed = capsys.readouterr().out.split()
    assert printed[-1] == str(case.folder / "manifest.sha256")
    assert (case.folder / "report.html").is_file()
    assert "data:image/jpeg" not in (case.folder / "report.html").read_text("utf-8")


def test_report_command_needs_a_case(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="case.sqlite"):
        report_command.run(_parse(str(tmp_path / "nothing")))
    assert not (tmp_path / "nothing").exists()


def test_report_command_reads_thumbnails_and_exports_from_evidence(tmp_path: Path) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    content = picture((200, 10, 10), "JPEG", size=(400, 300))
    (seized / "photo.jpg").write_bytes(content)
    case_dir = tmp_path / "case"
    db = CaseDatabase(case_dir)
    evidence = db.add_evidence(str(seized), "seized", "folder", len(content), [], {}, {})
    sha256 = add_blob(db, content, "image/jpeg")
    add_item(
        db,
        evidence,
        sha256,
        "image/jpeg",
        locator="folder:seized > file:photo.jpg",
        path="photo.jpg",
    )
    db.execute(FINDING_INSERT + "(?, 'r', 1, 'c', 'reason')", (sha256,))
    db.close()
    assert report_command.run(_parse(str(case_dir), "--export")) == 0
    assert (case_dir / "export" / f"{sha256}.jpg").read_bytes() == content
    assert "data:image/jpeg;base64," in (case_dir / "report.html").read_text("utf-8")
