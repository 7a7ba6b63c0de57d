"""YuNet face detector (libfacedetection.train): anchor-free, strides 8/16/32, 5 landmarks.

Input NCHW BGR 0..255 float, no normalisation; dynamic models need height and width
that are multiples of 32 (the picture is reduced to `max_side` and zero-padded right
and bottom), fixed-size models get the same letterbox. Per stride s, outputs cls, obj
(already sigmoid), bbox (dx, dy, dw, dh) and kps (10) per grid cell in row-major order,
anchored at the cell's top-left corner (col·s, row·s). Score = cls × obj (the repo's
own evaluation); boxes and landmarks are mapped back by the reduction factor.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scanner.inference.geometry import fit_side, nms, resize_to_side
from scanner.inference.manifest import Manifest
from scanner.inference.registry import family
from scanner.inference.results import Detections

STRIDES = (8, 16, 32)


@family("yunet")
class YuNetDetector:
    """face-detect adapter; params: max_side, upscale_below, score_threshold, nms_iou,
    score (product = the repo's cls × obj, or sqrt = OpenCV's)."""

    def __init__(self, manifest: Manifest, session: Any) -> None:
        params = manifest.params
        self.manifest = manifest
        self.session = session
        spec = manifest.single.inputs[0]
        self.input = spec.name
        height, width = spec.shape[2], spec.shape[3]
        self.fixed = (width, height) if isinstance(height, int) and isinstance(width, int) else None
        self.max_side = int(params.get("max_side", 640))
        self.upscale_below = int(params.get("upscale_below", 0))
        if self.fixed:
            self.max_side = min(self.max_side, *self.fixed)
        self.score_threshold = float(params.get("score_threshold", 0.6))
        self.nms_iou = float(params.get("nms_iou", 0.45))
        self.sqrt_score = str(params.get("score", "product")) == "sqrt"
        self.outputs = [f"{kind}_{s}" for kind in ("cls", "obj", "bbox", "kps") for s in STRIDES]

    def _blob(self, rgb: np.ndarray) -> tuple[np.ndarray, float]:
        if self.fixed:
            ratio = min(self.fixed[0] / rgb.shape[1], self.fixed[1] / rgb.shape[0], 1.0)
            small, factor = resize_to_side(rgb, max(1, int(max(rgb.shape[:2]) * ratio)))
            width, height = self.fixed
        else:
            small, factor = fit_side(rgb, self.max_side, self.upscale_below)
            height = math.ceil(small.shape[0] / 32) * 32
            width = math.ceil(small.shape[1] / 32) * 32
        blob = np.zeros((1, 3, height, width), dtype=np.float32)
        blob[0, :, : small.shape[0], : small.shape[1]] = small[..., ::-1].transpose(2, 0, 1)
        return blob, factor

    def detect(self, rgb: np.ndarray) -> Detections:
        """Faces in an RGB uint8 picture, in its own pixel coordinates."""
        blob, factor = self._blob(rgb)
        values = dict(
            zip(self.outputs, self.session.run(self.outputs, {self.input: blob}), strict=True)
        )
        width = blob.shape[3]
        boxes, scores, points = [], [], []
        for stride in STRIDES:
            score = values[f"cls_{stride}"][0, :, 0] * values[f"obj_{stride}"][0, :, 0]
            if self.sqrt_score:
                score = np.sqrt(np.clip(score, 0.0, 1.0))
            cells = np.flatnonzero(score >= self.score_threshold)
            if not len(cells):
                continue
            columns = width // stride
            anchor = (
                np.stack([cells % columns, cells // columns], axis=1).astype(np.float32) * stride
            )
            bbox = values[f"bbox_{stride}"][0, cells]
            centre = bbox[:, :2] * stride + anchor
            size = np.exp(bbox[:, 2:4]) * stride
            boxes.append(np.hstack([centre - size / 2, centre + size / 2]))
            kps = values[f"kps_{stride}"][0, cells].reshape(-1, 5, 2)
            points.append(kps * stride + anchor[:, None, :])
            scores.append(score[cells])
        if not boxes:
            return Detections.empty()
        box, score, point = np.vstack(boxes), np.concatenate(scores), np.vstack(points)
        keep = nms(box, score, self.nms_iou)
        found = Detections(box[keep], np.clip(score[keep], 0.0, 1.0), point[keep]).scaled(factor)
        height, width = rgb.shape[:2]
        clipped = np.clip(found.boxes, 0, [width, height, width, height])
        return Detections(clipped, found.scores, found.landmarks)
