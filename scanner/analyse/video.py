"""The analyse stage for one video: frame hashes and the models on sampled frames."""

from __future__ import annotations

from typing import Any

from scanner.analyse.picture import face_row, faces_of, scores_of
from scanner.types import BlobAnalysis


def analyse_video(sha256: str, path: str, analyser: Any) -> BlobAnalysis:
    """PDQ of one frame a second, and the models on sampled frames."""
    from scanner.hashing.perceptual import video_pdq

    errors: list[str] = []
    facts: dict[str, Any] = {}
    try:
        frames = video_pdq(path)
        facts["frame_pdq"] = [[round(t, 2), pdq, quality] for t, pdq, quality in frames]
    except Exception as exc:  # noqa: BLE001
        errors.append(f"video frames: {exc}")
    if analyser is None:
        return BlobAnalysis(sha256, facts, errors=tuple(errors))
    from scanner.inference.analyser import analyse_video

    try:
        analysis = analyse_video(path, analyser)
    except Exception as exc:  # noqa: BLE001
        return BlobAnalysis(sha256, facts, errors=(*errors, f"video analysis: {exc}"))
    faces = [face_row(index, face, analyser) for index, face in enumerate(analysis.faces)]
    return BlobAnalysis(
        sha256, facts, faces_of(faces), scores_of(analysis, analyser), tuple(errors)
    )
