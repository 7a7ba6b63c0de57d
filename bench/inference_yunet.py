"""YuNet through dftriage's adapter (onnxruntime) against OpenCV's C++ cv2.FaceDetectorYN,
same model file, same pictures, same size, one thread each, in the same run.

    python bench/inference_yunet.py [--rounds 3]

Pictures: every photo of ../shared/data/faces reduced to a longer side of 640 (the
adapter's analysis size). Prints ms per picture for both, the ratio (issue #5 target:
adapter ≤ 1.3 × OpenCV) and how many faces each found (score ≥ 0.6 in both scales).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scanner.errors import MediaError  # noqa: E402
from scanner.inference.catalog import add_model  # noqa: E402
from scanner.inference.session import load_adapter  # noqa: E402
from scanner.media.decode import decode_picture  # noqa: E402

SHARED = REPO.parent / "shared"
FACES = SHARED / "data" / "faces"
YUNET = SHARED / "models" / "face_detection" / "yunet" / "yunet_n_dynamic.onnx"


def pictures() -> list[np.ndarray]:
    """RGB face photos with the longer side at most 640."""
    found = []
    for path in sorted(FACES.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            continue
        try:
            found.append(decode_picture(path.read_bytes(), max_side=640))
        except MediaError:
            continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not YUNET.is_file():
        raise SystemExit(f"{YUNET} not available")
    images = pictures()
    bgrs = [np.ascontiguousarray(rgb[..., ::-1]) for rgb in images]
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as folder:
        ours = load_adapter(add_model(YUNET, home=Path(folder)), Path(folder), threads=1)
        theirs = cv2.FaceDetectorYN.create(str(YUNET), "", (320, 320), 0.6**0.5, 0.45, 5000)
        for rgb, bgr in zip(images[:3], bgrs[:3], strict=True):
            ours.detect(rgb)
            theirs.setInputSize((bgr.shape[1], bgr.shape[0]))
            theirs.detect(bgr)
        timings = {"dftriage adapter": [], "cv2.FaceDetectorYN": []}
        counts = {"dftriage adapter": 0, "cv2.FaceDetectorYN": 0}
        for _ in range(args.rounds):
            start, count = time.perf_counter(), 0
            for rgb in images:
                count += len(ours.detect(rgb))
            timings["dftriage adapter"].append(time.perf_counter() - start)
            counts["dftriage adapter"] = count
            start, count = time.perf_counter(), 0
            for bgr in bgrs:
                theirs.setInputSize((bgr.shape[1], bgr.shape[0]))
                _, faces = theirs.detect(bgr)
                count += 0 if faces is None else len(faces)
            timings["cv2.FaceDetectorYN"].append(time.perf_counter() - start)
            counts["cv2.FaceDetectorYN"] = count
    print(f"{len(images)} pictures (longer side <= 640), {args.rounds} rounds, best round:")
    best = {name: min(values) / len(images) * 1000 for name, values in timings.items()}
    for name, value in best.items():
        print(f"  {name:20s} {value:7.2f} ms/picture  {counts[name]} faces")
    ratio = best["dftriage adapter"] / best["cv2.FaceDetectorYN"]
    print(f"  ratio adapter / OpenCV: {ratio:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
