"""Ultra-Light-Fast-Generic-Face-Detector (UltraFace): boxes and scores, no landmarks.

Input: the whole picture resized to the model's fixed size (aspect not kept, as the
upstream repository does), RGB, (pixel - 127) / 128, NCHW. Outputs: `scores` (1, A, 2)
softmax, column 1 = face; `boxes` (1, A, 4) corners normalised to 0..1.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from scanner.inference.geometry import nms
from scanner.inference.manifest import Manifest
from scanner.inference.registry import family
from scanner.inference.results import Detections


@family("ultraface")
class UltraFaceDetector:
    """face-detect adapter; params: score_threshold, nms_iou, mean, std."""

    def __init__(self, manifest: Manifest, session: Any) -> None:
        params = manifest.params
        self.manifest = manifest
        self.session = session
        spec = manifest.single.inputs[0]
        self.input = spec.name
        self.size = (int(spec.shape[3]), int(spec.shape[2]))  # type: ignore[arg-type]
        self.max_side = max(self.size)
        self.score_threshold = float(params.get("score_threshold", 0.7))
        self.nms_iou = float(params.get("nms_iou", 0.3))
        self.mean = float(params.get("mean", 127.0))
        self.std = float(params.get("std", 128.0))

    def detect(self, rgb: np.ndarray) -> Detections:
        """Faces in an RGB uint8 picture (landmarks are NaN: the model has none)."""
        height, width = rgb.shape[:2]
        area = self.size[0] * self.size[1] < width * height
        resized = cv2.resize(
            rgb, self.size, interpolation=cv2.INTER_AREA if area else cv2.INTER_LINEAR
        )
        blob = ((resized.astype(np.float32) - self.mean) / self.std).transpose(2, 0, 1)[None]
        scores, boxes = self.session.run(["scores", "boxes"], {self.input: blob})
        face = scores[0, :, 1]
        keep = face > self.score_threshold
        if not keep.any():
            return Detections.empty()
        box = np.clip(boxes[0, keep], 0.0, 1.0) * np.array([width, height, width, height])
        score = face[keep]
        pick = nms(box, score, self.nms_iou)
        landmarks = np.full((len(pick), 5, 2), np.nan, dtype=np.float32)
        return Detections(box[pick], score[pick], landmarks)
