"""Face geometry from the 5 landmarks: scale, a normalised crop and elliptical radius maps.

Landmark order (as the face detector gives them): the eye on the image's left, the eye
on the image's right, the nose tip, the mouth corner on the image's left, the mouth
corner on the image's right.

The face ellipse is centred between the eyes and the mouth, turned with the eye line,
with semi-axes 1.0 x 1.25 face units (horizontal x vertical), where one face unit is
the larger of the eye distance and 0.85 x the eye-to-mouth distance. An elliptical
radius of 1 is the outline of that ellipse (roughly brows to chin, cheek to cheek).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

AXES = (1.0, 1.25)
CROP_RADIUS = 2.1  # the crop reaches this elliptical radius in every direction


@dataclass(frozen=True)
class FaceFrame:
    """A face's position: centre (x, y), unit (pixels), angle (radians) of the eye line."""

    centre: tuple[float, float]
    unit: float
    angle: float


def check_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """Landmarks as a finite float (5, 2) array, or ValueError naming what is wrong."""
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (5, 2):
        raise ValueError(f"landmarks: expected shape (5, 2), got {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError("landmarks: expected finite coordinates")
    return points


def face_frame(landmarks: np.ndarray) -> FaceFrame:
    """Centre, unit and eye-line angle of a face from its 5 landmarks."""
    points = check_landmarks(landmarks)
    eyes = (points[0] + points[1]) / 2
    mouth = (points[3] + points[4]) / 2
    eye_vector = points[1] - points[0]
    unit = max(float(np.hypot(*eye_vector)), 0.85 * float(np.hypot(*(mouth - eyes))))
    centre = eyes * 0.45 + mouth * 0.55
    angle = math.atan2(float(eye_vector[1]), float(eye_vector[0]))
    return FaceFrame((float(centre[0]), float(centre[1])), unit, angle)


def normalised_crop(
    image: np.ndarray, frame: FaceFrame, max_unit: float
) -> tuple[np.ndarray, float]:
    """Upright crop around the face, scaled down so the unit is at most `max_unit` pixels.

    Returns (crop, scale); the crop is never enlarged (scale <= 1), so pixel-level
    signals such as noise are kept; areas outside the picture are reflected.
    """
    scale = min(1.0, max_unit / frame.unit)
    unit = frame.unit * scale
    half = int(math.ceil(CROP_RADIUS * AXES[1] * unit))
    size = 2 * half + 1
    cos, sin = math.cos(-frame.angle) * scale, math.sin(-frame.angle) * scale
    cx, cy = frame.centre
    matrix = np.array(
        [
            [cos, -sin, half - (cos * cx - sin * cy)],
            [sin, cos, half - (sin * cx + cos * cy)],
        ]
    )
    source, matrix = _cut(image, matrix, size)
    if scale < 0.5:  # shrink first with area averaging so the warp does not alias
        factor = 2 ** int(math.floor(math.log2(1.0 / scale)))
        source, matrix = _pre_shrink(source, matrix, factor)
    crop = cv2.warpAffine(
        source, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
    )
    return crop, scale


def _cut(image: np.ndarray, matrix: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The part of the picture the crop samples (plus a margin), and the adjusted matrix."""
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64)
    mapped = corners @ inverse.T
    height, width = image.shape[:2]
    margin = 4 + int(math.ceil(1.0 / math.hypot(matrix[0, 0], matrix[1, 0])))
    x0 = min(max(0, int(math.floor(mapped[:, 0].min())) - margin), width - 1)
    y0 = min(max(0, int(math.floor(mapped[:, 1].min())) - margin), height - 1)
    x1 = max(min(width, int(math.ceil(mapped[:, 0].max())) + margin), x0 + 1)
    y1 = max(min(height, int(math.ceil(mapped[:, 1].max())) + margin), y0 + 1)
    adjusted = matrix.copy()
    adjusted[:, 2] = matrix[:, :2] @ np.array([x0, y0], np.float64) + matrix[:, 2]
    return image[y0:y1, x0:x1], adjusted


def _pre_shrink(
    image: np.ndarray, matrix: np.ndarray, factor: int
) -> tuple[np.ndarray, np.ndarray]:
    height, width = image.shape[:2]
    small = cv2.resize(
        image, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA
    )
    offset = np.array([0.5 * factor - 0.5, 0.5 * factor - 0.5])
    adjusted = np.empty_like(matrix)
    adjusted[:, :2] = matrix[:, :2] * factor
    adjusted[:, 2] = matrix[:, :2] @ offset + matrix[:, 2]
    return small, adjusted


def radius_map(size: int, unit: float) -> np.ndarray:
    """Elliptical radius of every pixel of an upright crop of `size` centred on the face."""
    half = (size - 1) / 2
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    result: np.ndarray = np.hypot((xs - half) / (AXES[0] * unit), (ys - half) / (AXES[1] * unit))
    return result


def point_radius(frame: FaceFrame, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Elliptical radius of picture points (xs, ys) relative to the face."""
    dx, dy = xs - frame.centre[0], ys - frame.centre[1]
    cos, sin = math.cos(frame.angle), math.sin(frame.angle)
    u = (cos * dx + sin * dy) / (AXES[0] * frame.unit)
    v = (-sin * dx + cos * dy) / (AXES[1] * frame.unit)
    return np.hypot(u, v)


def inside_fraction(frame: FaceFrame, shape: tuple[int, int], low: float, high: float) -> float:
    """Share of the elliptical band [low, high) that lies inside a picture of `shape`."""
    angles = np.linspace(0.0, 2.0 * math.pi, 72, endpoint=False)
    radii = np.linspace(low, high, 4)
    t, r = np.meshgrid(angles, radii)
    u, v = r * np.cos(t) * AXES[0] * frame.unit, r * np.sin(t) * AXES[1] * frame.unit
    cos, sin = math.cos(frame.angle), math.sin(frame.angle)
    xs = frame.centre[0] + cos * u - sin * v
    ys = frame.centre[1] + sin * u + cos * v
    inside = (xs >= 0) & (xs < shape[1]) & (ys >= 0) & (ys < shape[0])
    return float(inside.mean())
