"""Build the composite corpus and measure every face in it (features, MesoNet, timing).

    python bench/deepfake_corpus.py [--per-target N]

For every labelled single-person photo of ../shared/data/faces (and the group photos,
as targets and genuine pictures only) it writes the genuine picture and composites with
other people's faces (three blends), each post-processed three ways, and stores one
record per picture in bench/out/deepfake_corpus_<split>.json: split (calib/eval by identity),
label, blend, post-processing, source and target photo, and per detected face the
landmarks, the consistency features, MesoNet's fake score and the time taken.
"""

from __future__ import annotations

import argparse
import json
import time

import cv2
import numpy as np
from deepfake_common import (
    BLENDS,
    POSTS,
    REPO,
    Detector,
    Meso,
    available,
    decode,
    load_photos,
    make_composite,
    picture_bytes,
    post_process,
    seed_of,
)

from scanner.analyse.signals.measure import measure

OUT = REPO / "bench" / "out"
PICS = OUT / "pictures"


cv2.setNumThreads(1)  # time per face on one core


def face_records(data: bytes, is_jpeg: bool, detector: Detector, meso: Meso) -> list[dict]:
    rgb = decode(data)
    records = []
    for face in detector(rgb):
        start = time.process_time()
        measured = measure(rgb, face.landmarks, data if is_jpeg else None)
        elapsed = time.process_time() - start
        records.append(
            {
                "box": face.box.tolist(),
                "landmarks": face.landmarks.tolist(),
                "features": measured.features,
                "jpeg": measured.jpeg,
                "reason": measured.reason,
                "ms": elapsed * 1000,
                "meso": meso(rgb, face.box),
            }
        )
    return records


def remeasure(splits: list[str]) -> None:
    """Measure the stored faces again with the current code (no detection, no compositing)."""
    photos = {p.name: p for p in load_photos()}
    for split in splits:
        _remeasure_file(OUT / f"deepfake_corpus_{split}.json", photos)


def _remeasure_file(path, photos) -> None:
    records = json.loads(path.read_text())
    for record in records:
        data, is_jpeg = picture_bytes(record, photos)
        rgb = decode(data)
        for face in record["faces"]:
            start = time.process_time()
            measured = measure(rgb, np.asarray(face["landmarks"]), data if is_jpeg else None)
            face["ms"] = (time.process_time() - start) * 1000
            face.update(features=measured.features, jpeg=measured.jpeg, reason=measured.reason)
    path.write_text(json.dumps(records))
    print(f"measured {len(records)} records again")


def add_originals(splits: list[str]) -> None:
    """Add a record for every genuine photo file as found (post 'original') to the corpus."""
    detector, meso = Detector(), Meso()
    for split in splits:
        path = OUT / f"deepfake_corpus_{split}.json"
        records = [r for r in json.loads(path.read_text()) if r["post"] != "original"]
        for photo in load_photos():
            if photo.split == split:
                is_jpeg = photo.data[:3] == b"\xff\xd8\xff"
                records.append(
                    {
                        "split": split,
                        "label": "genuine",
                        "blend": "-",
                        "post": "original",
                        "source": "-",
                        "target": photo.name,
                        "faces": face_records(photo.data, is_jpeg, detector, meso),
                    }
                )
        path.write_text(json.dumps(records))
        print(f"{path}: {len(records)} records")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-target", type=int, default=3)
    parser.add_argument("--remeasure", action="store_true", help="only measure stored faces again")
    parser.add_argument("--split", choices=("calib", "eval"), action="append")
    parser.add_argument(
        "--add-originals", action="store_true", help="add the genuine files as found"
    )
    args = parser.parse_args()
    if args.add_originals:
        add_originals(args.split or ["calib", "eval"])
        return
    if args.remeasure:
        remeasure(args.split or ["calib", "eval"])
        return
    if not available():
        print("../shared data or models absent; nothing to do")
        return
    PICS.mkdir(parents=True, exist_ok=True)
    detector, meso = Detector(), Meso()
    photos = load_photos()
    decoded = {p.name: decode(p.data) for p in photos if p.split in (args.split or [p.split])}
    faces = {name: detector(rgb) for name, rgb in decoded.items()}
    records = []
    splits = args.split or ["calib", "eval"]
    for photo in photos:
        if photo.split not in splits:
            continue
        for post in ("original", *POSTS):
            if post == "original":  # the genuine file as found (its own JPEG history)
                data, is_jpeg = photo.data, photo.data[:3] == b"\xff\xd8\xff"
            else:
                data, is_jpeg = post_process(decoded[photo.name], post)
            records.append(
                {
                    "split": photo.split,
                    "label": "genuine",
                    "blend": "-",
                    "post": post,
                    "source": "-",
                    "target": photo.name,
                    "faces": face_records(data, is_jpeg, detector, meso),
                }
            )
    photos = [p for p in photos if p.name in decoded]
    singles = [p for p in photos if not p.identity.startswith("group:")]
    for split in splits:
        chosen = [p for p in photos if p.split == split]
        sources = [p for p in singles if p.split == split]
        for target in chosen:
            if not faces[target.name]:
                continue
            candidates = [s for s in sources if s.identity != target.identity and faces[s.name]]
            rng = np.random.default_rng(seed_of(split, target.name))
            picks = rng.choice(
                len(candidates), size=min(args.per_target, len(candidates)), replace=False
            )
            for source in (candidates[int(i)] for i in picks):
                for blend in BLENDS:
                    composite = None
                    for post in POSTS:
                        key = f"{source.name}|{target.name}|{blend}|{post}"
                        path = PICS / f"{seed_of(key):010d}.bin"
                        if not path.exists():
                            if composite is None:
                                composite = make_composite(
                                    decoded[source.name],
                                    faces[source.name][0].landmarks,
                                    decoded[target.name],
                                    faces[target.name][0].landmarks,
                                    blend,
                                    seed_of(source.name, target.name, blend),
                                )
                            path.write_bytes(post_process(composite, post)[0])
                        data = path.read_bytes()
                        is_jpeg = post != "lossless"
                        records.append(
                            {
                                "split": split,
                                "label": "composite",
                                "blend": blend,
                                "post": post,
                                "source": source.name,
                                "target": target.name,
                                "target_landmarks": faces[target.name][0].landmarks.tolist(),
                                "target_shape": list(decoded[target.name].shape[:2]),
                                "faces": face_records(data, is_jpeg, detector, meso),
                            }
                        )
            print(f"{split} {target.name}: {len(records)} records", flush=True)
    for split in splits:  # one file per split, as the calibration and evaluation read them
        chosen = [r for r in records if r["split"] == split]
        path = OUT / f"deepfake_corpus_{split}.json"
        path.write_text(json.dumps(chosen))
        print(f"wrote {len(chosen)} records to {path}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
