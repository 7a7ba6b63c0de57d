"""The analyse stage for one blob: decode, perceptual hashes, generator metadata, models."""

from __future__ import annotations

import logging
from typing import Any

import cv2
import numpy as np

from scanner.analyse.signals.face_hash import face_pdq
from scanner.analyse.source_photo import references_for, source_photos
from scanner.errors import MediaError
from scanner.media.decode import decode_picture, picture_size
from scanner.media.resize import shrink_to_side
from scanner.media.thumbnail import thumbnail_jpeg
from scanner.types import BlobAnalysis, Face, Score

log = logging.getLogger(__name__)


HASH_SIDE = 512  # perceptual hashes reduce to 64x64 (PDQ) or 32x32 (pHash) anyway
DECODE_SIDE = HASH_SIDE  # without models nothing needs more: JPEGs decode at 1/4 or 1/8 scale


def analyse_picture(
    sha256: str, data: bytes, analyser: Any, settings: dict[str, Any]
) -> BlobAnalysis:
    """Facts, faces and scores of a picture. Large JPEGs are decoded at reduced size
    (DCT scaling); face boxes and landmarks are reported in original pixel coordinates."""
    errors: list[str] = []
    facts: dict[str, Any] = {"generator": _generator_facts(data, errors)}
    side = analyser.decode_side if analyser is not None else DECODE_SIDE
    try:
        width, height = picture_size(data)
        rgb = decode_picture(
            data, max_pixels=settings.get("max_pixels", 100_000_000), max_side=side
        )
    except MediaError as exc:
        return BlobAnalysis(sha256, facts, errors=(*errors, f"decode: {exc}"))
    facts.update(width=width, height=height)
    small = shrink_to_side(rgb, HASH_SIDE)
    facts.update(_perceptual(small, errors))
    thumbnail = thumbnail_jpeg(small)
    if min(width, height) < settings.get("min_picture_side", 32) or analyser is None:
        return BlobAnalysis(sha256, facts, errors=tuple(errors), thumbnail=thumbnail)
    analysis = analyser.analyse(rgb)
    scale = width / rgb.shape[1]
    faces = [face_row(index, face, analyser, scale) for index, face in enumerate(analysis.faces)]
    _add_consistency(rgb, data, analysis.faces, faces, errors)
    _add_source_photos(rgb, analysis.faces, faces, settings, analyser, errors)
    _add_face_hashes(rgb, analysis.faces, faces, errors)
    _add_ages(rgb, analysis.faces, faces, analyser, errors)
    return BlobAnalysis(
        sha256,
        facts,
        faces_of(faces),
        scores_of(analysis, analyser),
        tuple(errors),
        thumbnail,
    )


def _generator_facts(data: bytes, errors: list[str]) -> list[list[str]]:
    from scanner.analyse.signals.generator_metadata import generator_facts

    try:
        return [[fact.kind, fact.detail] for fact in generator_facts(data)]
    except Exception as exc:  # noqa: BLE001 - hostile metadata must not stop the blob
        errors.append(f"generator metadata: {exc}")
        return []


def _perceptual(rgb: np.ndarray, errors: list[str]) -> dict[str, Any]:
    from scanner.hashing.perceptual import perceptual_hashes

    try:
        hashes = perceptual_hashes(rgb)
    except Exception as exc:  # noqa: BLE001
        errors.append(f"perceptual hash: {exc}")
        return {}
    return {
        "pdq": hashes.pdq,
        "pdq_quality": hashes.pdq_quality,
        "phash": hashes.phash,
        "dhash": hashes.dhash,
    }


def faces_of(rows: list[dict[str, Any]]) -> tuple[Face, ...]:
    """The typed faces of the rows the signals filled in."""
    return tuple(
        Face(**{**row, "box": tuple(row["box"]), "landmarks": tuple(map(tuple, row["landmarks"]))})
        for row in rows
    )


