"""Small faces in large pictures: detection on overlapping tiles at a higher resolution.

A detector reduces every picture to its `max_side` (MTCNN 800, YuNet 640), so a face
smaller than its minimum size there (MTCNN: 20 px, 2.5 % of the longer side) is never
seen. With `SmallFaces(grid=n)` the picture is also used at n − (n − 1) × overlap
times max_side (1.8× for n = 2, so the analyser decodes it that large), cut into n
overlapping tiles along its longer side (and as many as needed along the other),
each at most the detector's own size, so the detector sees it that much finer.
Faces found only on tiles are added to the main pass's; a tile's face that lies
mostly inside another face (a face cut by a tile border) is dropped.

Cost is bounded: at most about n² (landscape n × ⌈0.75 n⌉) extra detector runs per
picture, and only for pictures larger than the detector's own size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from scanner.inference.geometry import resize_to_side
from scanner.inference.results import Detections

INSIDE = 0.5
"""A tile's face is dropped when more than this share of it lies inside a kept face."""


@dataclass(frozen=True)
class SmallFaces:
    """grid: tiles along the longer side (0 = off); overlap: share of a tile that its
    neighbour also covers (at least the size of the small faces looked for)."""

    grid: int = 0
    overlap: float = 0.2

    def __post_init__(self) -> None:
        if self.grid < 0:
            raise ValueError(f"grid: expected 0 (off) or a positive tile count, got {self.grid}")
        if not 0.0 <= self.overlap < 0.5:
            raise ValueError(f"overlap: expected a share in 0..0.5, got {self.overlap}")

    def picture_side(self, tile: int) -> int:
        """Longer side of the picture that `grid` tiles of side `tile` cover."""
        return round(tile * (self.grid - (self.grid - 1) * self.overlap))


def tile_spans(length: int, tile: int, overlap: float) -> list[tuple[int, int]]:
    """(start, end) of the fewest tiles of at most `tile` pixels covering `length`, each
    sharing at least `overlap` × tile pixels with its neighbour, evenly spread."""
    if length <= tile:
        return [(0, length)]
    shared = math.ceil(overlap * tile)
    count = math.ceil((length - shared) / (tile - shared))
    size = min(tile, math.ceil((length + (count - 1) * shared) / count))
    starts = np.linspace(0, length - size, count).round().astype(int)
    return [(int(start), int(start) + size) for start in starts]


def detect_small_faces(
    detector: Any, rgb: np.ndarray, main: Detections, settings: SmallFaces
) -> Detections:
    """`main` (the detector's pass on the whole picture) plus the faces found only on tiles."""
    tile = int(detector.max_side)
    if settings.grid < 2 or max(rgb.shape[:2]) <= tile:
        return main
    picture, factor = resize_to_side(rgb, settings.picture_side(tile))
    height, width = picture.shape[:2]
    extra = []
    for top, bottom in tile_spans(height, tile, settings.overlap):
        for left, right in tile_spans(width, tile, settings.overlap):
            part = detector.detect(picture[top:bottom, left:right])
            extra.append(part.scaled(factor, (left * factor, top * factor)))
    return merge(main, extra)


def merge(main: Detections, extra: list[Detections]) -> Detections:
    """Every face of `main`, then the faces of `extra` (best score first) that do not lie
    mostly inside a face already kept."""
    boxes = np.concatenate([main.boxes, *(part.boxes for part in extra)])
    scores = np.concatenate([main.scores, *(part.scores for part in extra)])
    landmarks = np.concatenate([main.landmarks, *(part.landmarks for part in extra)])
    keep = list(range(len(main)))
    for index in len(main) + np.argsort(-scores[len(main) :], kind="stable"):
        if not keep or _inside(boxes[index], boxes[keep]).max() <= INSIDE:
            keep.append(int(index))
    return Detections(boxes[keep], scores[keep], landmarks[keep])


def _inside(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Intersection of `box` with each of `others` over the smaller of the two areas."""
    width = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    height = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    result: np.ndarray = width * height / np.maximum(np.minimum(area, areas), 1e-9)
    return result
