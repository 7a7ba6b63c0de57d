"""ArcFace-style face embedders: 5-point alignment to the 112×112 template, then one ONNX.

Covers MobileFaceNet, SFace, ArcFace/insightface-like models. Params: size (112),
channels (RGB or BGR), scale (pixel multiplier, e.g. 1/255), mean and std (per
channel, after scaling), flip (add the embedding of the mirrored face). Output
embeddings are L2-normalised float32 (N, D).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scanner.inference.align import ARCFACE_112, align_face
from scanner.inference.manifest import Manifest
from scanner.inference.normalise import ChipNormalisation
from scanner.inference.registry import family


@family("arcface-112")
class ArcFaceEmbedder:
    """face-embed adapter for 112×112 five-point aligned embedders."""

    def __init__(self, manifest: Manifest, session: Any) -> None:
        params = manifest.params
        self.manifest = manifest
        self.session = session
        spec = manifest.single.inputs[0]
        self.input = spec.name
        self.batched = not isinstance(spec.shape[0], int) or spec.shape[0] != 1
        self.size = int(params.get("size", 112))
        self.template = ARCFACE_112 * (self.size / 112.0)
        self.normalisation = ChipNormalisation.from_params(params, default_scale=1.0)
        self.flip = bool(params.get("flip", False))

    def chips(self, rgb: np.ndarray, landmarks: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The aligned size×size RGB face chips (also used as report thumbnails)."""
        return [
            align_face(rgb, np.asarray(points), self.template, self.size) for points in landmarks
        ]

    def _blob(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        return self.normalisation.blob(np.stack(chips))

    def _run(self, blob: np.ndarray) -> np.ndarray:
        if self.batched:
            return np.asarray(self.session.run(None, {self.input: blob})[0])
        rows = [self.session.run(None, {self.input: blob[i : i + 1]})[0] for i in range(len(blob))]
        return np.concatenate(rows, axis=0)

    def embed(self, rgb: np.ndarray, landmarks: Sequence[np.ndarray]) -> np.ndarray:
        """(N, D) float32 unit-length embeddings of the faces at `landmarks`."""
        if len(landmarks) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        blob = self._blob(self.chips(rgb, landmarks))
        vectors = self._run(blob).reshape(len(blob), -1).astype(np.float32)
        if self.flip:
            vectors = vectors + self._run(np.ascontiguousarray(blob[..., ::-1])).reshape(
                len(blob), -1
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        result: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        return result

    @property
    def dimension(self) -> int:
        """Embedding length from the manifest's output shape."""
        dim = self.manifest.single.outputs[0].shape[-1]
        return dim if isinstance(dim, int) else 0
