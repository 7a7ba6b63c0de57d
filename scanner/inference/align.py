"""Five-point face alignment: one aligner for reference pictures and evidence alike.

Landmarks are five (x, y) points in this order: the eye on the image's left, the
eye on the image's right, the nose tip, the mouth corner on the image's left, the
mouth corner on the image's right (the order YuNet, MTCNN and RetinaFace give).
A least-squares similarity transform (rotation, uniform scale, translation; no
shear, no mirroring) maps them onto a fixed template, and the picture is warped
with bilinear interpolation. When the face is more than twice the chip size, the
picture is first reduced by a power of two with area averaging (as dlib does with
its image pyramid in `extract_image_chip`), so large faces do not alias.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

ARCFACE_112: np.ndarray = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)
"""The standard 112×112 ArcFace / insightface template."""

DLIB_150: np.ndarray = np.array(
    [
        [47.5492, 46.5990],
        [100.4761, 46.5990],
        [74.0127, 76.5625],
        [50.4149, 103.0233],
        [97.6104, 103.0233],
    ],
    dtype=np.float64,
)
"""Where dlib's 150×150 face chips put eye centres, nose tip and mouth corners.

Derived from dlib's own chip geometry (`get_face_chip_details` in
dlib/image_transforms/interpolation.h, size 150, padding 0.25): each point of
dlib's mean face (x, y in 0..1) lands at 150 * (0.25 + x) / 1.5; the eye centres
are the means of mean-face points 36-41 and 42-47, the nose tip is point 30 and
the mouth corners points 48 and 54.
"""


def _check_points(name: str, points: np.ndarray) -> np.ndarray:
    array = np.asarray(points, dtype=np.float64)
    if array.shape != (5, 2):
        raise ValueError(f"{name}: expected shape (5, 2), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: expected finite coordinates, got {array.tolist()}")
    return array


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares similarity (Umeyama, no reflection) mapping `source` onto `target`; (2, 3)."""
    src = _check_points("source", source)
    dst = _check_points("target", target)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    src_var = float((src_c**2).sum()) / len(src)
    if src_var < 1e-12:
        raise ValueError("landmarks: expected distinct points, got all points equal")
    cov = dst_c.T @ src_c / len(src)
    u, d, vt = np.linalg.svd(cov)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1] = -1.0
    rotation = u @ np.diag(sign) @ vt
    scale = float((d * sign).sum()) / src_var
    matrix = np.empty((2, 3), dtype=np.float64)
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def _check_image(image: np.ndarray) -> np.ndarray:
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image: expected shape (H, W, 3), got {image.shape}")
    return image


def _reduce(image: np.ndarray, matrix: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Crop the chip's source region and shrink it by 2**k so the warp scale is in (0.5, 1]."""
    scale = math.hypot(matrix[0, 0], matrix[1, 0])
    levels = int(math.floor(math.log2(1.0 / scale))) if scale < 0.5 else 0
    if levels == 0:
        return image, matrix
    inverse = cv2.invertAffineTransform(matrix)
    corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], dtype=np.float64)
    mapped = corners @ inverse.T
    factor = 2**levels
    height, width = image.shape[:2]
    x0 = max(0, int(math.floor(mapped[:, 0].min())) - 2 * factor)
    y0 = max(0, int(math.floor(mapped[:, 1].min())) - 2 * factor)
    x1 = min(width, int(math.ceil(mapped[:, 0].max())) + 2 * factor)
    y1 = min(height, int(math.ceil(mapped[:, 1].max())) + 2 * factor)
    columns, rows = (x1 - x0) // factor, (y1 - y0) // factor
    if columns < 1 or rows < 1:
        return image, matrix
    # An exact multiple of the factor keeps OpenCV on its fast integer-scale area path.
    crop = image[y0 : y0 + rows * factor, x0 : x0 + columns * factor]
    small = cv2.resize(crop, (columns, rows), interpolation=cv2.INTER_AREA)
    # Pixel centre q of the reduced crop sits at p = factor * q + offset in the picture.
    offset = np.array([x0 + 0.5 * factor - 0.5, y0 + 0.5 * factor - 0.5])
    adjusted = np.empty_like(matrix)
    adjusted[:, :2] = matrix[:, :2] * factor
    adjusted[:, 2] = matrix[:, :2] @ offset + matrix[:, 2]
    return small, adjusted


def align_face(
    image: np.ndarray, landmarks: np.ndarray, template: np.ndarray, size: int
) -> np.ndarray:
    """Warp `image` (H, W, 3) so the five `landmarks` land on `template`; (size, size, 3)."""
    if size < 1:
        raise ValueError(f"size: expected a positive chip size, got {size}")
    picture = _check_image(np.asarray(image))
    matrix = similarity_transform(landmarks, template)
    source, warp = _reduce(picture, matrix, size)
    return cv2.warpAffine(
        source,
        warp,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
