"""Binary face-crop classifiers (deepfake detectors such as MesoNet).

Per face: a square centred on the detector's box, side = margin × the box's longer
side, parts outside the picture filled by reflection, resized to size×size; then
channel order, scale, mean and std from the manifest; NCHW. `output` names the
tensor, `column` its column and `fake_when` whether a `high` or `low` value means fake.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from scanner.inference.geometry import reflect_crop
from scanner.inference.manifest import Manifest
from scanner.inference.normalise import ChipNormalisation
from scanner.inference.registry import family
from scanner.inference.results import Detections


@family("face-crop-binary")
class FaceCropClassifier:
    """deepfake adapter; params: size, margin, channels, scale, mean, std, column, fake_when."""

    def __init__(self, manifest: Manifest, session: Any) -> None:
        params = manifest.params
        self.manifest = manifest
        self.session = session
        spec = manifest.single.inputs[0]
        self.input = spec.name
        self.batched = not isinstance(spec.shape[0], int) or spec.shape[0] != 1
        self.size = int(params.get("size", spec.shape[2]))
        self.margin = float(params.get("margin", 1.3))
        self.normalisation = ChipNormalisation.from_params(params, default_scale=1.0 / 255.0)
        self.output = str(params.get("output", manifest.single.outputs[0].name))
        self.column = int(params.get("column", 0))
        fake_when = str(params.get("fake_when", "high"))
        if fake_when not in ("high", "low"):
            raise ValueError(f"fake_when: expected high or low, got {fake_when!r}")
        self.invert = fake_when == "low"

    def crop(self, rgb: np.ndarray, box: np.ndarray) -> np.ndarray:
        """The size×size RGB crop the model sees for one face box."""
        x1, y1, x2, y2 = (float(value) for value in box)
        side = max(1, round(self.margin * max(x2 - x1, y2 - y1)))
        left = round((x1 + x2) / 2 - side / 2)
        top = round((y1 + y2) / 2 - side / 2)
        crop = reflect_crop(rgb, (left, top, left + side, top + side))
        return cv2.resize(crop, (self.size, self.size), interpolation=cv2.INTER_LINEAR)

    def score_crops(self, crops: np.ndarray) -> np.ndarray:
        """(N,) fake scores in 0..1 for (N, size, size, 3) RGB uint8 crops."""
        blob = self.normalisation.blob(crops)
        if self.batched:
            out = self.session.run([self.output], {self.input: blob})[0]
        else:
            parts = [
                self.session.run([self.output], {self.input: blob[i : i + 1]})[0]
                for i in range(len(blob))
            ]
            out = np.concatenate(parts, axis=0)
        values = np.asarray(out, dtype=np.float32).reshape(len(blob), -1)[:, self.column]
        values = np.clip(values, 0.0, 1.0)
        return 1.0 - values if self.invert else values

    def score(self, rgb: np.ndarray, detections: Detections) -> np.ndarray:
        """(N,) fake scores in 0..1, one per detected face."""
        if not len(detections):
            return np.zeros((0,), dtype=np.float32)
        crops = np.stack([self.crop(rgb, box) for box in detections.boxes])
        return self.score_crops(crops)
