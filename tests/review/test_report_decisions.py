"""Decisions in every report, and kept by a re-scan of the case (a real `dftriage scan`)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from scanner.case import decisions
from scanner.report.writers import write_reports
from tests.report.report_case import Case, picture


def decide_some(case: Case) -> tuple[str, str]:
    blobs = [row[0] for row in case.db.rows("SELECT sha256 FROM findings ORDER BY priority")]
    flagged, plain = blobs[0], next(sha for sha in case.pictures if sha not in blobs)
    conn = case.db.conn
    decisions.record(conn, "kim", "blob", flagged, "confirm", overrides={"priority": 1})
    decisions.record(conn, "kim", "blob", flagged, "category", value="3")
    decisions.record(conn, "kim", "face", f"{flagged}/0", "victim", value="A. <i>Victim</i>")
    decisions.record(conn, "lee", "finding", f"{flagged}/victim-nude", "second-look")
    decisions.record(conn, "lee", "blob", plain, "note", note="=cmd|' /C calc'!A0")
    return flagged, plain


def test_every_report_carries_the_decisions(case: Case) -> None:
    flagged, plain = decide_some(case)
    write_reports(case.db, case.folder, thumbnails=case.thumbnail)
    report = json.loads((case.folder / "report.json").read_text("utf-8"))
    assert [d["decision"] for d in report["decisions"]] == [
        "confirm",
        "category",
        "victim",
        "second-look",
        "note",
    ]
    assert report["decisions"][0]["overrides"] == {"priority": 1}
    assert [b["priority"] for b in report["blobs"]] == [1, 2, None]  # the scanner's, unchanged
    vics = {r["SHA1"]: r for r in json.loads((case.folder / "vics.json").read_text())["value"]}
    assert len(vics) == 3  # the plain picture is in because the examiner noted it
    record = next(r for r in vics.values() if r["AlternativeHashes"][0]["HashValue"] == flagged)
    assert record["Category"] == 3 and record["VictimIdentified"] is True
    assert "kim" in record["Comments"] and "A. <i>Victim</i>" in record["Comments"]
    graph = json.loads((case.folder / "case.jsonld").read_text())["@graph"]
    notes = [n for n in graph if n.get("uco-core:name") == "examiner decision"]
    assert len(notes) == 5 and all(n["uco-core:object"] for n in notes)
    page = (case.folder / "report.html").read_text("utf-8")
    assert page.count('<span class="mark') >= 4 and "A. &lt;i&gt;Victim&lt;/i&gt;" in page
    inventory = (case.folder / "report" / "items-0001.html").read_text("utf-8")
    assert "note: =cmd|&#39; /C calc&#39;!A0" in inventory
    if shutil.which("case_validate"):
        check = subprocess.run(
            ["case_validate", str(case.folder / "case.jsonld")], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr


def scan(evidence: Path, case: Path) -> None:
    command = [sys.executable, "-m", "scanner", "scan", str(evidence), "--case", str(case)]
    done = subprocess.run([*command, "--no-models"], capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr


def test_a_rescan_keeps_the_decisions(tmp_path: Path) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    (seized / "a.jpg").write_bytes(picture((200, 10, 10), "JPEG", size=(320, 240)))
    (seized / "b.png").write_bytes(picture((10, 200, 10), "PNG", size=(320, 240)))
    case = tmp_path / "case"
    scan(seized, case)
    with sqlite3.connect(case / "case.sqlite") as conn:
        sha256 = conn.execute("SELECT sha256 FROM blobs ORDER BY sha256 LIMIT 1").fetchone()[0]
        decisions.record(conn, "kim", "blob", sha256, "reject", note="holiday photo")
    (seized / "c.jpg").write_bytes(picture((10, 10, 200), "JPEG", size=(320, 240)))
    scan(seized, case)
    with sqlite3.connect(case / "case.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 3  # it did rescan
        kept = decisions.all_decisions(conn)
    assert [(d["target_key"], d["decision"], d["note"]) for d in kept] == [
        (sha256, "reject", "holiday photo")
    ]
    report = json.loads((case / "report.json").read_text("utf-8"))
    assert [d["target_key"] for d in report["decisions"]] == [sha256]
    assert "holiday photo" in (case / "report" / "items-0001.html").read_text("utf-8")
