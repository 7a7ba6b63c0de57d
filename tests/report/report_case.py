"""A small real case for report tests: a SQLite case database filled the way a scan fills it."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from scanner.case.database import CaseDatabase
from scanner.report.thumbnails import make_thumbnail

HOSTILE_NAME = "<img src=x onerror=alert(1)>.jpg"
HOSTILE_PATH = f"/Users/kim/Downloads/Telegram Desktop/{HOSTILE_NAME}"
FORMULA_PATH = '=HYPERLINK("http://example.invalid","x").jpg'
ATTRIBUTE_PATH = '/Users/kim/Pictures/-holiday" onclick="alert(3).jpg'
CARVED_RUNS = [[12288, 4096], [20480, 1000]]


MATCH_INSERT = (
    "INSERT INTO matches (sha256, face_idx, set_name, set_kind, method, distance, category,"
    " label, entry_id) VALUES "
)
FINDING_INSERT = "INSERT INTO findings (sha256, rule, priority, category, reason) VALUES "


@dataclass
class Case:
    folder: Path
    db: CaseDatabase
    pictures: dict[str, bytes]  # sha256 -> content

    def thumbnail(self, sha256: str) -> bytes | None:
        data = self.pictures.get(sha256)
        return make_thumbnail(data) if data else None


def picture(colour: tuple[int, int, int], fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    output = io.BytesIO()
    image = Image.new("RGB", size, colour)
    image.paste((255, 255, 255), (8, 8, 24, 24))
    image.save(output, format=fmt)
    return output.getvalue()


def add_blob(db: CaseDatabase, data: bytes, media_type: str) -> str:
    sha256 = hashlib.sha256(data).hexdigest()
    db.add_blob(
        sha256, hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(), len(data), media_type
    )
    db.execute("UPDATE blobs SET width = 64, height = 48 WHERE sha256 = ?", (sha256,))
    return sha256


def add_item(
    db: CaseDatabase, evidence_id: int, sha256: str, media_type: str, **fields: object
) -> None:
    """Insert an item row with the columns this schema version has."""
    locator = str(fields["locator"])
    row = {
        "evidence_id": evidence_id,
        "locator": locator,
        "locator_json": json.dumps([step.split(":", 1) for step in locator.split(" > ")]),
        "path": fields["path"],
        "size": fields.get("size", 100),
        "deleted": int(bool(fields.get("deleted", False))),
        "carved": int(bool(fields.get("carved", False))),
        "extent_kind": fields.get("extent_kind"),
        "runs": json.dumps(fields["runs"]) if fields.get("runs") else None,
        "complete": 1,
        "times": json.dumps(fields.get("times")) if fields.get("times") else None,
        "sha256": sha256,
        "media_type": media_type,
    }
    columns = [r["name"] for r in db.rows("PRAGMA table_info(items)") if r["name"] in row]
    db.execute(
        f"INSERT INTO items ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [row[c] for c in columns],
    )


def fill_case(folder: Path) -> Case:
    db = CaseDatabase(folder)
    run = db.start_run("dftriage scan disk.E01 --case case", "0.1.0", {"nudity_threshold": 0.6})
    db.update_run(run, models=[{"name": "nudenet-320n", "sha256": "ab" * 32}])
    db.update_run(run, sets=[{"name": "vics-local", "kind": "known-bad", "entries": 2}])
    db.update_run(run, finished="2026-01-02T03:04:05+00:00", status="finished")
    evidence = db.add_evidence(
        "/cases/2026-17/disk.E01",
        "disk.E01",
        "ewf",
        1 << 20,
        ["/cases/2026-17/disk.E01"],
        {"md5": "0123456789abcdef0123456789abcdef"},
        {"examiner": "J. Doe <lab>"},
    )
    db.set_fingerprint(evidence, "before", '[{"file": "disk.E01", "size": 1}]')
    db.set_fingerprint(evidence, "after", '[{"file": "disk.E01", "size": 1}]')

    victim = picture((200, 30, 30), "JPEG")
    carved = picture((30, 30, 200), "PNG")
    plain = picture((30, 160, 30), "JPEG")
    a = add_blob(db, victim, "image/jpeg")
    b = add_blob(db, carved, "image/png")
    c = add_blob(db, plain, "image/jpeg")

    add_item(
        db,
        evidence,
        a,
        "image/jpeg",
        locator="ewf:disk.E01 > part:p1@1048576 > ntfs:inode=41",
        path=HOSTILE_PATH,
        times={"modified": "2025-12-01T10:00:00Z"},
    )
    add_item(
        db,
        evidence,
        a,
        "image/jpeg",
        locator="ewf:disk.E01 > part:p1@1048576 > ntfs:inode=77",
        path=FORMULA_PATH,
        deleted=True,
    )
    add_item(
        db,
        evidence,
        b,
        "image/png",
        locator="ewf:disk.E01 > carve:png:runs=0x3000+4096,0x5000+1000",
        path="(carved png at 0x3000 in unallocated space)",
        deleted=True,
        carved=True,
        extent_kind="unallocated",
        runs=CARVED_RUNS,
    )
    add_item(
        db,
        evidence,
        c,
        "image/jpeg",
        locator="ewf:disk.E01 > part:p1@1048576 > ntfs:inode=90",
        path=ATTRIBUTE_PATH,
    )

    db.execute("UPDATE blobs SET pdq = ?, pdq_quality = 90 WHERE sha256 = ?", ("f" * 64, b))
    db.execute(
        "INSERT INTO faces (sha256, idx, box, landmarks, score, embed_model, deepfake, consistency)"
        " VALUES (?, 0, '[4, 4, 40, 40]', '[]', 0.99, 'dlib-resnet', 0.91, 1.5)",
        (a,),
    )
    db.execute(
        "INSERT INTO scores (sha256, name, value, model, model_sha256, detail)"
        " VALUES (?, 'nudity', 0.83, 'nudenet-320n', ?, 'EXPOSED:0.83')",
        (a, "ab" * 32),
    )
    db.execute(
        MATCH_INSERT + "(?, 0, 'victims-2026', 'victim', 'face', 0.72, 'cosine', ?, 'ref-1.jpg')",
        (a, "@victim <b>A</b>"),
    )
    db.execute(
        MATCH_INSERT + "(?, -1, 'vics-local', 'known-bad', 'md5', 0, '1', 'Series X', 'entry-9')",
        (b,),
    )
    if "similarity" in {r["name"] for r in db.rows("PRAGMA table_info(matches)")}:
        db.execute("UPDATE matches SET similarity = 0.86 WHERE method = 'face'")
    db.execute(
        FINDING_INSERT + "(?, 'victim-nude', 1, 'victim-deepfake', ?)",
        (a, "victim face (similarity 0.72) in a picture with nudity 0.83"),
    )
    db.execute(
        FINDING_INSERT + "(?, 'known-bad-hash', 2, 'known-material', ?)",
        (b, "+MD5 match in vics-local (Series X)"),
    )
    db.add_error(
        "ewf:disk.E01 > part:p1@1048576 > ntfs:inode=99",
        "decode",
        "<script>alert(2)</script> truncated",
    )
    db.add_error("ewf:disk.E01 > carve:jpeg:runs=0x9000+10", "carve", "=1+1 no end marker")
    return Case(folder, db, {a: victim, b: carved, c: plain})
