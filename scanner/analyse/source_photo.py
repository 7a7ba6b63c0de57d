"""Which victim reference photo a face was made from (run in the analyse workers).

For each face, the victims whose reference faces are close to it — with a relaxed
identity threshold, because a composite carries a mixed identity — are candidates; the
face is then compared with each candidate's reference photos after removing colour
and illumination (scanner.analyse.signals.provenance). The best correlating photo is kept
when it passes the provenance threshold.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scanner.analyse.signals.provenance import (
    SOURCE_PATTERN_MODEL,
    PreparedReference,
    match_source_photo,
)

log = logging.getLogger(__name__)

RELAX_EUCLIDEAN = 1.25  # candidate victims: distance up to 1.25 x the model's threshold
RELAX_COSINE = 0.75  # candidate victims: similarity down to 0.75 x the model's threshold
FALSE_MATCH_BUDGET = 0.001
"""A weak (relaxed) identity match may be a stranger at most 1 in 1,000 times: the loosest
distance whose measured different-person false-match rate stays within this budget."""


def candidate_threshold(metric: str, threshold: float) -> float:
    """Identity threshold loosened by a fixed margin, only to pick the victims whose photos
    a face is compared with (the band-pass correlation then decides; never a match)."""
    return threshold * (RELAX_EUCLIDEAN if metric == "euclidean" else RELAX_COSINE)


def false_match_curve(measured: Mapping[str, Any]) -> list[tuple[float, float]]:
    """(distance, false-match rate) points of an embedder's `measured.false_match_curve`."""
    block = measured.get("false_match_curve") or {}
    points = block.get("points") if isinstance(block, Mapping) else None
    return sorted((float(d), float(r)) for d, r in points or [])


def relaxed_threshold(
    metric: str, threshold: float, measured: Mapping[str, Any] | None = None
) -> float:
    """The weak-match threshold: the loosest measured distance within FALSE_MATCH_BUDGET,
    never stricter than the model's own; the model's own without a measured curve."""
    curve = false_match_curve(measured or {})
    if metric != "euclidean" or not curve:
        return threshold
    within = [distance for distance, rate in curve if rate <= FALSE_MATCH_BUDGET]
    return max([threshold, *within])


def false_match_rate(measured: Mapping[str, Any], distance: float) -> float | None:
    """Share of different-person pairs measured at or under `distance`, rounded up to the
    next point of the curve (None without a curve)."""
    curve = false_match_curve(measured)
    if not curve:
        return None
    return next((rate for at, rate in curve if at >= distance), curve[-1][1])


@dataclass
class VictimReferences:
    """Reference faces (embeddings) and band-passed reference photos of the victim sets."""

    metric: str
    threshold: float
    keys: list[tuple[str, str]] = field(default_factory=list)  # (set, label) per embedding row
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    patterns: dict[tuple[str, str], list[PreparedReference]] = field(default_factory=dict)

    @property
    def relaxed_threshold(self) -> float:
        return candidate_threshold(self.metric, self.threshold)

    def candidates(self, embedding: np.ndarray) -> list[tuple[str, str]]:
        """(set, victim) pairs whose reference faces are near `embedding`."""
        if len(self.keys) == 0 or embedding.shape[0] != self.embeddings.shape[1]:
            return []
        if self.metric == "euclidean":
            distance = np.linalg.norm(self.embeddings - embedding, axis=1)
            near = distance <= self.relaxed_threshold
        else:
            norms = np.linalg.norm(self.embeddings, axis=1) * max(np.linalg.norm(embedding), 1e-12)
            near = (self.embeddings @ embedding) / np.maximum(
                norms, 1e-12
            ) >= self.relaxed_threshold
        return sorted({self.keys[i] for i in np.flatnonzero(near)})


def load_references(
    set_names: list[str] | None, embed_model: str, metric: str, threshold: float
) -> VictimReferences:
    """The victim sets among `set_names` (None: every imported set) as VictimReferences."""
    from scanner.knownsets import VictimStore, list_sets

    store = VictimStore()
    refs = VictimReferences(metric, threshold)
    vectors = []
    for info in list_sets():
        if info.kind != "victim" or (set_names is not None and info.name not in set_names):
            continue
        labels, _, matrix = store.faces(info.name, embed_model)
        refs.keys += [(info.name, label) for label in labels]
        vectors += list(matrix)
        labels, references, patterns = store.faces(info.name, SOURCE_PATTERN_MODEL)
        for label, reference, flat in zip(labels, references, patterns, strict=True):
            side = int(round(np.sqrt(flat.shape[0])))
            prepared = PreparedReference(reference, flat.reshape(side, side))
            refs.patterns.setdefault((info.name, label), []).append(prepared)
    if vectors:
        refs.embeddings = np.stack(vectors).astype(np.float32)
    return refs


def source_photos(
    rgb: np.ndarray, faces: Any, rows: list[dict[str, Any]], refs: VictimReferences
) -> None:
    """Fill `source_*` of each face row whose face was made from a victim's reference photo."""
    for face, row in zip(faces, rows, strict=True):
        if face.embedding is None or not np.isfinite(np.asarray(face.landmarks, float)).all():
            continue
        best = None
        for key in refs.candidates(np.asarray(face.embedding, np.float32)):
            found = match_source_photo(rgb, np.asarray(face.landmarks), refs.patterns.get(key, []))
            if (
                found is not None
                and found.matched
                and (best is None or found.correlation > best[1].correlation)
            ):
                best = (key, found)
        if best is not None:
            (set_name, label), found = best
            row.update(
                source_set=set_name,
                source_label=label,
                source_reference=found.reference,
                source_correlation=found.correlation,
            )


_cache: dict[tuple[Any, ...], VictimReferences] = {}


def references_for(set_names: list[str] | None, analyser: Any) -> VictimReferences | None:
    """The victim references for this scan's sets and embedder (loaded once per process)."""
    embedder = analyser.manifests.get("face-embed")
    if embedder is None or embedder.threshold is None:
        return None
    key = (tuple(set_names) if set_names is not None else None, embedder.name)
    if key not in _cache:
        metric = embedder.metric or "cosine"
        _cache[key] = load_references(set_names, embedder.name, metric, float(embedder.threshold))
    return _cache[key]
