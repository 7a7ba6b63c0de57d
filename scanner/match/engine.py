"""The match stage: every blob and face against the imported known sets and victim faces.

Matches are recomputed from stored hashes and embeddings on every run (no evidence is
re-read), so importing a new set and re-running a scan reuses everything computed.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from scanner.analyse.signals.consistency import CONSISTENCY_THRESHOLD
from scanner.analyse.source_photo import relaxed_threshold
from scanner.case.database import CaseDatabase
from scanner.config import ScanConfig

log = logging.getLogger(__name__)


BATCH = 4096


def match_all(db: CaseDatabase, config: ScanConfig) -> list[dict[str, Any]]:
    """Replace the case's matches; returns the sets used (for the run record)."""
    from scanner.knownsets import load_matcher

    matcher = load_matcher(config.sets, pdq_radius=config.pdq_max_distance)
    db.execute("DELETE FROM matches")
    blobs = db.rows("SELECT sha256, md5, sha1, pdq, pdq_quality FROM blobs ORDER BY sha256")
    for start in range(0, len(blobs), BATCH):
        batch = blobs[start : start + BATCH]
        for blob, hits in zip(batch, _hash_matches(matcher, batch), strict=True):
            for hit in hits:
                _insert(db, {"sha256": blob["sha256"], "face_idx": -1, **_fields(hit)})
    _match_faces(db, matcher)
    _match_face_hashes(db, matcher, config.pdq_max_distance)
    return [_set_record(info) for info in matcher.sets]


def _hash_matches(matcher: Any, blobs: list[Any]) -> list[list[Any]]:
    """Batched exact and PDQ matches per blob; one match per set entry, named by the
    strongest digest that found it (SHA-256, then SHA-1, then MD5)."""
    found: list[dict[tuple[str, str], Any]] = [{} for _ in blobs]
    for method in ("sha256", "sha1", "md5"):
        for seen, hits in zip(
            found, matcher.match_crypto_many(method, [b[method] for b in blobs]), strict=True
        ):
            for hit in hits:
                seen.setdefault((hit.set_name, hit.entry_id), hit)
    with_pdq = [i for i, blob in enumerate(blobs) if blob["pdq"]]
    pdq_hits = matcher.match_pdq_many(
        [blobs[i]["pdq"] for i in with_pdq], [blobs[i]["pdq_quality"] or 0 for i in with_pdq]
    )
    result = [list(seen.values()) for seen in found]
    for i, hits in zip(with_pdq, pdq_hits, strict=True):
        result[i].extend(hits)
    return result


def _fields(hit: Any) -> dict[str, Any]:
    names = ("set_name", "set_kind", "method", "distance", "category", "label", "entry_id")
    return {name: getattr(hit, name) for name in names}


def _match_faces(db: CaseDatabase, matcher: Any) -> None:
    """Each stored face embedding against the victim faces embedded by the same model.

    `distance` is the model's own metric (its manifest threshold decides a match);
    `similarity` is the cosine of the two embeddings, for reasons and reports. Faces whose
    consistency score is high (possibly pasted in) are also searched with a relaxed
    threshold, because a composite carries a mixed identity; such hits are recorded with
    method `face-weak` and never count as victim identifications.
    """
    indexes = _victim_indexes(db, matcher)
    if not indexes:
        return
    faces = db.rows(
        "SELECT sha256, idx, embedding, embed_model, consistency FROM faces WHERE embedding IS NOT NULL"
    )
    for face in faces:
        vector = np.frombuffer(face["embedding"], dtype=np.float32)
        pasted = (face["consistency"] or 0.0) >= CONSISTENCY_THRESHOLD
        for set_name, model, strong, weak in indexes:
            if model != face["embed_model"] or vector.shape[0] != strong.matrix.shape[1]:
                continue
            hits = [("face", hit) for hit in strong.search(vector)]
            if pasted:
                found = {hit.label for _, hit in hits}
                hits += [
                    ("face-weak", hit) for hit in weak.search(vector) if hit.label not in found
                ]
            for method, hit in hits:
                reference = strong.matrix[strong.references.index(hit.reference)]
                distance = hit.similarity if strong.metric == "euclidean" else 1.0 - hit.similarity
                _insert_face_match(
                    db,
                    face,
                    set_name,
                    method,
                    distance,
                    hit.label,
                    hit.reference,
                    similarity=_cosine(vector, reference),
                    category=strong.metric,
                )


