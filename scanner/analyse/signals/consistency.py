"""Per-face consistency score: how unlike a genuine photo the face's pasting traces are.

``face_consistency`` measures the features of `features` (and `jpeg_features` when the
picture's JPEG bytes are given), standardises them against genuine photos with the
statistics shipped in ``genuine_stats.json`` and returns a two-sided anomaly score in
normal-equivalent units (fused, by maximum, with a one-sided composite direction).
Higher means more likely pasted. A face that cannot be measured (too small, cut by
the picture edge, hostile input) gets ``score=None`` and the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from scanner.analyse.signals.measure import MIN_UNIT, Measurement, measure, model_kind
from scanner.analyse.signals.scoring import GaussianModel

STATS_FILE = "genuine_stats.json"

_DIRECTION_WORDS = {
    "sharp_face": ("face unusually sharp", "face unusually blurry"),
    "sharp_ratio": ("face sharper than its surroundings", "face blurrier than its surroundings"),
    "detail_face": ("face has unusually fine detail", "face lacks the finest detail"),
    "detail_ratio": (
        "face has finer detail than its surroundings",
        "face lacks the finest detail of its surroundings",
    ),
    "block_ratio": ("stronger JPEG blocking in the face", "weaker JPEG blocking in the face"),
    "ghost_dist": ("face and surroundings compressed differently", "JPEG ghost unusually uniform"),
    "ghost_low": ("face loses more at low JPEG quality", "face loses less at low JPEG quality"),
    "ghost_high": ("face loses more at high JPEG quality", "face loses less at high JPEG quality"),
}


@dataclass(frozen=True)
class FaceConsistency:
    """Anomaly score of one face (None when not measured), its features and a reason."""

    score: float | None
    features: dict[str, float] = field(default_factory=dict)
    reason: str = ""


@lru_cache(maxsize=1)
def load_stats() -> dict[str, Any]:
    """The shipped calibration (genuine statistics, threshold, measured accuracy)."""
    text = (
        resources.files("scanner.analyse.signals").joinpath(STATS_FILE).read_text(encoding="utf-8")
    )
    result: dict[str, Any] = json.loads(text)
    return result


@lru_cache(maxsize=4)
def _model(name: str) -> GaussianModel:
    return GaussianModel.from_json(load_stats()["models"][name])


CONSISTENCY_THRESHOLD: float = float(load_stats()["threshold"])
"""Score above which a face is called "high"; its false-positive rate is in the stats file."""

THRESHOLD_FPR: float = float(load_stats()["threshold_fpr"])


def _explain(model: GaussianModel, z: np.ndarray, score: float, kind: str) -> str:
    order = np.argsort(-np.abs(z))[:2]
    parts = []
    for index in order:
        name = model.names[index]
        high, low = _DIRECTION_WORDS.get(name, (f"{name} high", f"{name} low"))
        parts.append(f"{high if z[index] > 0 else low} (z={z[index]:+.1f})")
    level = "high" if score >= CONSISTENCY_THRESHOLD else "within the range of genuine photos"
    return (
        f"{level}: score {score:.2f} vs threshold {CONSISTENCY_THRESHOLD:.2f} ({kind} model); "
        + "; ".join(parts)
    )


def face_consistency(
    rgb: np.ndarray, landmarks: np.ndarray, jpeg_bytes: bytes | None = None
) -> FaceConsistency:
    """Consistency score of the face at `landmarks` (5, 2) in the decoded picture `rgb`.

    Pass the file's bytes as `jpeg_bytes` when it is a JPEG (and `rgb` is its decoding)
    so the JPEG block-grid and ghost signals are used too.
    """
    try:
        measured = measure(rgb, landmarks, jpeg_bytes)
    except (ValueError, TypeError, MemoryError) as exc:
        return FaceConsistency(None, {}, f"not measured: {exc}")
    except Exception as exc:  # OpenCV raises cv2.error on hostile geometry
        return FaceConsistency(None, {}, f"not measured: {type(exc).__name__}: {exc}")
    return score_measurement(measured)


def score_measurement(measured: Measurement) -> FaceConsistency:
    """Score already measured features against the shipped genuine statistics."""
    if not measured.features:
        return FaceConsistency(None, {}, f"not measured: {measured.reason}")
    kind = model_kind(measured.features, measured.jpeg)
    model = _model(kind)
    z = model.zscores(measured.features)
    two_sided = model.two_sided(z)
    one_sided = model.one_sided(z)
    score = two_sided if one_sided is None else max(two_sided, one_sided)
    features = {name: float(value) for name, value in measured.features.items()}
    features.update({f"z_{name}": float(value) for name, value in zip(model.names, z, strict=True)})
    features["two_sided"] = float(two_sided)
    if one_sided is not None:
        features["one_sided"] = float(one_sided)
    return FaceConsistency(round(float(score), 4), features, _explain(model, z, score, kind))


__all__ = [
    "CONSISTENCY_THRESHOLD",
    "MIN_UNIT",
    "THRESHOLD_FPR",
    "FaceConsistency",
    "face_consistency",
    "load_stats",
    "score_measurement",
]
