"""What the stages read back from a case (read-only queries, one function each)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from scanner.analyse.signals.consistency import CONSISTENCY_THRESHOLD
from scanner.case.database import CaseDatabase
from scanner.hashing.perceptual import PDQ_MIN_QUALITY
from scanner.match.engine import MatchInputs
from scanner.triage.gather import TriageRecords


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


def blobs_to_analyse(db: CaseDatabase) -> Iterator[sqlite3.Row]:
    """Blobs whose analysis is not done, with the first place each was found."""
    return db.blobs_to_analyse()


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
            db,
            "SELECT sha256, idx, deepfake, consistency, source_label, source_reference,"
            " source_correlation FROM faces ORDER BY idx",
        ),
        scores=_by_sha(db, "SELECT sha256, name, value, detail FROM scores"),
        consistency_threshold=CONSISTENCY_THRESHOLD,
    )


def _by_sha(db: CaseDatabase, sql: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in db.rows(sql):
        grouped[row["sha256"]].append(dict(row))
    return grouped
