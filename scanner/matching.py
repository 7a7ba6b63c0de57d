"""The match stage: every blob and face against the imported known sets and victim faces.

Matches are recomputed from stored hashes and embeddings on every run (no evidence is
re-read), so importing a new set and re-running a scan reuses everything computed.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from scanner.case.database import CaseDatabase
from scanner.config import ScanConfig

log = logging.getLogger(__name__)


def match_all(db: CaseDatabase, config: ScanConfig) -> list[dict[str, Any]]:
    """Replace the case's matches; returns the sets used (for the run record)."""
    from scanner.knownsets import load_matcher

    matcher = load_matcher(config.sets, pdq_radius=config.pdq_max_distance)
    db.execute("DELETE FROM matches")
    for blob in db.rows("SELECT sha256, md5, sha1, pdq, pdq_quality FROM blobs ORDER BY sha256"):
        hits = list(matcher.match_crypto(blob["md5"], blob["sha1"], blob["sha256"]))
        if blob["pdq"]:
            hits += matcher.match_pdq(blob["pdq"], blob["pdq_quality"] or 0)
        for hit in hits:
            _insert(
                db,
                blob["sha256"],
                -1,
                hit.set_name,
                hit.set_kind,
                hit.method,
                hit.distance,
                hit.category,
                hit.label,
                hit.entry_id,
            )
    _match_faces(db, matcher)
    return [_set_record(info) for info in matcher.sets]


def _match_faces(db: CaseDatabase, matcher: Any) -> None:
    indexes = _victim_indexes(db, matcher)
    if not indexes:
        return
    for face in db.rows(
        "SELECT sha256, idx, embedding, embed_model FROM faces WHERE embedding IS NOT NULL"
    ):
        vector = np.frombuffer(face["embedding"], dtype=np.float32)
        for set_name, model, index in indexes:
            if model != face["embed_model"] or vector.shape[0] != index.matrix.shape[1]:
                continue
            for hit in index.search(vector):
                _insert(
                    db,
                    face["sha256"],
                    face["idx"],
                    set_name,
                    "victim",
                    "face",
                    hit.similarity,
                    index.metric,
                    hit.label,
                    hit.reference,
                )


def _victim_indexes(db: CaseDatabase, matcher: Any) -> list[tuple[str, str, Any]]:
    """One brute-force index per (victim set, embedding model) present in the case."""
    from scanner.inference.identity import BruteForceIndex
    from scanner.inference.manifest import discover
    from scanner.knownsets import VictimStore

    models = {
        row[0]
        for row in db.rows("SELECT DISTINCT embed_model FROM faces WHERE embed_model IS NOT NULL")
    }
    manifests = {m.name: m for m in discover(None).values()} if models else {}
    indexes = []
    victims = VictimStore()
    for info in matcher.sets:
        if info.kind != "victim":
            continue
        for model in sorted(models):
            labels, references, matrix = victims.faces(info.name, model)
            manifest = manifests.get(model)
            if len(labels) == 0 or manifest is None:
                continue
            index = BruteForceIndex(
                labels, references, matrix, manifest.metric or "cosine", manifest.threshold
            )
            indexes.append((info.name, model, index))
    return indexes


def _insert(
    db: CaseDatabase,
    sha256: str,
    face_idx: int,
    set_name: str,
    set_kind: str,
    method: str,
    distance: float,
    category: str | None,
    label: str | None,
    entry_id: str,
) -> None:
    db.execute(
        "INSERT OR REPLACE INTO matches (sha256, face_idx, set_name, set_kind, method, distance, category,"
        " label, entry_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sha256, face_idx, set_name, set_kind, method, float(distance), category, label, entry_id),
    )


def _set_record(info: Any) -> dict[str, Any]:
    return {
        "name": info.name,
        "kind": info.kind,
        "source_sha256": getattr(info, "source_sha256", ""),
        "imported_at": str(getattr(info, "imported_at", "")),
        "entries": int(getattr(info, "entries", 0)),
    }
