"""Edits an offender might apply to a picture (shared by the victim test and the benchmark)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np


def jpeg50(rgb: np.ndarray) -> np.ndarray:
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 50]
    )
    assert ok
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def half_size(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return cv2.resize(rgb, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)


def crop5(rgb: np.ndarray) -> np.ndarray:
    """5 % of the area cut away: 1.27 % of the width and of the height from each side."""
    return crop(rgb, 0.0127, 0.0127, 0.0127, 0.0127)


def crop5_corner(rgb: np.ndarray) -> np.ndarray:
    """5 % of the area cut away from one corner: 2.53 % of the width (left) and height (top)."""
    return crop(rgb, 0.0253, 0.0253, 0.0, 0.0)


def crop(rgb: np.ndarray, left: float, top: float, right: float, bottom: float) -> np.ndarray:
    """Cut the given fractions of the width/height from each side."""
    h, w = rgb.shape[:2]
    y0, y1 = round(h * top), h - round(h * bottom)
    x0, x1 = round(w * left), w - round(w * right)
    return np.ascontiguousarray(rgb[y0:y1, x0:x1])


def grayscale(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)


def text_overlay(rgb: np.ndarray, text: str = "leaked 2026") -> np.ndarray:
    """A white caption, 5 % of the picture's height, near the bottom-left corner."""
    out = rgb.copy()
    h, w = out.shape[:2]
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 1.0, 2)
    scale = 0.05 * h / th
    thickness = max(1, round(2 * scale))
    origin = (w // 20, h - h // 20)
    cv2.putText(
        out, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA
    )
    return out


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "jpeg-q50": jpeg50,
    "resize-50%": half_size,
    "crop-5%": crop5,
    "crop-5%-corner": crop5_corner,
    "grayscale": grayscale,
    "text-overlay": text_overlay,
}
