"""The match stage: every blob and face against the imported known sets and victim faces.

Matches are recomputed from stored hashes and embeddings on every run (no evidence is
re-read), so importing a new set and re-running a scan reuses everything computed. The
inputs are plain records read by `case.queries`; the `Match` records go to `case.writer`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scanner.analyse.signals.consistency import CONSISTENCY_THRESHOLD
from scanner.analyse.source_photo import false_match_rate, relaxed_threshold
from scanner.config import ScanConfig
from scanner.types import Match

log = logging.getLogger(__name__)


BATCH = 4096


@dataclass(frozen=True)
class MatchInputs:
    """What matching reads from a case: blob hashes, face embeddings and face hashes
    (each a mapping with the column names as keys)."""

    blobs: Sequence[Any]  # sha256, md5, sha1, pdq, pdq_quality
    embedded_faces: Sequence[Any]  # sha256, idx, embedding, embed_model, consistency
    hashed_faces: Sequence[Any]  # sha256, idx, face_pdq (of quality >= PDQ_MIN_QUALITY)

    @property
    def embed_models(self) -> set[str]:
        return {face["embed_model"] for face in self.embedded_faces if face["embed_model"]}


def match_all(inputs: MatchInputs, config: ScanConfig) -> tuple[list[Match], list[dict[str, Any]]]:
    """Every match of the case's blobs and faces, and the sets used (for the run record)."""
    from scanner.knownsets import load_matcher

    matcher = load_matcher(config.sets, pdq_radius=config.pdq_max_distance)
    matches: list[Match] = []
    blobs = inputs.blobs
    for start in range(0, len(blobs), BATCH):
        batch = blobs[start : start + BATCH]
        for blob, hits in zip(batch, _hash_matches(matcher, batch), strict=True):
            matches += [Match(blob["sha256"], -1, **_fields(hit)) for hit in hits]
    matches += _match_faces(inputs, matcher)
    matches += _match_face_hashes(inputs.hashed_faces, matcher, config.pdq_max_distance)
    return matches, [_set_record(info) for info in matcher.sets]


def _hash_matches(matcher: Any, blobs: Sequence[Any]) -> list[list[Any]]:
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


def _match_faces(inputs: MatchInputs, matcher: Any) -> Iterator[Match]:
    """Each stored face embedding against the victim faces embedded by the same model.

    `distance` is the model's own metric (its manifest threshold decides a match);
    `similarity` is the cosine of the two embeddings, for reasons and reports. Faces whose
    consistency score is high (possibly pasted in) are also searched with a relaxed
    threshold, because a composite carries a mixed identity; such hits are recorded with
    method `face-weak` and never count as victim identifications.
    """
    indexes = _victim_indexes(inputs.embed_models, matcher)
    for face in inputs.embedded_faces if indexes else ():
        vector = np.frombuffer(face["embedding"], dtype=np.float32)
        pasted = (face["consistency"] or 0.0) >= CONSISTENCY_THRESHOLD
        for set_name, model, strong, weak, measured in indexes:
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
                yield _face_match(
                    face,
                    set_name,
                    method,
                    distance,
                    hit.label,
                    hit.reference,
                    similarity=_cosine(vector, reference),
                    category=strong.metric,
                    false_match_rate=(
                        false_match_rate(measured, distance)
                        if strong.metric == "euclidean"
                        else None
                    ),
                )


def _match_face_hashes(faces: Sequence[Any], matcher: Any, radius: int) -> Iterator[Match]:
    """PDQ of each aligned face against the victims' reference face hashes (method pdq-face)."""
    from scanner.analyse.signals.face_hash import FACE_PDQ_MODEL, pdq_bits
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
    for face in faces:
        query = pdq_bits(face["face_pdq"]) > 0.5
        distances = np.count_nonzero(table != query, axis=1)
        for index in np.flatnonzero(distances <= radius):
            set_name, label, reference, _ = references[index]
            yield _face_match(face, set_name, "pdq-face", int(distances[index]), label, reference)


def _face_match(
    face: Any,
    set_name: str,
    method: str,
    distance: float,
    label: str,
    reference: str,
    **extra: Any,
) -> Match:
    """One victim match of one evidence face."""
    return Match(
        face["sha256"],
        face["idx"],
        set_name,
        "victim",
        method,
        distance,
        reference,
        label=label,
        **extra,
    )


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings, whatever metric the model matches with."""
    return float(np.dot(a, b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))


def _victim_indexes(models: set[str], matcher: Any) -> list[tuple[str, str, Any, Any, Any]]:
    """Per (victim set, embedding model) present in the case: an index at the model's
    threshold, one at the relaxed threshold used for possibly pasted faces (chosen from the
    false-match budget on the manifest's measured curve), and the manifest's `measured`."""
    from scanner.inference.identity import BruteForceIndex
    from scanner.inference.manifest import discover
    from scanner.knownsets import VictimStore

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
            loose = relaxed_threshold(metric, manifest.threshold, manifest.measured)
            weak = BruteForceIndex(labels, references, matrix, metric, loose)
            indexes.append((info.name, model, strong, weak, manifest.measured))
    return indexes


def _set_record(info: Any) -> dict[str, Any]:
    return {
        "name": info.name,
        "kind": info.kind,
        "source_sha256": info.source_sha256,
        "imported_at": str(info.imported_at),
        "entries": int(info.entries),
    }
