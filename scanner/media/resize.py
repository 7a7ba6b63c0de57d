"""Shrinking decoded pictures fast and without aliasing."""

from __future__ import annotations

import cv2
import numpy as np


def shrink_to_side(image: np.ndarray, side: int) -> np.ndarray:
    """`image` with its longer side at most `side`, aspect kept.

    Halves by 2x2 area averages while at least 2x too large (OpenCV's fast exact path:
    an odd last row or column is left out), then interpolates the remaining reduction of
    less than 2x bilinearly, like Pillow's `reducing_gap`. Area averaging at any other
    ratio, even a whole one, costs several times more for the same look.
    """
    height, width = image.shape[:2]
    longest = max(height, width)
    if longest <= side:
        return image
    ratio = side / longest
    size = (max(1, round(width * ratio)), max(1, round(height * ratio)))
    while max(image.shape[:2]) >= 2 * side and min(image.shape[:2]) >= 2:
        rows, columns = image.shape[0] // 2, image.shape[1] // 2
        image = cv2.resize(
            image[: rows * 2, : columns * 2], (columns, rows), interpolation=cv2.INTER_AREA
        )
    if (image.shape[1], image.shape[0]) == size:
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
