"""The file reports: JSON stability, CSV safety, VICS shape, DFXML, manifest, registry."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from scanner.case.database import CaseDatabase
from scanner.report.csv_writer import COLUMNS, neutralise
from scanner.report.model import build_report
from scanner.report.registry import WRITERS
from scanner.report.vics_writer import ODATA_CONTEXT
from scanner.report.writers import write_reports
from tests.hashes import file_sha256
from tests.report.report_case import CARVED_RUNS, FORMULA_PATH, HOSTILE_PATH, Case

EXPECTED = {
    "report.json",
    "findings.csv",
    "vics.json",
    "case.jsonld",
    "dfxml.xml",
    "report.html",
    "manifest.sha256",
}


def test_writes_every_report_manifest_last(case: Case) -> None:
    written = write_reports(case.db, case.folder, thumbnails=case.thumbnail)
    assert {p.name for p in written} == EXPECTED
    assert written[-1].name == "manifest.sha256"
    assert all(p.parent == case.folder for p in written)


def test_writers_run_in_a_pool_write_the_same_bytes(case: Case, tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from scanner.report.content import ContentSource

    for sha256 in case.pictures:  # thumbnails stored as a scan stores them
        case.db.execute(
            "UPDATE blobs SET thumbnail = ? WHERE sha256 = ?", (case.thumbnail(sha256), sha256)
        )
    source = ContentSource(case.db)
    alone = write_reports(case.db, case.folder, source.thumbnail, None, source.reference_thumbnail)
    expected = {p.name: p.read_bytes() for p in alone}
    for path in alone:
        path.unlink()
    with ProcessPoolExecutor(2) as pool:
        pooled = write_reports(
            case.db, case.folder, source.thumbnail, None, source.reference_thumbnail, pool
        )
    assert [p.name for p in pooled] == [p.name for p in alone]
    assert {p.name: p.read_bytes() for p in pooled} == expected
    assert b"data:image/jpeg;base64," in expected["report.html"]


def test_empty_case_writes_every_report(tmp_path: Path) -> None:
    db = CaseDatabase(tmp_path)
    try:
        written = write_reports(db, tmp_path)
    finally:
        db.close()
    assert {p.name for p in written} == EXPECTED
    assert json.loads((tmp_path / "vics.json").read_text("utf-8"))["value"] == []
    page = (tmp_path / "report.html").read_text("utf-8").lower()
    for reference in ("http:", "https:", "//", "url(", "@import", "src="):
        assert reference not in page


def test_two_writes_are_byte_identical(case: Case, tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in write_reports(case.db, case.folder, case.thumbnail)}
    other = tmp_path / "again"
    other.mkdir()
    second = {p.name: p.read_bytes() for p in write_reports(case.db, other, case.thumbnail)}
    assert first == second
    assert json.loads(first["report.json"]) == json.loads(json.dumps(build_report(case.db)))


def test_report_json_is_the_model(case: Case) -> None:
    write_reports(case.db, case.folder)
    report = json.loads((case.folder / "report.json").read_text("utf-8"))
    assert report["schema"] == "dftriage-report/1"
    assert [b["priority"] for b in report["blobs"]] == [1, 2, None]
    assert report["summary"]["carved"] == 1 and report["summary"]["deleted"] == 2
    assert HOSTILE_PATH in {loc["path"] for b in report["blobs"] for loc in b["locations"]}


def test_csv_neutralises_formulas(case: Case) -> None:
    write_reports(case.db, case.folder)
    text = (case.folder / "findings.csv").read_text("utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    assert tuple(rows[0]) == COLUMNS
    body = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    assert len(body) == 3  # P1 finding x 2 locations + P2 finding x 1 location
    assert "'" + FORMULA_PATH in {row["path"] for row in body}
    assert HOSTILE_PATH in {row["path"] for row in body}
    assert {row["reason"] for row in body if row["priority"] == "2"} == {
        "'+MD5 match in vics-local (Series X)"
    }
    for row in body:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    carved = [row for row in body if row["carved"] == "yes"]
    assert carved[0]["byte_runs"] == "0x3000+4096, 0x5000+1000"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        (None, ""),
        (3, "3"),
    ],
)
def test_neutralise(value: object, expected: str) -> None:
    assert neutralise(value) == expected


def test_vics_shape(case: Case) -> None:
    write_reports(case.db, case.folder)
    document = json.loads((case.folder / "vics.json").read_text("utf-8"))
    assert document["@odata.context"] == ODATA_CONTEXT
    media = document["value"]
    assert [m["MediaID"] for m in media] == [1, 2]  # the unflagged blob is left out
    blobs = {b["sha256"]: b for b in build_report(case.db)["blobs"]}
    for record in media:
        blob = next(b for b in blobs.values() if b["md5"].upper() == record["MD5"])
        assert record["SHA1"] == blob["sha1"].upper()
        assert record["MediaSize"] == blob["size"]
        assert record["IsPrecategorized"] is False
        assert isinstance(record["Category"], int)
        assert isinstance(record["Series"], str) and isinstance(record["Tags"], str)
        assert {"HashName": "SHA256", "HashValue": blob["sha256"]} in record["AlternativeHashes"]
    victim, known = media
    assert victim["VictimIdentified"] is True and victim["Category"] == 0
    assert {f["FilePath"] for f in victim["MediaFiles"]} == {HOSTILE_PATH, FORMULA_PATH}
    assert known["Category"] == 1 and known["Series"] == "Series X"
    assert {"HashName": "PDQ", "HashValue": "f" * 64} in known["AlternativeHashes"]


def test_dfxml_carries_byte_runs(case: Case) -> None:
    write_reports(case.db, case.folder)
    root = ET.parse(case.folder / "dfxml.xml").getroot()
    ns = {"d": "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"}
    assert root.tag == f"{{{ns['d']}}}dfxml"
    objects = root.findall("d:fileobject", ns)
    assert len(objects) == 1
    carved = objects[0]
    assert carved.findtext("d:filename", namespaces=ns).endswith("runs=0x3000+4096,0x5000+1000")
    runs = [
        (int(r.get("img_offset")), int(r.get("len")), int(r.get("file_offset")))
        for r in carved.findall("d:byte_runs/d:byte_run", ns)
    ]
    assert runs == [(12288, 4096, 0), (20480, 1000, 4096)]
    assert [list(r[:2]) for r in runs] == CARVED_RUNS
    digests = {h.get("type"): h.text for h in carved.findall("d:hashdigest", ns)}
    content = next(data for data in case.pictures.values() if data.startswith(b"\x89PNG"))
    assert digests["sha256"] == hashlib.sha256(content).hexdigest()


def test_dfxml_survives_control_characters(case: Case) -> None:
    case.db.execute("UPDATE items SET locator = locator || ? WHERE carved = 1", ("\x01\x1b",))
    write_reports(case.db, case.folder)
    root = ET.parse(case.folder / "dfxml.xml").getroot()
    assert "\\x01\\x1b" in "".join(root.itertext())


def test_manifest_lists_every_file_with_its_hash(case: Case) -> None:
    written = write_reports(case.db, case.folder, thumbnails=case.thumbnail)
    lines = (case.folder / "manifest.sha256").read_text("utf-8").splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    companions = {p.relative_to(case.folder).as_posix() for p in case.folder.rglob("report/*/*")}
    companions |= {p.relative_to(case.folder).as_posix() for p in case.folder.glob("report/*.html")}
    assert len(companions) == 4  # one inventory page, three pictures
    assert set(listed) == ({p.name for p in written} - {"manifest.sha256"}) | companions
    for name, digest in listed.items():
        assert file_sha256(case.folder / name) == digest
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "-c", "--strict", "manifest.sha256"], cwd=case.folder, capture_output=True
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_export_names_files_by_hash_only(case: Case) -> None:
    written = write_reports(case.db, case.folder, export=lambda sha: [case.pictures[sha]])
    exported = sorted(
        p.relative_to(case.folder).as_posix() for p in written if p.parent.name == "export"
    )
    flagged = [b for b in build_report(case.db)["blobs"] if b["findings"]]
    extensions = {"image/jpeg": "jpg", "image/png": "png"}
    assert exported == sorted(
        f"export/{b['sha256']}.{extensions[b['media_type']]}" for b in flagged
    )
    for name in exported:
        data = (case.folder / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == Path(name).stem
    assert set(exported) <= set((case.folder / "manifest.sha256").read_text("utf-8").split())


def test_export_refuses_content_with_the_wrong_hash(case: Case) -> None:
    written = write_reports(case.db, case.folder, export=lambda sha: [b"not the content"])
    assert not any(p.parent.name == "export" for p in written)
    assert list((case.folder / "export").iterdir()) == []


def test_registry_refuses_duplicates_and_upper_case() -> None:
    assert set(WRITERS) == {"json", "csv", "vics", "case-uco", "dfxml", "html"}
    with pytest.raises(ValueError, match="already registered"):
        WRITERS.add("json", lambda model, folder, context: folder, "again")
    with pytest.raises(ValueError, match="lower-case"):
        WRITERS.add("HTML2", lambda model, folder, context: folder, "upper case")
