"""In-memory graph rewrites give the same outputs as the verified model file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx

from scanner.inference.graph_rewrite import prelu_as_relu
from scanner.inference.manifest import discover
from scanner.inference.session import open_session
from tests.inference.inference_support import face_photo

INPUT_SIZES = {"pnet": None, "rnet": 24, "onet": 48}


def _mtcnn_inputs(rgb: np.ndarray, part: str) -> np.ndarray:
    """A real MTCNN input for `part`: a pyramid level, or face-sized crops of the photo."""
    side = INPUT_SIZES[part]
    if side is None:
        level = cv2.resize(
            rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2), interpolation=cv2.INTER_AREA
        )
        return (level.transpose(1, 0, 2)[None].astype(np.float32) - 127.5) / 128.0
    height, width = rgb.shape[:2]
    crops = [
        cv2.resize(rgb[y : y + height // 2, x : x + width // 2], (side, side))
        for y in (0, height // 4, height // 2)
        for x in (0, width // 4, width // 2)
    ]
    return (np.stack(crops).transpose(0, 2, 1, 3).astype(np.float32) - 127.5) / 128.0


def test_prelu_rewrite_is_exact_on_mtcnn(tmp_path: Path) -> None:
    manifest = discover(tmp_path)["mtcnn"]
    rgb = face_photo("face_recognition/two_people.jpg")
    for part in manifest.parts:
        original = open_session(manifest, part, tmp_path)
        rewritten = open_session(manifest, part, tmp_path, rewrite=prelu_as_relu)
        feed = {original.get_inputs()[0].name: _mtcnn_inputs(rgb, part)}
        for want, have in zip(original.run(None, feed), rewritten.run(None, feed), strict=True):
            np.testing.assert_array_equal(have, want)


def test_prelu_rewrite_replaces_every_prelu(tmp_path: Path) -> None:
    manifest = discover(tmp_path)["mtcnn"]
    model = onnx.load_model(str(manifest.locate("pnet", tmp_path)))
    assert any(node.op_type == "PRelu" for node in model.graph.node)
    rewritten = prelu_as_relu(model)
    assert not any(node.op_type == "PRelu" for node in rewritten.graph.node)
    onnx.checker.check_model(rewritten)
    assert prelu_as_relu(rewritten) is rewritten  # nothing left to rewrite
