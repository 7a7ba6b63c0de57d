"""What the stages read back from a case (read-only queries, one function each)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scanner.analyse.signals.consistency import CONSISTENCY_THRESHOLD
from scanner.case.database import CaseDatabase
from scanner.case.decisions import all_decisions
from scanner.case.writer import FACE_COLUMNS
from scanner.hashing.perceptual import PDQ_MIN_QUALITY
from scanner.match.engine import MatchInputs
from scanner.triage.gather import TriageRecords
from scanner.types import Locator

# What triage reads of a face: every column of `Face` but its geometry and embedding, so a
# new face attribute reaches the facts without a change here.
TRIAGE_FACE_COLUMNS = tuple(
    name for name in FACE_COLUMNS if name not in ("box", "landmarks", "embedding")
)


def match_inputs(db: CaseDatabase) -> MatchInputs:
    """Blob hashes, face embeddings and good face hashes, in a stable order."""
    return MatchInputs(
        blobs=db.rows("SELECT sha256, md5, sha1, pdq, pdq_quality FROM blobs ORDER BY sha256"),
        embedded_faces=db.rows(
            "SELECT sha256, idx, embedding, embed_model, consistency FROM faces"
            " WHERE embedding IS NOT NULL ORDER BY sha256, idx"
        ),
        hashed_faces=db.rows(
            "SELECT sha256, idx, face_pdq FROM faces WHERE face_pdq IS NOT NULL"
            " AND face_pdq_quality >= ? ORDER BY sha256, idx",
            (PDQ_MIN_QUALITY,),
        ),
    )


def counts(db: CaseDatabase) -> dict[str, int]:
    """How many items, blobs and error rows the case holds."""
    return {
        table: int(db.rows(f"SELECT COUNT(*) FROM {table}")[0][0])
        for table in ("items", "blobs", "errors")
    }


@dataclass(frozen=True)
class Thumbnail:
    """A blob's stored thumbnail (None if none was made) with what decides making one."""

    thumbnail: bytes | None
    media_type: str
    size: int


def thumbnail(db: CaseDatabase, sha256: str) -> Thumbnail | None:
    rows = db.rows("SELECT thumbnail, media_type, size FROM blobs WHERE sha256 = ?", (sha256,))
    if not rows:
        return None
    stored, media_type, size = rows[0]
    return Thumbnail(None if stored is None else bytes(stored), media_type, size)


def first_location(db: CaseDatabase, sha256: str) -> Locator | None:
    """Where a blob was first found, its evidence step at the evidence's recorded path."""
    rows = db.rows(
        "SELECT e.path, i.locator_json FROM items i JOIN evidence e ON e.id = i.evidence_id"
        " WHERE i.sha256 = ? ORDER BY i.id LIMIT 1",
        (sha256,),
    )
    return Locator.from_json(rows[0][1]).with_root(rows[0][0]) if rows else None


def media_items(db: CaseDatabase, evidence_id: int) -> int:
    """How many pictures and videos were found in one evidence item."""
    return int(db.rows("SELECT COUNT(*) FROM items WHERE evidence_id = ?", (evidence_id,))[0][0])


def blobs_to_analyse(db: CaseDatabase) -> Iterator[sqlite3.Row]:
    """Blobs whose analysis is not done, with the first place each was found."""
    return iter(
        db.rows(
            "SELECT b.sha256, b.media_type, b.size, e.path AS evidence_path, i.locator_json"
            " FROM blobs b JOIN items i ON i.id ="
            " (SELECT MIN(id) FROM items WHERE sha256 = b.sha256)"
            " JOIN evidence e ON e.id = i.evidence_id"
            " WHERE NOT EXISTS (SELECT 1 FROM work w WHERE w.unit = 'analyse:' || b.sha256"
            " AND w.state IN ('done', 'poisoned')) ORDER BY b.sha256"
        )
    )


def triage_records(db: CaseDatabase) -> TriageRecords:
    """Every blob with its items, matches, faces and scores, in a stable order."""
    return TriageRecords(
        blobs=db.rows("SELECT * FROM blobs ORDER BY sha256"),
        items=_by_sha(
            db,
            "SELECT sha256, evidence_id, locator, path, deleted, carved, origin FROM items"
            " ORDER BY locator",
        ),
        matches=_by_sha(db, "SELECT * FROM matches ORDER BY distance, set_name, entry_id"),
        faces=_by_sha(
            db, f"SELECT sha256, {', '.join(TRIAGE_FACE_COLUMNS)} FROM faces ORDER BY idx"
        ),
        scores=_by_sha(db, "SELECT sha256, name, value, detail FROM scores"),
        consistency_threshold=CONSISTENCY_THRESHOLD,
    )


REPORT_ORDERS = {  # a blob's rows of each table, in the order reports list them
    "items": "evidence_id, locator",
    "faces": "idx",
    "scores": "name",
    "matches": "face_idx, set_name, method, entry_id",
    "findings": "priority, rule",
}


@dataclass(frozen=True)
class ReportRows:
    """Every row a report shows, as column → value dicts (JSON columns still text)."""

    runs: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    blobs: list[dict[str, Any]]  # in no particular order: the report sorts them
    by_blob: dict[str, dict[str, list[dict[str, Any]]]]  # table → sha256 → rows (sha256 left out)
    attributions: list[dict[str, Any]]  # by evidence_id, locator, app
    errors: list[dict[str, Any]]  # by locator, stage
    decisions: list[dict[str, Any]]  # oldest first (`decisions.all_decisions`)


def report_rows(db: CaseDatabase) -> ReportRows:
    """The runs, evidence, blobs with their items/faces/scores/matches/findings, attributions,
    errors and decisions of a case, for `scanner.report.model.build_report`."""
    by_blob: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for table, order in REPORT_ORDERS.items():
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in db.rows(f"SELECT * FROM {table} ORDER BY sha256, {order}"):
            record = dict(row)
            grouped[record.pop("sha256")].append(record)
        by_blob[table] = grouped
    return ReportRows(
        runs=_dicts(db, "SELECT * FROM runs ORDER BY id"),
        evidence=_dicts(db, "SELECT * FROM evidence ORDER BY id"),
        blobs=_dicts(db, "SELECT * FROM blobs"),
        by_blob=by_blob,
        attributions=_dicts(db, "SELECT * FROM attributions ORDER BY evidence_id, locator, app"),
        errors=_dicts(db, "SELECT * FROM errors ORDER BY locator, stage"),
        decisions=all_decisions(db.conn),
    )


def _dicts(db: CaseDatabase, sql: str) -> list[dict[str, Any]]:
    return [dict(row) for row in db.rows(sql)]


def _by_sha(db: CaseDatabase, sql: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in db.rows(sql):
        grouped[row["sha256"]].append(dict(row))
    return grouped
