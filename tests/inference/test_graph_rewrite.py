"""In-memory graph rewrites give the same outputs as the verified model file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from scanner.inference.graph_rewrite import BLOCK, mtcnn_rewrite, prelu_as_relu, prelu_blocked
from scanner.inference.manifest import discover
from scanner.inference.session import load_adapter, open_session
from tests.inference.inference_support import face_photo

PHOTOS = ("face_recognition/two_people.jpg", "deepface/couple.jpg", "deepface/img1.jpg")


class _Recorder:
    """A session that keeps every feed it runs."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.feeds: list[dict[str, np.ndarray]] = []

    def run(self, names: Any, feed: dict[str, np.ndarray]) -> Any:
        self.feeds.append({key: value.copy() for key, value in feed.items()})
        return self.session.run(names, feed)


def _mtcnn_feeds(home: Path) -> dict[str, list[dict[str, np.ndarray]]]:
    """Every input MTCNN gives its three networks while detecting on real photos: each
    P-Net strip of each pyramid level, each R-Net and O-Net batch of crops."""
    detector = load_adapter(discover(home)["mtcnn"], home)
    recorders = {part: _Recorder(getattr(detector, part)) for part in ("pnet", "rnet", "onet")}
    for part, recorder in recorders.items():
        setattr(detector, part, recorder)
    found = sum(len(detector.detect(face_photo(relative))) for relative in PHOTOS)
    assert found >= 4  # two_people and couple hold two faces each
    return {part: recorder.feeds for part, recorder in recorders.items()}


@pytest.mark.parametrize("rewrite", [prelu_as_relu, mtcnn_rewrite])
def test_rewrite_is_exact_on_mtcnn_inputs_of_real_photos(tmp_path: Path, rewrite: Any) -> None:
    manifest = discover(tmp_path)["mtcnn"]
    for part, feeds in _mtcnn_feeds(tmp_path).items():
        assert feeds, part
        original = open_session(manifest, part, tmp_path)
        rewritten = open_session(manifest, part, tmp_path, rewrite=rewrite)
        for feed in feeds:
            for want, have in zip(original.run(None, feed), rewritten.run(None, feed), strict=True):
                np.testing.assert_array_equal(have, want)


def _filters(model: onnx.ModelProto) -> list[int]:
    shapes = {init.name: list(init.dims) for init in model.graph.initializer}
    return [shapes[node.input[1]][0] for node in model.graph.node if node.op_type == "Conv"]


def test_mtcnn_rewrite_replaces_every_prelu_and_pads_to_blocks(tmp_path: Path) -> None:
    manifest = discover(tmp_path)["mtcnn"]
    for part in manifest.parts:
        model = onnx.load_model(str(manifest.locate(part, tmp_path)))
        assert any(node.op_type == "PRelu" for node in model.graph.node)
        rewritten = mtcnn_rewrite(model)
        assert not any(node.op_type == "PRelu" for node in rewritten.graph.node)
        onnx.checker.check_model(rewritten, full_check=True)
        assert prelu_as_relu(rewritten) is rewritten  # nothing left to rewrite
        assert prelu_blocked(rewritten) is rewritten
    pnet, rnet = (
        mtcnn_rewrite(onnx.load_model(str(manifest.locate(part, tmp_path))))
        for part in ("pnet", "rnet")
    )
    assert _filters(pnet) == [BLOCK, 16, 32, 4, 2]  # the first 10 and 6 negated ones
    assert [node.op_type for node in pnet.graph.node][:3] == ["Transpose", "Conv", "MaxPool"]
    assert _filters(rnet) == [32, 48, 64]  # R-Net's first 28 filters padded to two blocks
