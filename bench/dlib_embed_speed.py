"""Speed of the converted dlib ResNet (ONNX Runtime) against dlib's own C++, same run, one core.

    python bench/dlib_embed_speed.py [--seconds 3] [--cores 1]

Builds the ONNX model into a temporary $DFTRIAGE_HOME, pins the process to one core
(both engines then get the same core), takes real 150×150 chips from
../shared/data/faces when present (YuNet landmarks → align_face), else random chips,
and prints ms per face at batch 1, 8 and 32 for both engines, the ratios, the cost
of alignment, and the largest descriptor difference seen. Needs dlib (dlib-bin).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scanner.inference.align import DLIB_150, align_face  # noqa: E402
from scanner.inference.dlib_convert import build_dlib_onnx, locate_dat  # noqa: E402
from scanner.inference.manifest import load_manifest  # noqa: E402
from scanner.inference.session import load_adapter  # noqa: E402

FACES = REPO.parent / "shared" / "data" / "faces"
YUNET = REPO.parent / "shared" / "models" / "face_detection" / "yunet" / "yunet_n_dynamic.onnx"


def real_faces(limit: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rgb, landmarks) of the largest face of up to `limit` photos, or [] without data."""
    if not FACES.is_dir() or not YUNET.is_file():
        return []
    detector = cv2.FaceDetectorYN.create(str(YUNET), "", (320, 320), 0.6, 0.3, 50)
    found = []
    for path in sorted((FACES / "deepface").glob("img*.jpg"))[:limit]:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        factor = min(1.0, 640 / max(bgr.shape[:2]))
        small = cv2.resize(bgr, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        detector.setInputSize((small.shape[1], small.shape[0]))
        _, faces = detector.detect(small)
        if faces is not None:
            best = faces[np.argmax(faces[:, 2] * faces[:, 3])]
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            found.append((rgb, best[4:14].reshape(5, 2) / factor))
    return found


def per_face(run: Callable[[], object], faces: int, seconds: float) -> tuple[float, float]:
    """Median CPU and wall milliseconds per face over runs lasting about `seconds`.

    CPU time (the process is pinned to one core, both engines run single-threaded)
    is what a free core would take; wall time also counts time other processes took.
    """
    run()
    cpu, wall = [], []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(cpu) < 3:
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return statistics.median(cpu) * 1000 / faces, statistics.median(wall) * 1000 / faces


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--cores", type=int, default=1, help="CPU cores to pin the process to")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))
    import dlib

    home = Path(tempfile.mkdtemp(prefix="dlib-bench-"))
    start = time.perf_counter()
    build_dlib_onnx(home)
    print(f"conversion (.dat → ONNX, once): {time.perf_counter() - start:.2f} s")
    embedder = load_adapter(load_manifest(REPO / "models" / "dlib_resnet_v1.yaml"), home, 1)
    reference = dlib.face_recognition_model_v1(str(locate_dat()))

    faces = real_faces(32)
    if faces:
        chips = np.stack([align_face(rgb, pts, DLIB_150, 150) for rgb, pts in faces])
        rgb, points = faces[0]
        align_ms, _ = per_face(lambda: align_face(rgb, points, DLIB_150, 150), 1, args.seconds)
        print(
            f"chips: {len(chips)} real faces; align_face on {rgb.shape[1]}x{rgb.shape[0]}: "
            f"{align_ms:.2f} ms/face"
        )
    else:
        chips = np.random.default_rng(0).integers(0, 256, (32, 150, 150, 3), dtype=np.uint8)
        print("chips: 32 random (../shared/data/faces not present)")
    while len(chips) < 32:
        chips = np.concatenate([chips, chips])[:32]

    print("ms per face (CPU time on one core; wall time in brackets)")
    print(f"{'batch':>5}  {'onnx':>16}  {'dlib C++':>16}  {'dlib/onnx':>9}")
    for size in (1, 8, 32):
        batch = chips[:size]
        listed = list(batch)
        onnx_cpu, onnx_wall = per_face(lambda b=batch: embedder.embed_chips(b), size, args.seconds)
        dlib_cpu, dlib_wall = per_face(
            lambda c=listed: reference.compute_face_descriptor(c), size, args.seconds
        )
        print(
            f"{size:>5}  {onnx_cpu:>7.2f} [{onnx_wall:>6.2f}]  {dlib_cpu:>7.2f} [{dlib_wall:>6.2f}]"
            f"  {dlib_cpu / onnx_cpu:>8.1f}x"
        )

    ours = embedder.embed_chips(chips)
    theirs = np.array(reference.compute_face_descriptor(list(chips)))
    print(f"max |onnx - dlib| over {len(chips)} chips: {np.abs(ours - theirs).max():.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
