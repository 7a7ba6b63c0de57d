"""Old against new: the bundled analysis of a git revision and of this tree on real pictures.

    python bench/detect_agreement.py [--against main] [--repeat 2] [FOLDER ...]

Every picture of ../shared/data/faces and the stills of ../shared/data/deepfakes (or the
FOLDERs given) is analysed as a scan does (decode at the analyser's size, MTCNN, dlib
embedding, NudeNet) by the `scanner` package of `--against` (extracted with
`git archive`, never checked out) and by this tree's, each in its own process, in turns.

Agreement, per picture: the same number of faces, each matched one to one with IoU
>= 0.9 and every landmark within 1 pixel; the largest embedding distance between
matched faces and the largest nudity score change are printed. Exit status 1 when a
picture disagrees. Also prints the CPU ms per picture of face detection and of the
whole analysis for both (same pictures, alternate turns; the machine is shared, so
the load average is printed too).
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FOLDERS = (SHARED / "data" / "faces", SHARED / "data" / "deepfakes")
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
IOU = 0.9
LANDMARK_PX = 1.0


def pictures(folders: list[Path]) -> list[Path]:
    """Every still picture under `folders`, sorted."""
    return sorted(
        path for folder in folders for path in folder.rglob("*") if path.suffix.lower() in SUFFIXES
    )


def dump(source: str, home: str, paths: list[str]) -> dict[str, object]:
    """Analyse `paths` with the `scanner` package under `source`: results and CPU times."""
    sys.path.insert(0, source)
    import cv2

    from scanner.inference.analyser import PictureAnalyser
    from scanner.media.decode import decode_picture

    cv2.setNumThreads(1)
    analyser = PictureAnalyser.load(home=Path(home))
    detector = analyser.adapters["face-detect"]
    spent = {"detect": 0.0, "analyse": 0.0}
    detect = detector.detect

    def timed(rgb: np.ndarray) -> object:
        start = time.process_time()
        try:
            return detect(rgb)
        finally:
            spent["detect"] += time.process_time() - start

    detector.detect = timed
    results = {}
    for path in paths:
        rgb = decode_picture(Path(path).read_bytes(), max_side=analyser.decode_side)
        start = time.process_time()
        result = analyser.analyse(rgb)
        spent["analyse"] += time.process_time() - start
        results[path] = {
            "boxes": np.array([face.box for face in result.faces]).reshape(-1, 4),
            "landmarks": np.array([face.landmarks for face in result.faces]).reshape(-1, 5, 2),
            "embeddings": [face.embedding for face in result.faces],
            "nudity": result.nudity,
        }
    return {"results": results, "spent": spent, "models": [ref.name for ref in analyser.models]}


def compare(old: dict, new: dict) -> tuple[list[str], dict[str, float]]:
    """Problems (one line per disagreeing picture) and the largest differences seen."""
    from scanner.inference.agreement import iou  # this tree's, like the comparison

    problems = []
    worst = {"iou": 1.0, "landmark_px": 0.0, "embedding": 0.0, "nudity": 0.0, "faces": 0}
    for path, want in old.items():
        have = new[path]
        name = os.path.relpath(path, SHARED)
        if want["nudity"] is not None and have["nudity"] is not None:
            worst["nudity"] = max(worst["nudity"], abs(want["nudity"] - have["nudity"]))
        if len(want["boxes"]) != len(have["boxes"]):
            problems.append(f"{name}: {len(want['boxes'])} faces, now {len(have['boxes'])}")
            continue
        worst["faces"] += len(want["boxes"])
        if not len(want["boxes"]):
            continue
        overlaps = iou(want["boxes"], have["boxes"])
        match = overlaps.argmax(axis=1)
        best = overlaps.max(axis=1)
        worst["iou"] = min(worst["iou"], float(best.min()))
        if len(set(match.tolist())) != len(match) or best.min() < IOU:
            problems.append(f"{name}: faces moved (best IoU {best.min():.3f})")
            continue
        shift = np.abs(want["landmarks"] - have["landmarks"][match]).max()
        worst["landmark_px"] = max(worst["landmark_px"], float(shift))
        if shift > LANDMARK_PX:
            problems.append(f"{name}: landmarks moved {shift:.2f} px")
        for index, target in enumerate(match):
            a, b = want["embeddings"][index], have["embeddings"][target]
            if a is not None and b is not None:
                worst["embedding"] = max(worst["embedding"], float(np.linalg.norm(a - b)))
    return problems, worst


def extract_revision(revision: str, into: Path) -> Path:
    """The `scanner` package and model manifests of `revision` under `into` (git archive,
    no checkout)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "scanner", "models"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def _run(source: Path, home: Path, paths: list[str], out: Path) -> dict:
    subprocess.run(
        [sys.executable, __file__, "--dump", str(out), "--source", str(source), "--home", str(home)]
        + paths,
        check=True,
        cwd=source,
    )
    with out.open("rb") as handle:
        data: dict = pickle.load(handle)
    return data


def _load() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="git revision of the old code")
    parser.add_argument("--repeat", type=int, default=1, help="turns of old and new")
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("folders", nargs="*", type=Path)
    args = parser.parse_args()
    if args.dump:  # one side, in its own process
        data = dump(args.source, args.home, [str(path) for path in args.folders])
        with open(args.dump, "wb") as handle:
            pickle.dump(data, handle)
        return
    paths = [str(path) for path in pictures(args.folders or list(FOLDERS))]
    if not paths:
        raise SystemExit(f"no pictures in {', '.join(map(str, args.folders or FOLDERS))}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        sides = {"old": extract_revision(args.against, work / "old"), "new": REPO}
        home = work / "home"
        print(f"{len(paths)} pictures; old = {args.against}, new = this tree; {_load()}")
        spent = {side: {"detect": [], "analyse": []} for side in sides}
        runs = {}
        for turn in range(args.repeat):
            for side in sides if turn % 2 == 0 else list(sides)[::-1]:
                runs[side] = _run(sides[side], home, paths, work / f"{side}.pickle")
                for stage, seconds in runs[side]["spent"].items():
                    spent[side][stage].append(seconds / len(paths) * 1000)
        print(f"models: {', '.join(runs['new']['models'])}; {_load()}")
        for stage in ("detect", "analyse"):
            row = "  ".join(
                f"{side} {' '.join(f'{value:6.1f}' for value in spent[side][stage])}"
                for side in sides
            )
            print(f"  {stage:8s} CPU ms/picture: {row}")
        problems, worst = compare(runs["old"]["results"], runs["new"]["results"])
        print(
            f"agreement: {len(paths) - len(problems)}/{len(paths)} pictures, "
            f"{worst['faces']} faces; lowest IoU {worst['iou']:.4f}, landmarks within "
            f"{worst['landmark_px']:.3f} px, embeddings within {worst['embedding']:.2e}, "
            f"nudity within {worst['nudity']:.2e}"
        )
        for line in problems:
            print(f"  DISAGREES {line}")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
