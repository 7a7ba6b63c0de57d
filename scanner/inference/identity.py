"""Victim matching: face embeddings compared with a reference set behind `FaceIndex`.

A victim reference folder holds one sub-folder per victim (its name is the label)
with that person's pictures; the largest face of each picture is the reference.
With metric `cosine`, `similarity` is the cosine similarity (higher is closer, a
match is ≥ threshold); with `euclidean` it is the L2 distance (a match is ≤ threshold).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from scanner.errors import MediaError
from scanner.media.decode import decode_picture

if TYPE_CHECKING:
    from scanner.inference.analyser import PictureAnalyser

PICTURE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})


@dataclass(frozen=True)
class IdentityMatch:
    """One reference face close enough to a face found in evidence."""

    label: str
    reference: str
    similarity: float


class FaceIndex(Protocol):
    """Anything that finds reference faces matching one embedding."""

    def search(self, embedding: np.ndarray) -> list[IdentityMatch]: ...


class BruteForceIndex:
    """Exact search over every reference embedding (fine up to about 10⁵ faces)."""

    def __init__(
        self,
        labels: Sequence[str],
        references: Sequence[str],
        matrix: np.ndarray,
        metric: str,
        threshold: float,
    ) -> None:
        matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or len(matrix) != len(labels) or len(labels) != len(references):
            raise ValueError(
                f"matrix: expected shape ({len(labels)}, D) matching labels and references, "
                f"got {matrix.shape} with {len(labels)} labels, {len(references)} references"
            )
        if metric not in ("cosine", "euclidean"):
            raise ValueError(f"metric: expected cosine or euclidean, got {metric!r}")
        if metric == "cosine":
            matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        self.labels = tuple(labels)
        self.references = tuple(references)
        self.matrix = matrix
        self.metric = metric
        self.threshold = float(threshold)

    def __len__(self) -> int:
        return len(self.labels)

    def scores(self, embedding: np.ndarray) -> np.ndarray:
        """Similarity (cosine) or distance (euclidean) to every reference."""
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if len(self.matrix) == 0:
            return np.zeros((0,), dtype=np.float32)
        if vector.shape[0] != self.matrix.shape[1]:
            raise ValueError(
                f"embedding: expected shape ({self.matrix.shape[1]},), got {vector.shape}"
            )
        if self.metric == "cosine":
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
            return self.matrix @ vector
        result: np.ndarray = np.linalg.norm(self.matrix - vector, axis=1)
        return result

    def search(self, embedding: np.ndarray) -> list[IdentityMatch]:
        """Matching references, the best one per label, best first."""
        scores = self.scores(embedding)
        if self.metric == "cosine":
            hits, order = scores >= self.threshold, np.argsort(-scores, kind="stable")
        else:
            hits, order = scores <= self.threshold, np.argsort(scores, kind="stable")
        matches: dict[str, IdentityMatch] = {}
        for index in order:
            if not hits[index]:
                break
            label = self.labels[index]
            if label not in matches:
                matches[label] = IdentityMatch(label, self.references[index], float(scores[index]))
        return list(matches.values())


def reference_pictures(folder: Path) -> Iterator[tuple[str, Path]]:
    """(victim label, picture path) for every picture one level below `folder`."""
    for person in sorted(path for path in folder.iterdir() if path.is_dir()):
        for picture in sorted(person.rglob("*")):
            if picture.is_file() and picture.suffix.lower() in PICTURE_SUFFIXES:
                yield person.name, picture


def index_reference_folder(
    folder: Path, analyser: PictureAnalyser
) -> tuple[BruteForceIndex, list[tuple[str, str]]]:
    """A brute-force index of a victim reference folder, and (picture, reason) for each
    picture that gave no reference face."""
    labels: list[str] = []
    references: list[str] = []
    vectors: list[np.ndarray] = []
    problems: list[tuple[str, str]] = []
    for label, picture in reference_pictures(folder):
        name = str(picture.relative_to(folder))
        try:
            rgb = decode_picture(picture.read_bytes(), max_side=analyser.decode_side)
        except (OSError, MediaError) as exc:
            problems.append((name, str(exc)))
            continue
        faces = [face for face in analyser.analyse(rgb).faces if face.embedding is not None]
        if not faces:
            problems.append((name, "no face with landmarks found"))
            continue
        largest = max(
            faces, key=lambda face: (face.box[2] - face.box[0]) * (face.box[3] - face.box[1])
        )
        labels.append(label)
        references.append(name)
        vectors.append(np.asarray(largest.embedding))
    dimension = vectors[0].shape[0] if vectors else 0
    matrix = np.stack(vectors) if vectors else np.zeros((0, dimension), dtype=np.float32)
    index = BruteForceIndex(
        labels, references, matrix, analyser.embed_metric, analyser.embed_threshold
    )
    return index, problems
