"""Accuracy measurement behind `dftriage models evaluate` and the manifests' `measured:`.

Labelled folder formats (a `labels.csv` at the top):

- faces: `file,identity[,note]`; several people separated by `;`; names starting with
  `unknown` count as faces without identity. Pair lists `*/master.csv` with
  `file_x,file_y,Decision` (Yes/No, paths relative to that csv) are used when present.
- deepfakes: `file,label[,...]` with label FAKE or REAL (anything else is ignored);
  videos and animated pictures are sampled like the scan does (1 fps + scene changes).

Thresholds are the manifests' own; nothing here tunes them.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scanner.errors import MediaError, ModelError
from scanner.inference.analyser import PictureAnalyser
from scanner.inference.manifest import discover
from scanner.media.decode import decode_picture
from scanner.media.video import sample_frames

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
ANIMATED_SUFFIXES = (".webp", ".gif")
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a positive scores above a negative (ties count one half)."""
    pos, neg = np.asarray(positives, dtype=np.float64), np.asarray(negatives, dtype=np.float64)
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


@dataclass(frozen=True)
class LabelledPicture:
    """One row of a faces labels.csv."""

    path: Path
    identities: tuple[str, ...]
    faces: int


def read_face_labels(folder: Path) -> list[LabelledPicture]:
    """Pictures (not videos) of a faces labels.csv."""
    rows = []
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            path = folder / row["file"]
            if path.suffix.lower() in VIDEO_SUFFIXES:
                continue
            people = [item.strip() for item in row["identity"].split(";") if item.strip()]
            named = tuple(item for item in people if not item.lower().startswith("unknown"))
            rows.append(LabelledPicture(path, named, max(1, len(people))))
    return rows


def _decode(path: Path, analyser: PictureAnalyser) -> np.ndarray | None:
    try:
        return decode_picture(path.read_bytes(), max_side=analyser.decode_side)
    except (OSError, MediaError):
        return None


def detection_metrics(
    analyser: PictureAnalyser, pictures: Sequence[LabelledPicture], negatives: Iterable[Path]
) -> dict[str, Any]:
    """Picture recall, face recall (capped at the labelled count) and false detections."""
    found_any = found_faces = expected = 0
    for item in pictures:
        rgb = _decode(item.path, analyser)
        count = len(analyser.analyse(rgb).faces) if rgb is not None else 0
        found_any += count > 0
        found_faces += min(count, item.faces)
        expected += item.faces
    negative_pictures = false_faces = with_false = 0
    for path in negatives:
        rgb = _decode(path, analyser)
        if rgb is None:
            continue
        count = len(analyser.analyse(rgb).faces)
        negative_pictures += 1
        false_faces += count
        with_false += count > 0
    return {
        "face_pictures": len(pictures),
        "picture_recall": round(found_any / max(1, len(pictures)), 4),
        "labelled_faces": expected,
        "face_recall": round(found_faces / max(1, expected), 4),
        "face_free_pictures": negative_pictures,
        "false_detections": false_faces,
        "face_free_pictures_with_detections": with_false,
    }


def _largest_embedding(analyser: PictureAnalyser, path: Path) -> np.ndarray | None:
    rgb = _decode(path, analyser)
    if rgb is None:
        return None
    faces = [face for face in analyser.analyse(rgb).faces if face.embedding is not None]
    if not faces:
        return None
    best = max(faces, key=lambda face: (face.box[2] - face.box[0]) * (face.box[3] - face.box[1]))
    return best.embedding


def _similarity(metric: str, a: np.ndarray, b: np.ndarray) -> float:
    if metric == "cosine":
        return float(a @ b / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))
    return -float(np.linalg.norm(a - b))


def pair_metrics(
    analyser: PictureAnalyser, pairs: Sequence[tuple[Path, Path, bool]]
) -> dict[str, Any]:
    """True-match and false-match rates at the manifest threshold, and ROC AUC."""
    cache: dict[Path, np.ndarray | None] = {}
    same: list[float] = []
    different: list[float] = []
    unusable = 0
    for left, right, is_same in pairs:
        for path in (left, right):
            if path not in cache:
                cache[path] = _largest_embedding(analyser, path)
        a, b = cache[left], cache[right]
        if a is None or b is None:
            unusable += 1
            continue
        (same if is_same else different).append(_similarity(analyser.embed_metric, a, b))
    threshold = analyser.embed_threshold
    if analyser.embed_metric != "cosine":
        threshold = -threshold
    return {
        "same_pairs": len(same),
        "different_pairs": len(different),
        "pairs_without_face": unusable,
        "threshold": analyser.embed_threshold,
        "true_match_rate": round(float(np.mean(np.asarray(same) >= threshold)), 4)
        if same
        else None,
        "false_match_rate": round(float(np.mean(np.asarray(different) >= threshold)), 4)
        if different
        else None,
        "auc": round(roc_auc(same, different), 4),
        "same_min": round(min(same), 4) if same else None,
        "different_max": round(max(different), 4) if different else None,
    }