def _match_face_hashes(db: CaseDatabase, matcher: Any, radius: int) -> None:
    """PDQ of each aligned face against the victims' reference face hashes (method pdq-face)."""
    from scanner.analyse.signals.face_hash import FACE_PDQ_MODEL, pdq_bits
    from scanner.hashing.perceptual import PDQ_MIN_QUALITY
    from scanner.knownsets import VictimStore

    store = VictimStore()
    references = []
    for info in matcher.sets:
        if info.kind == "victim":
            labels, refs, bits = store.faces(info.name, FACE_PDQ_MODEL)
            references += [
                (info.name, label, ref, row > 0.5)
                for label, ref, row in zip(labels, refs, bits, strict=True)
            ]
    if not references:
        return
    table = np.stack([bits for *_, bits in references])
    faces = db.rows(
        "SELECT sha256, idx, face_pdq FROM faces WHERE face_pdq IS NOT NULL AND face_pdq_quality >= ?",
        (PDQ_MIN_QUALITY,),
    )
    for face in faces:
        query = pdq_bits(face["face_pdq"]) > 0.5
        distances = np.count_nonzero(table != query, axis=1)
        for index in np.flatnonzero(distances <= radius):
            set_name, label, reference, _ = references[index]
            _insert_face_match(
                db, face, set_name, "pdq-face", int(distances[index]), label, reference
            )


def _insert_face_match(
    db: CaseDatabase,
    face: Any,
    set_name: str,
    method: str,
    distance: float,
    label: str,
    reference: str,
    **extra: Any,
) -> None:
    """One victim match of one evidence face."""
    _insert(
        db,
        {
            "sha256": face["sha256"],
            "face_idx": face["idx"],
            "set_name": set_name,
            "set_kind": "victim",
            "method": method,
            "distance": distance,
            "label": label,
            "entry_id": reference,
            **extra,
        },
    )


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings, whatever metric the model matches with."""
    return float(np.dot(a, b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))


def _victim_indexes(db: CaseDatabase, matcher: Any) -> list[tuple[str, str, Any, Any]]:
    """Per (victim set, embedding model) present in the case: an index at the model's
    threshold and one at the relaxed threshold used for possibly pasted faces."""
    from scanner.inference.identity import BruteForceIndex
    from scanner.inference.manifest import discover
    from scanner.knownsets import VictimStore

    rows = db.rows("SELECT DISTINCT embed_model FROM faces WHERE embed_model IS NOT NULL")
    models = {row[0] for row in rows}
    manifests = {m.name: m for m in discover(None).values()} if models else {}
    indexes = []
    victims = VictimStore()
    for info in matcher.sets:
        if info.kind != "victim":
            continue
        for model in sorted(models):
            labels, references, matrix = victims.faces(info.name, model)
            manifest = manifests.get(model)
            if len(labels) == 0 or manifest is None or manifest.threshold is None:
                continue
            metric = manifest.metric or "cosine"
            strong = BruteForceIndex(labels, references, matrix, metric, manifest.threshold)
            loose = relaxed_threshold(metric, manifest.threshold)
            weak = BruteForceIndex(labels, references, matrix, metric, loose)
            indexes.append((info.name, model, strong, weak))
    return indexes


MATCH_COLUMNS = (
    "sha256",
    "face_idx",
    "set_name",
    "set_kind",
    "method",
    "distance",
    "similarity",
    "category",
    "label",
    "entry_id",
)


def _insert(db: CaseDatabase, row: dict[str, Any]) -> None:
    db.execute(
        f"INSERT OR REPLACE INTO matches ({', '.join(MATCH_COLUMNS)})"
        f" VALUES ({', '.join('?' * len(MATCH_COLUMNS))})",
        tuple(row.get(column) for column in MATCH_COLUMNS),
    )


def _set_record(info: Any) -> dict[str, Any]:
    return {
        "name": info.name,
        "kind": info.kind,
        "source_sha256": info.source_sha256,
        "imported_at": str(info.imported_at),
        "entries": int(info.entries),
    }
