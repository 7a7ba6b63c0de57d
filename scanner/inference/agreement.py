"""Does a quantised model agree with the float model it was made from?

Three tables, each comparing two adapters of the same task on the same inputs:

- detections: every float face matched to an int8 face one to one at IoU ≥ 0.9 (best
  overlaps first), on every picture;
- embeddings: same-person / different-person decisions at the manifest's threshold
  on every pair, both embedders fed the same faces (the float detector's landmarks);
- nudity: every labelled region matched one to one to a region of the other model with
  the same label at IoU ≥ 0.5 (regions of either model without a partner disagree),
  the change of matched scores and of the picture's nudity score.

Acceptance (`accepted`): every detection matched, no decision changed, ≥ 99 % of the
nudity regions matched on ≥ 500 pictures.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scanner.inference.evaluate import (
    identity_pairs,
    master_pairs,
    read_face_labels,
)
from scanner.media.decode import decode_picture

DETECTION_IOU = 0.9
NUDITY_IOU = 0.5
NUDITY_AGREEMENT = 0.99
NUDITY_PICTURES = 500


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of `a` (N, 4) with every box of `b` (M, 4): (N, M)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def match(
    a: np.ndarray, b: np.ndarray, min_iou: float, same: np.ndarray | None = None
) -> list[tuple[int, int, float]]:
    """One-to-one matches (i, j, IoU) with IoU ≥ `min_iou`, best overlaps first; `same`
    (N, M) bool, when given, allows only those pairs (e.g. the same label)."""
    overlaps = iou(a, b)
    if same is not None:
        overlaps = np.where(same, overlaps, 0.0)
    pairs = sorted(
        (
            (float(overlaps[i, j]), i, j)
            for i, j in zip(*np.nonzero(overlaps >= min_iou), strict=True)
        ),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    found = []
    for value, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            found.append((int(i), int(j), value))
    return found


def detection_table(
    float_det: Any, int8_det: Any, pictures: Iterable[np.ndarray]
) -> dict[str, Any]:
    """Faces of two detectors matched at IoU ≥ 0.9 on every picture."""
    counts = {
        "pictures": 0,
        "float_faces": 0,
        "int8_faces": 0,
        "matched": 0,
        "pictures_all_matched": 0,
    }
    ious: list[float] = []
    score_change = 0.0
    for rgb in pictures:
        a, b = float_det.detect(rgb), int8_det.detect(rgb)
        pairs = match(a.boxes, b.boxes, DETECTION_IOU)
        counts["pictures"] += 1
        counts["float_faces"] += len(a)
        counts["int8_faces"] += len(b)
        counts["matched"] += len(pairs)
        counts["pictures_all_matched"] += len(pairs) == len(a) == len(b)
        ious += [value for _, _, value in pairs]
        for i, j, _ in pairs:
            score_change = max(score_change, abs(float(a.scores[i]) - float(b.scores[j])))
    return {
        **counts,
        "min_iou": round(min(ious), 4) if ious else None,
        "mean_iou": round(float(np.mean(ious)), 4) if ious else None,
        "max_score_change": round(score_change, 4),
        "accepted": counts["matched"] == counts["float_faces"] == counts["int8_faces"],
    }


def _largest_landmarks(
    detector: Any, path: Path, side: int
) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        rgb = decode_picture(path.read_bytes(), max_side=side)
    except Exception:  # noqa: BLE001 - a picture that does not decode has no face
        return None
    found = detector.detect(rgb)
    if not len(found):
        return None
    areas = (found.boxes[:, 2] - found.boxes[:, 0]) * (found.boxes[:, 3] - found.boxes[:, 1])
    return rgb, found.landmarks[int(np.argmax(areas))]


def embedding_table(
    float_emb: Any, int8_emb: Any, detector: Any, folder: Path, threshold: float, side: int = 1024
) -> dict[str, Any]:
    """Decisions (Euclidean distance < threshold, or cosine ≥ threshold) of both embedders
    on every identity pair of `folder`'s labels.csv and on every pair of its
    */master.csv files; the largest face of each picture, the same landmarks for both."""
    pairs = identity_pairs(read_face_labels(folder))
    for csv_path in sorted(folder.glob("*/master.csv")):
        pairs += master_pairs(csv_path)
    vectors: dict[Path, tuple[np.ndarray, np.ndarray] | None] = {}
    for path in sorted({p for pair in pairs for p in pair[:2]}):
        face = _largest_landmarks(detector, path, side)
        if face is None:
            vectors[path] = None
            continue
        rgb, points = face
        vectors[path] = (float_emb.embed(rgb, [points])[0], int8_emb.embed(rgb, [points])[0])
    metric = getattr(float_emb, "metric", "euclidean")
    changed, compared, right = 0, 0, [0, 0]
    distance_change, element_change = 0.0, 0.0
    for left, other, is_same in pairs:
        a, b = vectors.get(left), vectors.get(other)
        if a is None or b is None:
            continue
        d_float, d_int8 = _distance(metric, a[0], b[0]), _distance(metric, a[1], b[1])
        say_float, say_int8 = _same(metric, d_float, threshold), _same(metric, d_int8, threshold)
        compared += 1
        changed += say_float != say_int8
        right[0] += say_float == is_same
        right[1] += say_int8 == is_same
        distance_change = max(distance_change, abs(d_float - d_int8))
    for pair in vectors.values():
        if pair is not None:
            element_change = max(element_change, float(np.abs(pair[0] - pair[1]).max()))
    return {
        "pictures": sum(value is not None for value in vectors.values()),
        "pairs": compared,
        "decisions_changed": changed,
        "float_correct": right[0],
        "int8_correct": right[1],
        "max_distance_change": round(distance_change, 4),
        "max_element_change": round(element_change, 4),
        "threshold": threshold,
        "metric": metric,
        "accepted": compared > 0 and changed == 0,
    }


def _distance(metric: str, a: np.ndarray, b: np.ndarray) -> float:
    if metric == "cosine":
        return float(a @ b / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))
    return float(np.linalg.norm(a - b))


def _same(metric: str, value: float, threshold: float) -> bool:
    return value >= threshold if metric == "cosine" else value < threshold


def nudity_table(float_cls: Any, int8_cls: Any, pictures: Iterable[np.ndarray]) -> dict[str, Any]:
    """Labelled regions of two NudeNet adapters matched by label at IoU ≥ 0.5."""
    counts = {"pictures": 0, "float_regions": 0, "int8_regions": 0, "matched": 0}
    score_change, image_change = 0.0, 0.0
    changed_labels: dict[str, int] = {}
    for rgb in pictures:
        a, b = float_cls.classify(rgb), int8_cls.classify(rgb)
        counts["pictures"] += 1
        counts["float_regions"] += len(a.labels)
        counts["int8_regions"] += len(b.labels)
        image_change = max(image_change, abs(a.score - b.score))
        if not a.labels or not b.labels:
            pairs: list[tuple[int, int, float]] = []
        else:
            same = np.array([[x.label == y.label for y in b.labels] for x in a.labels])
            pairs = match(
                np.array([x.box for x in a.labels]),
                np.array([y.box for y in b.labels]),
                NUDITY_IOU,
                same,
            )
        counts["matched"] += len(pairs)
        for i, j, _ in pairs:
            score_change = max(score_change, abs(a.labels[i].score - b.labels[j].score))
        found_a = {i for i, _, _ in pairs}
        found_b = {j for _, j, _ in pairs}
        for index, item in itertools.chain(
            ((i, x) for i, x in enumerate(a.labels) if i not in found_a),
            ((j, y) for j, y in enumerate(b.labels) if j not in found_b),
        ):
            del index
            changed_labels[item.label] = changed_labels.get(item.label, 0) + 1
    regions = counts["float_regions"] + counts["int8_regions"]
    agreement = 2 * counts["matched"] / regions if regions else 1.0
    return {
        **counts,
        "agreement": round(agreement, 4),
        "max_region_score_change": round(score_change, 4),
        "max_nudity_score_change": round(image_change, 4),
        "unmatched_by_label": dict(sorted(changed_labels.items())),
        "accepted": counts["pictures"] >= NUDITY_PICTURES and agreement >= NUDITY_AGREEMENT,
    }


def tables(
    pairs: Sequence[tuple[str, Any, Any]],
    detector: Any,
    folder: Path,
    pictures: Sequence[np.ndarray],
    threshold: float,
) -> dict[str, dict[str, Any]]:
    """The table of each (task, float adapter, int8 adapter)."""
    out: dict[str, dict[str, Any]] = {}
    for task, base, quantised in pairs:
        if task == "face-detect":
            out[task] = detection_table(base, quantised, pictures)
        elif task == "face-embed":
            out[task] = embedding_table(base, quantised, detector, folder, threshold)
        elif task == "nudity":
            out[task] = nudity_table(base, quantised, pictures)
    return out


def compare(
    home: Path, folder: Path, extra: Sequence[Path] = (), count: int = 520, detector: str = "mtcnn"
) -> dict[str, dict[str, Any]]:
    """The agreement table of every int8 model with its float model: faces and pairs from
    `folder` (a labels.csv folder), pictures = `count` variants of the stills of `folder`
    and `extra` (variants.py, seed 101). Builds the int8 models first."""
    from scanner.inference.builders import build
    from scanner.inference.manifest import discover
    from scanner.inference.session import load_adapter
    from scanner.inference.variants import stills, variants

    manifests = discover(home)
    finder = load_adapter(manifests[detector], home)
    base = stills(folder)
    for other in extra:
        base += stills(other)
    out: dict[str, dict[str, Any]] = {}
    for name, int8 in sorted(manifests.items()):
        if not int8.quantise:
            continue
        source = manifests[str(int8.quantise["from"])]
        build(int8, home)
        pair = (load_adapter(source, home), load_adapter(int8, home))
        if int8.task == "face-embed":
            threshold = source.threshold if source.threshold is not None else 0.6
            out[name] = embedding_table(*pair, finder, folder, threshold)
        elif int8.task == "face-detect":
            out[name] = detection_table(*pair, (rgb for _, rgb in stills(folder)))
        elif int8.task == "nudity":
            out[name] = nudity_table(*pair, (rgb for _, rgb in variants(base, count, seed=101)))
        out[name]["from"] = source.name
    return out