def face_row(index: int, face: Any, analyser: Any, scale: float = 1.0) -> dict[str, Any]:
    """A detected face as the row its signals fill in (source photo, consistency, hash)."""
    embedding = None if face.embedding is None else np.asarray(face.embedding, np.float32).tobytes()
    embedder = analyser.manifests.get("face-embed")
    return {
        "embed_model": embedder.name if embedder is not None and embedding is not None else None,
        "idx": index,
        "box": [round(float(v) * scale, 2) for v in face.box],
        "landmarks": np.round(np.asarray(face.landmarks, dtype=float) * scale, 2).tolist(),
        "score": float(face.score),
        "embedding": embedding,
        "deepfake": None if face.deepfake is None else float(face.deepfake),
        "consistency": None,
    }


def _add_consistency(
    rgb: np.ndarray, data: bytes, faces: Any, rows: list[dict[str, Any]], errors: list[str]
) -> None:
    """Per-face consistency scores; a failure is recorded and the faces are kept."""
    jpeg = data if data[:3] == b"\xff\xd8\xff" else None
    try:
        from scanner.analyse.signals.consistency import face_consistency

        for face, row in zip(faces, rows, strict=True):
            landmarks = np.asarray(face.landmarks, dtype=np.float32)
            if np.isfinite(landmarks).all():
                row["consistency"] = face_consistency(rgb, landmarks, jpeg).score
    except Exception as exc:  # noqa: BLE001 - a signal failing must not lose the faces
        errors.append(f"face consistency: {exc}")


def _add_source_photos(
    rgb: np.ndarray,
    faces: Any,
    rows: list[dict[str, Any]],
    settings: dict[str, Any],
    analyser: Any,
    errors: list[str],
) -> None:
    """Which victim reference photo each face was made from, if any."""
    try:
        refs = references_for(settings.get("sets"), analyser)
        if refs is not None and refs.keys:
            source_photos(rgb, faces, rows, refs)
    except Exception as exc:  # noqa: BLE001 - a signal failing must not lose the faces
        errors.append(f"source photo: {exc}")


def _add_face_hashes(
    rgb: np.ndarray, faces: Any, rows: list[dict[str, Any]], errors: list[str]
) -> None:
    """PDQ of each aligned face (matched against victims' reference faces)."""
    for face, row in zip(faces, rows, strict=True):
        landmarks = np.asarray(face.landmarks, dtype=np.float64)
        if not np.isfinite(landmarks).all():
            continue
        try:
            row["face_pdq"], row["face_pdq_quality"] = face_pdq(rgb, landmarks)
        except (ValueError, cv2.error) as exc:
            errors.append(f"face hash: {exc}")


def _add_ages(
    rgb: np.ndarray, faces: Any, rows: list[dict[str, Any]], analyser: Any, errors: list[str]
) -> None:
    """Apparent age, its spread and P(under 18) of each face with landmarks (age model)."""
    estimator = getattr(analyser, "adapters", {}).get("age")
    if estimator is None:
        return
    usable = [i for i, face in enumerate(faces) if np.isfinite(np.asarray(face.landmarks)).all()]
    if not usable:
        return
    try:
        found = estimator.estimate(rgb, [np.asarray(faces[i].landmarks) for i in usable])
    except Exception as exc:  # noqa: BLE001 - a signal failing must not lose the faces
        errors.append(f"apparent age: {exc}")
        return
    model = analyser.manifests["age"].name
    for k, i in enumerate(usable):
        rows[i].update(
            apparent_age=round(float(found.age[k]), 2),
            apparent_age_spread=round(float(found.spread[k]), 2),
            minor_probability=round(float(found.minor[k]), 4),
            age_model=model,
        )


def scores_of(analysis: Any, analyser: Any) -> tuple[Score, ...]:
    """Nudity and deepfake scores, each tagged with the manifest of the model that gave it."""
    by_task = analyser.manifests
    rows = []
    if analysis.nudity is not None:
        model = by_task.get("nudity")
        rows.append(
            _score(
                "nudity",
                analysis.nudity,
                model,
                ", ".join(f"{k}:{v:.2f}" for k, v in analysis.nudity_labels),
            )
        )
    if analysis.deepfake is not None:
        rows.append(_score("deepfake", analysis.deepfake, by_task.get("deepfake"), ""))
    return tuple(rows)


def _score(name: str, value: float, model: Any, detail: str) -> Score:
    return Score(
        name, float(value), getattr(model, "name", ""), getattr(model, "sha256", ""), detail
    )
