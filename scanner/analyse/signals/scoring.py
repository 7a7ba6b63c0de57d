"""Two-sided anomaly score of a feature vector against genuine photos, plus a fused one-sided part.

The model is fitted on genuine photos only: per-feature median and MAD (robust location
and scale), then a Ledoit-Wolf shrunk covariance of the robust z-scores. The squared
Mahalanobis distance d2 of a face's z-scores is turned into a normal-equivalent z with
the Wilson-Hilferty approximation of the chi-square tail, so "3" means about as rare
among genuine photos as 3 standard deviations, whichever direction the face departs in
(too blurry or too sharp, JPEG traces too strong or too weak).

A one-sided linear direction fitted on composites (a diagonal discriminant) may be added; it is only ever used
fused with the two-sided score (the maximum of the two), and it is standardised on
the genuine photos as well, so both parts speak the same unit.

Fitting happens in the benchmarks (bench/deepfake_calibrate.py); the product only
loads the shipped JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Z_CLIP = 8.0


@dataclass(frozen=True)
class GaussianModel:
    """Robust location/scale and shrunk covariance of genuine feature vectors."""

    names: tuple[str, ...]
    median: tuple[float, ...]
    scale: tuple[float, ...]
    precision: tuple[tuple[float, ...], ...]
    direction: tuple[float, ...] | None = None  # one-sided part (weights on z-scores)
    direction_location: float = 0.0
    direction_scale: float = 1.0

    def __post_init__(self) -> None:
        n = len(self.names)
        if len(self.median) != n or len(self.scale) != n:
            raise ValueError(
                f"expected {n} medians and scales, got {len(self.median)}, {len(self.scale)}"
            )
        if len(self.precision) != n or any(len(row) != n for row in self.precision):
            raise ValueError(f"expected a ({n}, {n}) precision matrix")
        if self.direction is not None and len(self.direction) != n:
            raise ValueError(f"expected {n} direction weights, got {len(self.direction)}")
        if any(s <= 0 for s in self.scale):
            raise ValueError("expected positive scales")

    def zscores(self, features: Mapping[str, float]) -> np.ndarray:
        values = np.array([features[name] for name in self.names], dtype=np.float64)
        z = (values - np.asarray(self.median)) / np.asarray(self.scale)
        result: np.ndarray = np.clip(z, -Z_CLIP, Z_CLIP)
        return result

    def two_sided(self, z: np.ndarray) -> float:
        """Normal-equivalent z of the Mahalanobis distance (chi-square, Wilson-Hilferty)."""
        d2 = float(z @ np.asarray(self.precision) @ z)
        return chi2_to_z(d2, len(self.names))

    def one_sided(self, z: np.ndarray) -> float | None:
        if self.direction is None:
            return None
        projection = float(np.asarray(self.direction) @ z)
        return (projection - self.direction_location) / self.direction_scale

    def to_json(self) -> dict[str, object]:
        return {
            "names": list(self.names),
            "median": list(self.median),
            "scale": list(self.scale),
            "precision": [list(row) for row in self.precision],
            "direction": None if self.direction is None else list(self.direction),
            "direction_location": self.direction_location,
            "direction_scale": self.direction_scale,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GaussianModel:
        direction = data.get("direction")
        return cls(
            names=tuple(str(n) for n in data["names"]),
            median=tuple(float(v) for v in data["median"]),
            scale=tuple(float(v) for v in data["scale"]),
            precision=tuple(tuple(float(v) for v in row) for row in data["precision"]),
            direction=None if direction is None else tuple(float(v) for v in direction),
            direction_location=float(data.get("direction_location", 0.0)),
            direction_scale=float(data.get("direction_scale", 1.0)),
        )


def chi2_to_z(d2: float, dof: int) -> float:
    """Normal deviate with the same upper tail as chi-square(dof) at d2 (Wilson-Hilferty)."""
    k = float(dof)
    ratio = max(d2, 0.0) / k
    result: float = (ratio ** (1.0 / 3.0) - (1.0 - 2.0 / (9.0 * k))) / math.sqrt(2.0 / (9.0 * k))
    return result


def ledoit_wolf(x: np.ndarray) -> np.ndarray:
    """Ledoit-Wolf (2004) shrinkage covariance of the rows of x towards a scaled identity."""
    n, p = x.shape
    centred = x - x.mean(axis=0)
    sample = centred.T @ centred / n
    mu = np.trace(sample) / p
    target = mu * np.eye(p)
    delta = float(((sample - target) ** 2).sum())
    beta_sum = sum(float(((np.outer(row, row) - sample) ** 2).sum()) for row in centred)
    beta = min(beta_sum / n**2, delta)
    shrinkage = beta / delta if delta > 0 else 1.0
    result: np.ndarray = shrinkage * target + (1.0 - shrinkage) * sample
    return result


def fit_genuine(names: Sequence[str], genuine: np.ndarray) -> GaussianModel:
    """Fit location, scale and shrunk covariance on genuine feature vectors (rows)."""
    median = np.median(genuine, axis=0)
    mad = np.median(np.abs(genuine - median), axis=0) * 1.4826
    scale = np.where(mad > 1e-9, mad, genuine.std(axis=0) + 1e-6)
    z = np.clip((genuine - median) / scale, -Z_CLIP, Z_CLIP)
    precision = np.linalg.inv(ledoit_wolf(z))
    return GaussianModel(
        names=tuple(names),
        median=tuple(float(v) for v in median),
        scale=tuple(float(v) for v in scale),
        precision=tuple(tuple(float(v) for v in row) for row in precision),
    )


def with_direction(
    model: GaussianModel, genuine: np.ndarray, composites: np.ndarray
) -> GaussianModel:
    """Add a diagonal linear discriminant (composites minus genuine) standardised on genuine.

    Each feature is weighted by its mean difference over its pooled variance, ignoring
    correlations: with a few hundred faces this did better than a shrunk full covariance
    (docs/deepfake.md).
    """
    zg = np.clip((genuine - np.asarray(model.median)) / np.asarray(model.scale), -Z_CLIP, Z_CLIP)
    zc = np.clip((composites - np.asarray(model.median)) / np.asarray(model.scale), -Z_CLIP, Z_CLIP)
    pooled_variance = 0.5 * (zg.var(axis=0) + zc.var(axis=0)) + 1e-9
    weights = (zc.mean(axis=0) - zg.mean(axis=0)) / pooled_variance
    weights /= np.linalg.norm(weights) + 1e-12
    projection = zg @ weights
    location = float(np.median(projection))
    spread = float(np.median(np.abs(projection - location)) * 1.4826) or 1.0
    return GaussianModel(
        names=model.names,
        median=model.median,
        scale=model.scale,
        precision=model.precision,
        direction=tuple(float(v) for v in weights),
        direction_location=location,
        direction_scale=spread,
    )
