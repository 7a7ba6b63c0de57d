"""Helpers for the deepfake-analysis tests: a small composite generator and JPEG encoding."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

SHARED = Path(__file__).resolve().parents[3] / "shared"
FACES = SHARED / "data" / "faces"


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    matrix, _ = cv2.estimateAffinePartial2D(src.astype(np.float32), dst.astype(np.float32))
    return matrix


def paste_face(
    source: np.ndarray,
    source_lm: np.ndarray,
    target: np.ndarray,
    target_lm: np.ndarray,
    bottleneck: bool = True,
) -> np.ndarray:
    """A classic composite: source face (optionally through a 128-px chip) alpha-blended on target."""
    height, width = target.shape[:2]
    if bottleneck:
        chip_lm = np.array([[44, 59], [84, 59], [64, 82], [47, 106], [81, 105]], np.float64)
        chip = cv2.warpAffine(
            source, _similarity(source_lm, chip_lm), (128, 128), flags=cv2.INTER_AREA
        )
        warped = cv2.warpAffine(
            chip, _similarity(chip_lm, target_lm), (width, height), borderMode=cv2.BORDER_REFLECT
        )
    else:
        warped = cv2.warpAffine(
            source,
            _similarity(source_lm, target_lm),
            (width, height),
            borderMode=cv2.BORDER_REFLECT,
        )
    eyes, mouth = target_lm[:2].mean(axis=0), target_lm[3:].mean(axis=0)
    unit = float(np.linalg.norm(target_lm[1] - target_lm[0]))
    centre = eyes * 0.45 + mouth * 0.55
    angle = math.degrees(math.atan2(*(target_lm[1] - target_lm[0])[::-1]))
    mask = np.zeros((height, width), np.float64)
    cv2.ellipse(
        mask,
        (round(centre[0]), round(centre[1])),
        (round(0.9 * unit), round(1.2 * unit)),
        angle,
        0,
        360,
        1.0,
        -1,
    )
    alpha = cv2.GaussianBlur(mask, (0, 0), 0.12 * unit)[..., None]
    mean_s = (warped * alpha).sum(axis=(0, 1)) / alpha.sum()
    mean_t = (target * alpha).sum(axis=(0, 1)) / alpha.sum()
    recoloured = warped.astype(np.float64) - mean_s + mean_t
    out = alpha * recoloured + (1 - alpha) * target.astype(np.float64)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def jpeg(rgb: np.ndarray, quality: int = 75) -> bytes:
    """JPEG bytes of an RGB picture (what a chat app forwards)."""
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    assert ok
    return data.tobytes()
