"""Do an int8 face embedder and its float model decide alike on faces never calibrated on?

The int8 activation ranges were measured on the labelled stills of ../shared/data/faces
(and variants of them); this bench takes every face MTCNN finds in pictures and sampled
video frames of another folder (e.g. ../shared/data/deepfakes: none of it was used for
calibration), embeds each with both models from the same landmarks, and compares the
same-person decision of every pair at the float model's threshold. No labels are
needed: the question is agreement, not accuracy.

    python bench/int8_heldout.py ../shared/data/deepfakes [--int8 dlib-resnet-v1-int8]
        [--fps 0.5] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np

from scanner.inference.builders import build
from scanner.inference.manifest import discover
from scanner.inference.session import load_adapter
from scanner.lib.home import data_home
from scanner.media.decode import decode_picture
from scanner.media.video import sample_frames

STILLS = (".jpg", ".jpeg", ".png")
MOVING = (".mp4", ".webp", ".gif")


def pictures(folder: Path, fps: float) -> list[tuple[str, np.ndarray]]:
    """(name, RGB) of every still and every sampled frame under `folder`."""
    found = []
    for path in sorted(folder.rglob("*")):
        suffix = path.suffix.lower()
        name = path.relative_to(folder).as_posix()
        if suffix in STILLS:
            found.append((name, decode_picture(path.read_bytes(), max_side=1024)))
        elif suffix in MOVING:
            for frame in sample_frames(str(path), fps=fps, max_side=1024, scene_threshold=1.0):
                found.append((f"{name}@{frame.index}", frame.rgb))
    return found


def faces(detector: Any, base: Any, int8: Any, found: list[tuple[str, np.ndarray]]) -> list[Any]:
    """(name, float vector, int8 vector) of every detected face, the same landmarks for both."""
    out = []
    for name, rgb in found:
        detected = detector.detect(rgb)
        if not len(detected):
            continue
        points = list(detected.landmarks)
        pairs = zip(base.embed(rgb, points), int8.embed(rgb, points), strict=True)
        for index, (a, b) in enumerate(pairs):
            out.append((f"{name}#{index}", np.asarray(a), np.asarray(b)))
    return out


def table(vectors: list[Any], threshold: float) -> dict[str, Any]:
    float_m = np.stack([v[1] for v in vectors])
    int8_m = np.stack([v[2] for v in vectors])
    left, right = np.triu_indices(len(vectors), k=1)
    d_float = np.linalg.norm(float_m[left] - float_m[right], axis=1)
    d_int8 = np.linalg.norm(int8_m[left] - int8_m[right], axis=1)
    changed = np.flatnonzero((d_float < threshold) != (d_int8 < threshold))
    return {
        "faces": len(vectors),
        "pairs": int(left.size),
        "same_by_float": int((d_float < threshold).sum()),
        "decisions_changed": int(changed.size),
        "changed_pairs": [
            [vectors[left[i]][0], vectors[right[i]][0], round(float(d_float[i]), 4)]
            for i in changed[:20]
        ],
        "within_0.03_of_threshold": int((np.abs(d_float - threshold) < 0.03).sum()),
        "max_distance_change": round(float(np.abs(d_float - d_int8).max()), 4),
        "mean_distance_change": round(float(np.abs(d_float - d_int8).mean()), 5),
        "max_element_change": round(float(np.abs(float_m - int8_m).max()), 4),
        "threshold": threshold,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--int8", default="dlib-resnet-v1-int8")
    parser.add_argument("--detector", default="mtcnn")
    parser.add_argument("--fps", type=float, default=0.5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = data_home()
    manifests = discover(home)
    int8_manifest = manifests[args.int8]
    assert int8_manifest.quantise is not None, f"{args.int8} is not an int8 model"
    float_manifest = manifests[str(int8_manifest.quantise["from"])]
    for manifest in (float_manifest, int8_manifest):
        if manifest.build and not manifest.locate(home=home).exists():
            build(manifest, home)
    detector = load_adapter(manifests[args.detector], home)
    base, int8 = load_adapter(float_manifest, home), load_adapter(int8_manifest, home)
    found = pictures(args.folder, args.fps)
    vectors = faces(detector, base, int8, found)
    result = {
        "folder": args.folder.name,
        "pictures": len(found),
        "float": float_manifest.name,
        "int8": int8_manifest.name,
        **table(vectors, float(float_manifest.threshold or 0.6)),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        if key != "changed_pairs":
            print(f"{key:>26}: {value}")
    for pair in itertools.islice(result["changed_pairs"], 20):
        print("  changed:", *pair)


if __name__ == "__main__":
    main()
