"""Box helpers shared by the detector adapters: NMS, squaring, padded crops."""

from __future__ import annotations

import numpy as np

from scanner.media.resize import shrink_to_side

NMS_BLOCK = 1 << 20  # overlaps computed at once (8 MiB of float64), see nms


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, mode: str = "union") -> np.ndarray:
    """Greedy non-maximum suppression; indices kept, best score first.

    `mode` is "union" (IoU) or "min" (intersection over the smaller box). Boxes are taken
    best first (ties in input order); each box not yet suppressed is kept and suppresses
    the later ones it overlaps by more than `threshold`. The overlaps of a block of
    candidates with all boxes are computed in one array operation (at most NMS_BLOCK
    values), so the Python loop does one step per box instead of a dozen.
    """
    count = len(boxes)
    if count == 0:
        return np.zeros((0,), dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = (boxes[order, i].astype(np.float64) for i in range(4))
    area = np.maximum(0.0, x2 - x1) * np.maximum(0.0, y2 - y1)
    alive = np.ones(count, dtype=bool)
    keep = []
    rows = max(1, NMS_BLOCK // count)
    for first in range(0, count, rows):
        block = first + np.flatnonzero(alive[first : first + rows])
        if not block.size:
            continue
        b = block[:, None]
        width = np.maximum(0.0, np.minimum(x2[b], x2) - np.maximum(x1[b], x1))
        height = np.maximum(0.0, np.minimum(y2[b], y2) - np.maximum(y1[b], y1))
        inter = width * height
        if mode == "min":
            denominator = np.minimum(area[b], area)
        else:
            denominator = area[b] + area - inter
        apart = inter / np.maximum(denominator, 1e-9) <= threshold
        for row, index in enumerate(block):
            if alive[index]:
                keep.append(index)
                alive[index + 1 :] &= apart[row, index + 1 :]
    return order[np.asarray(keep, dtype=np.int64)]


def square(boxes: np.ndarray) -> np.ndarray:
    """Boxes grown to squares around the same centre."""
    out = boxes.astype(np.float64).copy()
    width, height = out[:, 2] - out[:, 0], out[:, 3] - out[:, 1]
    side = np.maximum(width, height)
    out[:, 0] += (width - side) / 2
    out[:, 1] += (height - side) / 2
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def padded_crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """image[y1:y2, x1:x2] where parts outside the picture are zeros."""
    x1, y1, x2, y2 = box
    height, width = image.shape[:2]
    if x1 >= 0 and y1 >= 0 and x2 <= width and y2 <= height and x2 > x1 and y2 > y1:
        return image[y1:y2, x1:x2]
    out = np.zeros((max(1, y2 - y1), max(1, x2 - x1), image.shape[2]), dtype=image.dtype)
    sx1, sy1, sx2, sy2 = max(0, x1), max(0, y1), min(width, x2), min(height, y2)
    if sx2 > sx1 and sy2 > sy1:
        out[sy1 - y1 : sy2 - y1, sx1 - x1 : sx2 - x1] = image[sy1:sy2, sx1:sx2]
    return out


def reflect_crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """image[y1:y2, x1:x2] where parts outside the picture are filled by reflection."""
    x1, y1, x2, y2 = box
    height, width = image.shape[:2]
    sx1, sy1, sx2, sy2 = max(0, x1), max(0, y1), min(width, x2), min(height, y2)
    if sx2 <= sx1 or sy2 <= sy1:
        return padded_crop(image, box)
    crop = image[sy1:sy2, sx1:sx2]
    top, left = sy1 - y1, sx1 - x1
    bottom, right = y2 - sy2, x2 - sx2
    if top or left or bottom or right:
        import cv2

        border = cv2.BORDER_REFLECT_101 if min(crop.shape[:2]) > 1 else cv2.BORDER_REPLICATE
        crop = cv2.copyMakeBorder(crop, top, bottom, left, right, border)
    return crop


def resize_to_side(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """`image` shrunk (`shrink_to_side`) so its longer side is at most `max_side`; and the
    factor to multiply its coordinates by to get back to `image`."""
    small = shrink_to_side(image, max_side)
    return small, image.shape[1] / small.shape[1]


def fit_side(image: np.ndarray, max_side: int, upscale_below: int = 0) -> tuple[np.ndarray, float]:
    """`image` reduced to `max_side`, or enlarged 2× (repeatedly) while its longer side is
    below `upscale_below`, so small faces reach the detector's minimum size; and the
    factor to multiply its coordinates by to get back to `image`."""
    import cv2

    longest = max(image.shape[:2])
    if upscale_below <= 0 or longest >= upscale_below or longest < 1:
        return resize_to_side(image, max_side)
    times = 1
    while longest * times < upscale_below and times < 8:
        times *= 2
    size = (image.shape[1] * times, image.shape[0] * times)
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), 1.0 / times
