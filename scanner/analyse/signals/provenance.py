"""Which reference photo a pasted face was made from.

A face pasted from a victim's photo keeps that photo's exact pixels of eyes, nose and
mouth — warped, recoloured, blurred and recompressed, but the fine arrangement of
skin texture, reflections and hair strands is that one photograph's. Another photo of
the same person does not share it. So both faces are aligned on their 5 landmarks,
reduced to greyscale, band-passed (a difference of Gaussians removes colour and
illumination, and the finest pixels where JPEG and resizing differ), locally
contrast-normalised, and the inner face of the evidence is correlated with each
reference over small shifts, scales and rotations (normalised cross-correlation).

The best correlation names the reference; `matched` says it is above
`SOURCE_MATCH_THRESHOLD`, measured on genuine photos of the same people that were
*not* the source (see docs/deepfake.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from scanner.inference.align import ARCFACE_112, align_face

SOURCE_MATCH_THRESHOLD = 0.75
"""Correlation above which a face is reported as made from a reference photo."""

CHIP = 128
PAD = 10
TEMPLATE = ARCFACE_112 * (CHIP / 112.0)
INNER = (36, 48, 92, 116)  # x0, y0, x1, y1 in chip pixels: brows to below the mouth
SCALES = (0.95, 1.0, 1.05)
ROTATIONS = (-3.0, 0.0, 3.0)
MIN_EYE_DISTANCE = 16.0
_SIGMA_FINE, _SIGMA_COARSE, _SIGMA_CONTRAST = 0.7, 2.0, 6.0


SOURCE_PATTERN_MODEL = "source-photo-pattern"  # VictimStore "model" holding reference patterns


@dataclass(frozen=True)
class SourcePhotoMatch:
    """Best reference photo for a face: its id, the correlation, and whether it counts."""

    reference: str
    correlation: float
    matched: bool


@dataclass(frozen=True)
class PreparedReference:
    """A reference photo's band-passed aligned face, ready to be searched."""

    reference: str
    pattern: np.ndarray


def _band_pass(chip_rgb: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(chip_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    dog = cv2.GaussianBlur(grey, (0, 0), _SIGMA_FINE) - cv2.GaussianBlur(
        grey, (0, 0), _SIGMA_COARSE
    )
    energy = cv2.GaussianBlur(dog * dog, (0, 0), _SIGMA_CONTRAST)
    result: np.ndarray = dog / np.sqrt(energy + 1.0)
    return result


def _check(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    if (
        not isinstance(rgb, np.ndarray)
        or rgb.ndim != 3
        or rgb.shape[2] != 3
        or rgb.dtype != np.uint8
    ):
        raise ValueError(f"picture: expected uint8 (H, W, 3), got {getattr(rgb, 'shape', None)}")
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (5, 2) or not np.all(np.isfinite(points)):
        raise ValueError(f"landmarks: expected finite (5, 2), got {points.shape}")
    if float(np.hypot(*(points[1] - points[0]))) < MIN_EYE_DISTANCE:
        raise ValueError("face too small to compare with reference photos")
    return points


def prepare_reference(reference: str, rgb: np.ndarray, landmarks: np.ndarray) -> PreparedReference:
    """Align and band-pass a reference photo's face (with a margin for the shift search)."""
    points = _check(rgb, landmarks)
    chip = align_face(rgb, points, TEMPLATE + PAD, CHIP + 2 * PAD)
    return PreparedReference(reference, _band_pass(chip))


def _query_patterns(rgb: np.ndarray, points: np.ndarray) -> list[np.ndarray]:
    """The evidence face's inner window at each searched scale and rotation."""
    chip = _band_pass(align_face(rgb, points, TEMPLATE, CHIP))
    x0, y0, x1, y1 = INNER
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    patterns = []
    for scale in SCALES:
        for angle in ROTATIONS:
            matrix = cv2.getRotationMatrix2D(centre, angle, scale)
            turned = cv2.warpAffine(chip, matrix, (CHIP, CHIP), flags=cv2.INTER_LINEAR)
            patterns.append(np.ascontiguousarray(turned[y0:y1, x0:x1]))
    return patterns


def _correlation(patterns: list[np.ndarray], reference: PreparedReference) -> float:
    best = -1.0
    for pattern in patterns:
        scores = cv2.matchTemplate(reference.pattern, pattern, cv2.TM_CCOEFF_NORMED)
        best = max(best, float(np.nanmax(scores)))
    return best


def match_source_photo(
    rgb: np.ndarray,
    landmarks: np.ndarray,
    references: Sequence[tuple[str, np.ndarray, np.ndarray] | PreparedReference],
) -> SourcePhotoMatch | None:
    """The reference photo the face at `landmarks` correlates with best, or None.

    References are (id, rgb, landmarks) or already prepared; unusable references are
    skipped. None when the face itself is unusable or no reference is usable.
    """
    try:
        points = _check(rgb, landmarks)
        patterns = _query_patterns(rgb, points)
    except (ValueError, cv2.error):
        return None
    best: tuple[float, str] | None = None
    for item in references:
        try:
            prepared = item if isinstance(item, PreparedReference) else prepare_reference(*item)
            value = _correlation(patterns, prepared)
        except (ValueError, TypeError, cv2.error):
            continue
        if np.isfinite(value) and (best is None or value > best[0]):
            best = (value, prepared.reference)
    if best is None:
        return None
    return SourcePhotoMatch(best[1], round(best[0], 4), best[0] >= SOURCE_MATCH_THRESHOLD)
