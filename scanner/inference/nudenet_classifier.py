"""NudeNet (YOLOv8n, 320×320) nudity detector: our own decode of the raw YOLOv8 output.

Input: the picture padded right/bottom with black to a square, resized to size×size,
RGB, 0..1, NCHW. Output (1, 4 + classes, anchors): centre x, centre y, width, height
in input pixels, then one sigmoid score per class. Image-level nudity score = the
highest score among the manifest's `nudity_labels` (exposed sexual body parts).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from scanner.inference.geometry import nms
from scanner.inference.manifest import Manifest
from scanner.inference.registry import family
from scanner.inference.results import NudityLabel, NudityResult


@family("nudenet-yolov8")
class NudeNetClassifier:
    """nudity adapter; params: size, labels, nudity_labels, score_threshold, nms_iou."""

    def __init__(self, manifest: Manifest, session: Any) -> None:
        params = manifest.params
        self.manifest = manifest
        self.session = session
        self.input = manifest.single.inputs[0].name
        self.size = int(params.get("size", 320))
        self.labels = tuple(str(label) for label in params["labels"])
        self.nudity_labels = frozenset(str(label) for label in params["nudity_labels"])
        unknown = self.nudity_labels - set(self.labels)
        if unknown:
            raise ValueError(f"nudity_labels not in labels: {sorted(unknown)}")
        self.score_threshold = float(params.get("score_threshold", 0.2))
        self.nms_iou = float(params.get("nms_iou", 0.45))

    def _blob(self, rgb: np.ndarray) -> tuple[np.ndarray, float]:
        """Resize (keeping aspect) so the longer side is `size`, pad right/bottom with black:
        the same picture as padding to a square first, without a side×side buffer."""
        height, width = rgb.shape[:2]
        side = max(height, width)
        ratio = self.size / side
        new = (max(1, round(width * ratio)), max(1, round(height * ratio)))
        interpolation = cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR
        resized = cv2.resize(rgb, new, interpolation=interpolation)
        blob = np.zeros((1, 3, self.size, self.size), dtype=np.float32)
        scaled = blob[0, :, : new[1], : new[0]]
        np.divide(resized.transpose(2, 0, 1), np.float32(255), out=scaled, dtype=np.float32)
        return blob, side / self.size

    def classify(self, rgb: np.ndarray) -> NudityResult:
        """Labelled regions (score ≥ score_threshold, after NMS) and the image score."""
        blob, factor = self._blob(rgb)
        (output,) = self.session.run(None, {self.input: blob})
        rows = output[0].T  # (anchors, 4 + classes)
        if rows.shape[1] != 4 + len(self.labels):
            raise ValueError(f"output: expected {4 + len(self.labels)} rows, got {rows.shape[1]}")
        class_scores = rows[:, 4:]
        best = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(len(rows)), best]
        keep = scores >= self.score_threshold
        centre, size = rows[keep, 0:2], rows[keep, 2:4]
        boxes = np.hstack([centre - size / 2, centre + size / 2]) * factor
        height, width = rgb.shape[:2]
        boxes = np.clip(boxes, 0, [width, height, width, height])
        scores, best = scores[keep], best[keep]
        labels = []
        for index in nms(boxes, scores, self.nms_iou):
            box = tuple(float(value) for value in boxes[index])
            labels.append(NudityLabel(self.labels[best[index]], float(scores[index]), box))  # type: ignore[arg-type]
        nude = [item.score for item in labels if item.label in self.nudity_labels]
        return NudityResult(min(1.0, max(nude, default=0.0)), tuple(labels))
