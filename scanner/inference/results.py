"""The validated result types that every adapter of a task returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _array(name: str, value: object, shape: tuple[int | None, ...]) -> np.ndarray:
    array = np.asarray(value, dtype=np.float32)
    if array.ndim != len(shape) or any(
        want is not None and want != have for want, have in zip(shape, array.shape, strict=False)
    ):
        expected = "(" + ", ".join("N" if dim is None else str(dim) for dim in shape) + ")"
        raise ValueError(f"{name}: expected shape {expected}, got {array.shape}")
    return array


@dataclass(frozen=True)
class Detections:
    """Faces found in one picture, in picture pixel coordinates.

    boxes (N, 4) x1, y1, x2, y2; scores (N,) in 0..1; landmarks (N, 5, 2) in the
    order image-left eye, image-right eye, nose, image-left mouth corner,
    image-right mouth corner, or NaN for detectors without landmarks.
    """

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray

    def __post_init__(self) -> None:
        boxes = _array("boxes", self.boxes, (None, 4))
        count = len(boxes)
        object.__setattr__(self, "boxes", boxes)
        object.__setattr__(self, "scores", _array("scores", self.scores, (count,)))
        object.__setattr__(self, "landmarks", _array("landmarks", self.landmarks, (count, 5, 2)))

    @classmethod
    def empty(cls) -> Detections:
        """No faces."""
        return cls(np.zeros((0, 4)), np.zeros((0,)), np.zeros((0, 5, 2)))

    def __len__(self) -> int:
        return len(self.boxes)

    @property
    def has_landmarks(self) -> np.ndarray:
        """(N,) bool: which faces have all five landmarks."""
        result: np.ndarray = np.isfinite(self.landmarks).all(axis=(1, 2))
        return result

    def select(self, index: np.ndarray) -> Detections:
        """The faces at `index` (integer or boolean array)."""
        return Detections(self.boxes[index], self.scores[index], self.landmarks[index])

    def scaled(self, factor: float, offset: tuple[float, float] = (0.0, 0.0)) -> Detections:
        """Coordinates multiplied by `factor`, then shifted by `offset` (x, y)."""
        shift = np.asarray(offset, dtype=np.float32)
        return Detections(
            self.boxes * factor + np.tile(shift, 2),
            self.scores,
            self.landmarks * factor + shift,
        )


@dataclass(frozen=True)
class NudityLabel:
    """One detected body-part region of a nudity detector."""

    label: str
    score: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class NudityResult:
    """Image-level nudity score (0..1) and the labelled regions behind it."""

    score: float
    labels: tuple[NudityLabel, ...]

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score: expected a value in 0..1, got {self.score}")
