"""geometry.nms against the textbook greedy loop it replaced (one box at a time)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.inference import geometry
from scanner.inference.geometry import nms


def textbook_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, mode: str) -> list[int]:
    """Take the best remaining box, drop every remaining box overlapping it by more."""
    x1, y1, x2, y2 = (boxes[:, i].astype(np.float64) for i in range(4))
    area = np.maximum(0.0, x2 - x1) * np.maximum(0.0, y2 - y1)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        width = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]))
        height = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]))
        inter = width * height
        if mode == "min":
            denominator = np.minimum(area[best], area[rest])
        else:
            denominator = area[best] + area[rest] - inter
        order = rest[inter / np.maximum(denominator, 1e-9) <= threshold]
    return keep


def test_overlapping_boxes_keep_the_best_of_each_cluster():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60], [0, 0, 10, 10]], float)
    scores = np.array([0.8, 0.9, 0.5, 0.7])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert nms(boxes, scores, 0.9).tolist() == [1, 0, 2]  # 0 and 3 are the same box
    # a small box inside a big one: IoU 0.01 keeps both, intersection over the smaller does not
    nested = np.array([[0, 0, 100, 100], [10, 10, 20, 20]], float)
    assert nms(nested, np.array([0.9, 0.8]), 0.5).tolist() == [0, 1]
    assert nms(nested, np.array([0.9, 0.8]), 0.5, mode="min").tolist() == [0]
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []


coordinates = st.integers(0, 40)
box_lists = st.lists(
    st.tuples(coordinates, coordinates, st.integers(0, 25), st.integers(0, 25), st.integers(0, 5)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    box_lists,
    st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0]),
    st.sampled_from(["union", "min"]),
    st.sampled_from([1, 7, 1 << 20]),
)
def test_same_boxes_as_the_textbook_loop(rows, threshold, mode, block):
    """Clustered boxes, zero-size boxes, equal scores (ties keep input order), and overlap
    blocks of every size: the kept indices are the textbook loop's, in its order."""
    boxes = np.array([(x, y, x + w, y + h) for x, y, w, h, _ in rows], dtype=np.float64)
    scores = np.array([s / 5 for *_, s in rows])
    old_block = geometry.NMS_BLOCK
    geometry.NMS_BLOCK = block * len(rows) if block < (1 << 20) else block
    try:
        kept = nms(boxes, scores, threshold, mode).tolist()
    finally:
        geometry.NMS_BLOCK = old_block
    assert kept == textbook_nms(boxes, scores, threshold, mode)


@pytest.mark.parametrize("mode", ["union", "min"])
def test_many_random_boxes(mode):
    """3,000 boxes (several overlap blocks) with float coordinates as detectors give them."""
    rng = np.random.default_rng(7)
    corner = rng.uniform(0, 900, (3000, 2))
    boxes = np.hstack([corner, corner + rng.uniform(5, 120, (3000, 2))])
    scores = rng.uniform(0, 1, 3000).astype(np.float32)
    assert nms(boxes, scores, 0.5, mode).tolist() == textbook_nms(boxes, scores, 0.5, mode)
