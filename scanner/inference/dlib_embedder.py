"""face-embed adapter for dlib's face-recognition ResNet converted by `dlib_convert`.

Each face is aligned onto the 150×150 `DLIB_150` template from its five landmarks,
then the chips go through the ONNX model in batches. The model normalises the
pixels itself, and its 128-d output is dlib's descriptor unchanged: not
L2-normalised, compared by Euclidean distance (dlib's threshold: 0.6).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scanner.inference.align import DLIB_150, align_face
from scanner.inference.manifest import Manifest
from scanner.inference.providers import on_gpu
from scanner.inference.registry import family

CHIP_SIZE = 150
DIMENSION = 128
DEFAULT_BATCH = 16
GPU_BATCH = 64  # chips per run when the session runs on a GPU


@family("dlib-resnet")
class DlibResnetEmbedder:
    """Embeds faces with the dlib ResNet; `embed(rgb, landmarks)` → (N, 128) float32."""

    def __init__(self, manifest: Manifest, session: Any) -> None:
        spec = manifest.single.inputs[0]
        if spec.dtype != "uint8" or tuple(spec.shape[1:]) != (CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(
                f"input {spec.name!r}: expected uint8 (N, 150, 150, 3), "
                f"got {spec.dtype} {list(spec.shape)}"
            )
        self.manifest = manifest
        self.session = session
        self.input = spec.name
        self.batch = int(manifest.params.get("batch", DEFAULT_BATCH))
        if on_gpu(session):
            self.batch = max(self.batch, GPU_BATCH)
        if self.batch < 1:
            raise ValueError(f"params.batch: expected a positive batch size, got {self.batch}")
        self.metric = manifest.metric or "euclidean"
        self.threshold = 0.6 if manifest.threshold is None else manifest.threshold

    @property
    def dimension(self) -> int:
        """Length of an embedding (128)."""
        return DIMENSION

    def chips(self, rgb: np.ndarray, landmarks: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 150, 150, 3) uint8 aligned RGB chips, one per landmark set."""
        picture = np.asarray(rgb)
        if picture.dtype != np.uint8:
            raise ValueError(f"rgb: expected dtype uint8, got {picture.dtype}")
        if not len(landmarks):
            return np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), dtype=np.uint8)
        return np.stack(
            [align_face(picture, np.asarray(p), DLIB_150, CHIP_SIZE) for p in landmarks]
        )

    def embed_chips(self, chips: np.ndarray) -> np.ndarray:
        """(N, 128) float32 descriptors of already aligned (N, 150, 150, 3) uint8 RGB chips."""
        batch = np.asarray(chips)
        if batch.dtype != np.uint8 or batch.ndim != 4 or batch.shape[1:] != (150, 150, 3):
            raise ValueError(
                f"chips: expected uint8 (N, 150, 150, 3), got {batch.dtype} {batch.shape}"
            )
        if not len(batch):
            return np.zeros((0, DIMENSION), dtype=np.float32)
        parts = []
        for start in range(0, len(batch), self.batch):
            feed = {self.input: np.ascontiguousarray(batch[start : start + self.batch])}
            parts.append(np.asarray(self.session.run(None, feed)[0]))
        return np.concatenate(parts, axis=0).astype(np.float32, copy=False)

    def embed(self, rgb: np.ndarray, landmarks: Sequence[np.ndarray]) -> np.ndarray:
        """(N, 128) float32 descriptors of the faces at `landmarks` (N five-point sets)."""
        return self.embed_chips(self.chips(rgb, landmarks))

    def distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Euclidean distances between rows of `a` (N, 128) and `b` (M, 128): (N, M)."""
        left = np.asarray(a, dtype=np.float32).reshape(-1, DIMENSION)
        right = np.asarray(b, dtype=np.float32).reshape(-1, DIMENSION)
        result: np.ndarray = np.linalg.norm(left[:, None, :] - right[None, :, :], axis=2)
        return result
