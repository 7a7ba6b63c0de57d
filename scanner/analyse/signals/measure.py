"""Measure every consistency feature of one face, or say why it cannot be measured."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scanner.analyse.signals.features import (
    DETAIL_UNIT,
    MAX_UNIT,
    RING,
    base_features,
    detail_features,
)
from scanner.analyse.signals.jpeg_features import JPEG_FEATURES, jpeg_features
from scanner.analyse.signals.regions import (
    FaceFrame,
    check_landmarks,
    face_frame,
    inside_fraction,
    normalised_crop,
    radius_map,
)

MIN_UNIT = 40.0
"""Smallest face unit (eye distance, in pixels) at which the signals are measured."""

MIN_RING_INSIDE = 0.5
"""Share of the surrounding ring that must lie inside the picture (face crops have none)."""

MAX_PIXELS = 200_000_000


@dataclass(frozen=True)
class Measurement:
    """Features of one face (empty with a reason when not measurable).

    `jpeg` says the file is a JPEG, so the face is compared with genuine JPEG files. The
    JPEG-trace features are measured on every picture (a lossless copy of a JPEG keeps
    its block grid and ghosts); they are absent only when the face's blocks are too few.
    """

    features: dict[str, float]
    jpeg: bool
    reason: str


def model_kind(features: dict[str, float], jpeg: bool) -> str:
    """Which genuine statistics apply: 'jpeg' or 'other' files with all features, else 'base'."""
    if not all(name in features for name in JPEG_FEATURES):
        return "base"
    return "jpeg" if jpeg else "other"


def is_jpeg(data: bytes | None) -> bool:
    return data is not None and data[:3] == b"\xff\xd8\xff"


def _check_image(rgb: np.ndarray) -> str:
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3:
        shape = getattr(rgb, "shape", None)
        return f"picture: expected shape (H, W, 3), got {shape}"
    if rgb.dtype != np.uint8:
        return f"picture: expected uint8 pixels, got {rgb.dtype}"
    if rgb.shape[0] * rgb.shape[1] > MAX_PIXELS or min(rgb.shape[:2]) < 8:
        return f"picture: size {rgb.shape[1]}x{rgb.shape[0]} outside what is measured"
    return ""


def _pixel_features(rgb: np.ndarray, frame: FaceFrame) -> dict[str, float] | None:
    """Noise and sharpness (crop at `MAX_UNIT`) and detail (crop at `DETAIL_UNIT`) features."""
    crop, scale = normalised_crop(rgb, frame, MAX_UNIT)
    features = base_features(crop, radius_map(crop.shape[0], frame.unit * scale))
    if features is None:
        return None
    if frame.unit > MAX_UNIT:
        crop, scale = normalised_crop(rgb, frame, DETAIL_UNIT)
    detail = detail_features(crop, radius_map(crop.shape[0], frame.unit * scale))
    return {**features, **detail} if detail else None


def measure(rgb: np.ndarray, landmarks: np.ndarray, jpeg_bytes: bytes | None) -> Measurement:
    """All features of the face at `landmarks` in `rgb` (the decoded picture)."""
    problem = _check_image(rgb)
    if problem:
        return Measurement({}, False, problem)
    try:
        points = check_landmarks(landmarks)
    except ValueError as exc:
        return Measurement({}, False, str(exc))
    frame = face_frame(points)
    if not np.isfinite(frame.unit) or frame.unit < MIN_UNIT:
        return Measurement(
            {},
            False,
            f"face too small: {frame.unit:.0f} px between eyes, signals measured from {MIN_UNIT:.0f} px",
        )
    height, width = rgb.shape[:2]
    x, y = frame.centre
    if not (0 <= x < width and 0 <= y < height) or frame.unit > 4 * max(height, width):
        return Measurement({}, False, "landmarks lie outside the picture")
    if inside_fraction(frame, (height, width), *RING) < MIN_RING_INSIDE:
        return Measurement({}, False, "too little of the face's surroundings is in the picture")
    features = _pixel_features(rgb, frame)
    if features is None or not all(np.isfinite(v) for v in features.values()):
        return Measurement({}, False, "face or surroundings too small or flat to measure")
    extra = jpeg_features(rgb, frame)
    if extra is None or not all(np.isfinite(v) for v in extra.values()):
        return Measurement(features, False, "")
    return Measurement({**features, **extra}, is_jpeg(jpeg_bytes), "")