def identity_pairs(pictures: Sequence[LabelledPicture]) -> list[tuple[Path, Path, bool]]:
    """Every pair of single-person pictures, same when the labels agree."""
    single = [item for item in pictures if len(item.identities) == 1 and item.faces == 1]
    return [
        (a.path, b.path, a.identities == b.identities) for a, b in itertools.combinations(single, 2)
    ]


def master_pairs(csv_path: Path) -> list[tuple[Path, Path, bool]]:
    """Pairs of a deepface-style master.csv (file_x, file_y, Decision)."""
    with csv_path.open(newline="", encoding="utf-8") as handle:
        return [
            (
                csv_path.parent / row["file_x"],
                csv_path.parent / row["file_y"],
                row["Decision"].strip().lower() == "yes",
            )
            for row in csv.DictReader(handle)
        ]


def _frame_scores(analyser: PictureAnalyser, path: Path) -> list[float]:
    """Per-frame deepfake scores (the highest face of each frame) of one file."""
    if path.suffix.lower() in VIDEO_SUFFIXES + ANIMATED_SUFFIXES:
        try:
            frames = list(sample_frames(str(path), max_side=analyser.decode_side))
        except MediaError:
            frames = []
        if len(frames) > 1 or path.suffix.lower() in VIDEO_SUFFIXES:
            scores = [analyser.analyse(frame.rgb).deepfake for frame in frames]
            return [score for score in scores if score is not None]
    rgb = _decode(path, analyser)
    score = analyser.analyse(rgb).deepfake if rgb is not None else None
    return [] if score is None else [score]


def deepfake_metrics(analyser: PictureAnalyser, folder: Path) -> dict[str, Any]:
    """Frame-level and file-level ROC AUC, FAKE positive, from a deepfakes labels.csv."""
    frames: dict[bool, list[float]] = {True: [], False: []}
    files: dict[bool, list[float]] = {True: [], False: []}
    without_face = 0
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        label = row["label"].strip().upper().split(" ")[0]
        if label not in ("FAKE", "REAL"):
            continue
        scores = _frame_scores(analyser, folder / row["file"])
        if not scores:
            without_face += 1
            continue
        fake = label == "FAKE"
        frames[fake].extend(scores)
        files[fake].append(float(np.mean(scores)))
    return {
        "fake_frames": len(frames[True]),
        "real_frames": len(frames[False]),
        "frame_auc": round(roc_auc(frames[True], frames[False]), 4),
        "fake_files": len(files[True]),
        "real_files": len(files[False]),
        "file_auc": round(roc_auc(files[True], files[False]), 4),
        "files_without_face": without_face,
    }


def negative_pictures(folder: Path) -> list[Path]:
    """Every picture below `folder`, sorted."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in PICTURE_SUFFIXES
    )


def evaluate_model(
    name: str,
    folder: Path,
    detector: str | None = None,
    negatives: Path | None = None,
    home: Path | None = None,
) -> dict[str, Any]:
    """Measure model `name` on a labelled folder (format by task, see module docstring)."""
    manifest = discover(home).get(name)
    if manifest is None:
        raise ModelError(f"no model named {name!r}")
    if not (folder / "labels.csv").is_file():
        raise ModelError(f"{folder}: no labels.csv")
    choose = {manifest.task: name}
    if detector and manifest.task != "face-detect":
        choose["face-detect"] = detector
    analyser = PictureAnalyser.load(tasks=tuple(choose), choose=choose, home=home)
    result: dict[str, Any] = {"model": name, "task": manifest.task, "data": str(folder)}
    if manifest.task == "face-detect":
        pictures = read_face_labels(folder)
        negative = negative_pictures(negatives) if negatives else []
        result.update(detection_metrics(analyser, pictures, negative))
    elif manifest.task == "face-embed":
        pictures = read_face_labels(folder)
        result["identities"] = pair_metrics(analyser, identity_pairs(pictures))
        for csv_path in sorted(folder.glob("*/master.csv")):
            result[f"pairs:{csv_path.relative_to(folder)}"] = pair_metrics(
                analyser, master_pairs(csv_path)
            )
    elif manifest.task == "deepfake":
        result.update(deepfake_metrics(analyser, folder))
    else:
        raise ModelError(
            f"evaluation of {manifest.task} models needs labelled data not defined yet"
        )
    result["models"] = [f"{ref.name} {ref.sha256[:16]}" for ref in analyser.models]
    return result


__all__ = ["evaluate_model", "roc_auc"]
