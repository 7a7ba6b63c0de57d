"""Measure the deepfake signals on data they were not calibrated on.

    python bench/deepfake_eval.py [--no-real] [--no-provenance] [--fused-meso] [--write]

1. Composites of the evaluation people (bench/out/deepfake_corpus_eval.json): file-level
   ROC AUC of the consistency score (maximum over the picture's measured faces) against
   the genuine pictures with the same post-processing, per blend and post-processing,
   next to MesoNet (Meso4_DF, maximum over faces); detection rate at 1 % and 5 % FPR
   (thresholds from those genuine pictures) and at the shipped threshold.
2. Real swaps and their originals (../shared/data/deepfakes): per source, file-level
   (mean over 8 sampled frames, largest face) and frame-level AUC, consistency vs MesoNet.
3. Source-photo attribution: every evaluation composite's pasted face against all
   evaluation people's photos; attribution rate and false attributions (to another photo
   of the same person / another person), and genuine photos against the other photos.
4. Time per face (p50/p90) of the consistency measurement and of provenance.

With --fused-meso, tables 1 and 2 are printed a second time for the consistency score
fused with MesoNet, max(score, z_meso) per measured face, z_meso being MesoNet's score
(or its logit) standardised by median and 1.4826 x MAD on the measured genuine faces of
the calibration people (bench/out/deepfake_corpus_calib.json); see MesoFusion.

With --write the summary goes into the ``measured`` record of
scanner/analyse/signals/genuine_stats.json.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from dataclasses import dataclass

import cv2
import numpy as np
from deepfake_common import (
    BLENDS,
    DEEPFAKES,
    POSTS,
    REPO,
    SAME_PHOTO,
    Detector,
    Meso,
    auc,
    decode,
    detection_at_fpr,
    load_photos,
    pasted_face,
    picture_bytes,
)
from PIL import Image, ImageSequence

from scanner.analyse.signals.consistency import (
    CONSISTENCY_THRESHOLD,
    face_consistency,
    score_measurement,
)
from scanner.analyse.signals.measure import Measurement
from scanner.analyse.signals.provenance import match_source_photo, prepare_reference

CORPUS = REPO / "bench" / "out" / "deepfake_corpus_eval.json"
CALIB_CORPUS = REPO / "bench" / "out" / "deepfake_corpus_calib.json"
STATS = REPO / "scanner" / "analysis" / "genuine_stats.json"
LOW = -1e9  # score of a picture with no measurable face


@dataclass(frozen=True)
class MesoFusion:
    """MesoNet's fake score as a z-value against genuine faces, fused by maximum."""

    logit: bool
    median: float
    scale: float

    def z(self, meso: float) -> float:
        return (_transform(meso, self.logit) - self.median) / self.scale

    def fuse(self, score: float | None, meso: float) -> float | None:
        """Only faces the consistency score measures: MesoNet is never used alone."""
        return None if score is None else max(score, self.z(meso))

    @classmethod
    def calibrate(cls, records: list[dict]) -> MesoFusion:
        """Median and MAD on the measured genuine faces of the calibration people.

        Raw score or logit: the one whose genuine z has its 95th and 99th percentiles
        nearer the normal's (1.645, 2.326), so it speaks the unit of the other parts.
        """
        faces = [
            (face_score(f), f["meso"])
            for r in records
            if r["split"] == "calib" and r["label"] == "genuine"
            for f in r["faces"]
        ]
        scores = np.array([s for s, _ in faces if s is not None])
        meso = np.array([m for s, m in faces if s is not None])
        fits = []
        for logit in (False, True):
            values = _transform(meso, logit)
            median = float(np.median(values))
            scale = 1.4826 * float(np.median(np.abs(values - median)))
            z = (values - median) / scale
            q95, q99 = np.quantile(z, [0.95, 0.99])
            fits.append((abs(q95 - 1.645) + abs(q99 - 2.326), cls(logit, median, scale)))
            print(
                f"MesoNet on {len(meso)} calibration genuine faces, {'logit' if logit else 'raw'}: "
                f"median {median:.4f}, 1.4826 MAD {scale:.4f}, z p95 {q95:.2f}, p99 {q99:.2f}, "
                f"max {z.max():.2f}"
            )
        saturated = float(np.mean((meso < 0.01) | (meso > 0.99)))
        chosen = min(fits, key=lambda fit: fit[0])[1]
        fused = np.maximum(scores, chosen.z(meso))
        print(
            f"saturated (< 0.01 or > 0.99): {saturated:.1%}; chosen: {chosen}; at or above "
            f"the shipped threshold {CONSISTENCY_THRESHOLD}: shipped "
            f"{np.mean(scores >= CONSISTENCY_THRESHOLD):.1%}, fused {np.mean(fused >= CONSISTENCY_THRESHOLD):.1%}"
        )
        return chosen


def _transform(meso, logit: bool):
    if not logit:
        return meso
    p = np.clip(meso, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def face_score(face: dict, fusion: MesoFusion | None = None) -> float | None:
    score = score_measurement(Measurement(face["features"], face["jpeg"], face["reason"])).score
    return score if fusion is None else fusion.fuse(score, face["meso"])


def file_score(record: dict, fusion: MesoFusion | None = None) -> float:
    scores = [s for s in (face_score(f, fusion) for f in record["faces"]) if s is not None]
    return max(scores) if scores else LOW


def meso_score(record: dict) -> float:
    return max((f["meso"] for f in record["faces"]), default=0.0)


def row(
    name: str, pos: list[float], neg: list[float], meso_pos: list[float], meso_neg: list[float]
) -> dict:
    return {
        "name": name,
        "n_fake": len(pos),
        "n_real": len(neg),
        "auc": round(auc(pos, neg), 3),
        "auc_mesonet": round(auc(meso_pos, meso_neg), 3),
        "det_at_1pct_fpr": round(detection_at_fpr(pos, neg, 0.01), 3),
        "det_at_5pct_fpr": round(detection_at_fpr(pos, neg, 0.05), 3),
        "det_at_threshold": round(float(np.mean(np.asarray(pos) >= CONSISTENCY_THRESHOLD)), 3),
        "fpr_at_threshold": round(float(np.mean(np.asarray(neg) >= CONSISTENCY_THRESHOLD)), 3),
        "measured_fake": round(float(np.mean(np.asarray(pos) > LOW)), 3),
    }


def print_rows(title: str, rows: list[dict]) -> None:
    print(f"\n## {title}\n")
    print(
        "| set | fake | real | AUC | MesoNet AUC | det@1%FPR | det@5%FPR | det@thr | FPR@thr | measured |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if "auc" not in r:
            continue
        print(
            f"| {r['name']} | {r['n_fake']} | {r['n_real']} | {r['auc']:.3f} | {r['auc_mesonet']:.3f} | "
            f"{r['det_at_1pct_fpr']:.2f} | {r['det_at_5pct_fpr']:.2f} | {r['det_at_threshold']:.2f} | "
            f"{r['fpr_at_threshold']:.2f} | {r['measured_fake']:.2f} |"
        )


def composites(records: list[dict], fusion: MesoFusion | None = None) -> list[dict]:
    genuine = defaultdict(list)
    for record in records:
        if record["label"] == "genuine":
            genuine[record["post"]].append(record)
    rows = []
    for post in POSTS:
        neg = [file_score(r, fusion) for r in genuine[post]]
        meso_neg = [meso_score(r) for r in genuine[post]]
        for blend in (*BLENDS, "all"):
            chosen = [
                r
                for r in records
                if r["label"] == "composite" and r["post"] == post and blend in (r["blend"], "all")
            ]
            pos = [file_score(r, fusion) for r in chosen]
            meso_pos = [meso_score(r) for r in chosen]
            rows.append(row(f"{blend} / {post}", pos, neg, meso_pos, meso_neg))
    fused = "" if fusion is None else ", fused with MesoNet"
    print_rows(f"Composites of evaluation people, file level (max over faces){fused}", rows)
    originals = [file_score(r, fusion) for r in genuine["original"]]
    fpr = float(np.mean(np.asarray(originals) >= CONSISTENCY_THRESHOLD))
    print(f"\ngenuine photo files as found: {len(originals)}, above the threshold {fpr:.1%}")
    rows.append(
        {"name": "genuine originals", "n_real": len(originals), "fpr_at_threshold": round(fpr, 3)}
    )
    return rows


# --------------------------------------------------------------------------- real swaps


def frames(path) -> list[np.ndarray]:
    """8 evenly spaced frames (RGB) of a video or animated WebP, or the picture itself."""
    suffix = path.suffix.lower()
    if suffix == ".mp4":
        capture = cv2.VideoCapture(str(path))
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        out = []
        for index in np.round(np.linspace(0, count - 1, 8)).astype(int):
            capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
            ok, bgr = capture.read()
            if ok:
                out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        capture.release()
        return out
    if suffix == ".webp":
        with Image.open(path) as image:
            all_frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(image)]
        return [all_frames[i] for i in np.round(np.linspace(0, len(all_frames) - 1, 8)).astype(int)]
    return [decode(path.read_bytes())]


def source_of(name: str) -> str:
    if name.startswith("ghost/"):
        return "GHOST"
    if name.startswith("mesonet/"):
        return "MesoNet crops"
    return "FF++" if "/ffpp/" in name else "DFDC"


def real_swaps(detector: Detector, meso: Meso, fusion: MesoFusion | None = None) -> list[dict]:
    """Rows for the shipped score, then (with `fusion`) rows for the fused score."""
    import csv

    with open(DEEPFAKES / "labels.csv", newline="", encoding="utf-8") as handle:
        labels = [r for r in csv.DictReader(handle) if r["label"].split()[0] in ("REAL", "FAKE")]
    per_file = []
    for label in labels:
        path = DEEPFAKES / label["file"]
        if not path.exists():
            continue
        data = path.read_bytes() if path.suffix.lower() in (".jpg", ".jpeg") else None
        ours, theirs = [], []
        for rgb in frames(path):
            faces = detector(rgb)
            if not faces:
                continue
            ours.append(face_consistency(rgb, faces[0].landmarks, data).score)
            theirs.append(meso(rgb, faces[0].box))
        per_file.append(
            {
                "file": label["file"],
                "source": source_of(label["file"]),
                "fake": label["label"] == "FAKE",
                **_frame_scores(ours, "frames", "score"),
                "meso_frames": theirs,
                "meso": float(np.mean(theirs)) if theirs else 0.0,
            }
        )
        if fusion is not None:
            fused = [fusion.fuse(s, m) for s, m in zip(ours, theirs, strict=True)]
            per_file[-1].update(_frame_scores(fused, "fused_frames", "fused"))
    rows = _swap_rows(per_file, "frames", "score")
    print_rows("Real swaps (../shared/data/deepfakes), never calibrated on", rows)
    if fusion is not None:
        fused_rows = _swap_rows(per_file, "fused_frames", "fused")
        print_rows("Real swaps, consistency fused with MesoNet", fused_rows)
        rows += [{**r, "name": f"{r['name']}, fused with MesoNet"} for r in fused_rows]
    print("\nper file (mean consistency score over measured frames; MesoNet fake score):")
    for f in per_file:
        shown = "not measured" if f["score"] == LOW else f"{f['score']:.2f}"
        fused = f"  fused {f['fused']:.2f}" if f.get("fused", LOW) > LOW else ""
        print(
            f"  {'FAKE' if f['fake'] else 'real'} {f['file']}: {shown}  meso {f['meso']:.2f}{fused}"
        )
    return rows


def _frame_scores(scores: list[float | None], frames_key: str, file_key: str) -> dict:
    """Frame scores (LOW when not measured) and the file's mean over measured frames."""
    measured = [s for s in scores if s is not None]
    return {
        frames_key: [LOW if s is None else s for s in scores],
        file_key: float(np.mean(measured)) if measured else LOW,
    }


def _swap_rows(per_file: list[dict], frames_key: str, file_key: str) -> list[dict]:
    rows = []
    for source in ("GHOST", "FF++", "DFDC", "MesoNet crops", "all"):
        chosen = [f for f in per_file if source in (f["source"], "all")]
        fake, real = [f for f in chosen if f["fake"]], [f for f in chosen if not f["fake"]]
        rows.append(
            row(
                f"{source} files",
                [f[file_key] for f in fake],
                [f[file_key] for f in real],
                [f["meso"] for f in fake],
                [f["meso"] for f in real],
            )
        )
        rows.append(
            row(
                f"{source} frames",
                [s for f in fake for s in f[frames_key]],
                [s for f in real for s in f[frames_key]],
                [s for f in fake for s in f["meso_frames"]],
                [s for f in real for s in f["meso_frames"]],
            )
        )
    return rows


# --------------------------------------------------------------------------- provenance


def provenance(records: list[dict], detector: Detector) -> dict:
    photos = {p.name: p for p in load_photos()}
    refs, timings = [], []
    for photo in photos.values():
        if photo.split != "eval" or photo.identity.startswith("group:"):
            continue
        rgb = decode(photo.data)
        faces = detector(rgb)
        if faces:
            refs.append(prepare_reference(photo.name, rgb, faces[0].landmarks))
    group = {p: SAME_PHOTO.get(p, p) for p in photos}
    outcome = defaultdict(lambda: defaultdict(int))
    for record in records:
        face = pasted_face(record) if record["label"] == "composite" else None
        if record["label"] == "genuine":
            face = record["faces"][0] if record["faces"] else None
        key = "genuine" if record["label"] == "genuine" else f"{record['blend']} / {record['post']}"
        outcome[key]["n"] += 1
        if face is None:
            outcome[key]["no face"] += 1
            continue
        data, _ = picture_bytes(record, photos)
        rgb = decode(data)
        own = group[record["target"]] if record["label"] == "genuine" else None
        usable = [r for r in refs if group[r.reference] != own]
        start = time.perf_counter()
        match = match_source_photo(rgb, np.asarray(face["landmarks"]), usable)
        timings.append((time.perf_counter() - start) * 1000 / max(1, len(usable)))
        if match is None or not match.matched:
            outcome[key]["unmatched"] += 1
        elif record["label"] == "composite" and group[match.reference] == group[record["source"]]:
            outcome[key]["right photo"] += 1
        else:
            truth = record["source"] if record["label"] == "composite" else record["target"]
            same = photos[match.reference].identity == photos[truth].identity
            outcome[key]["wrong photo, same person" if same else "other person"] += 1
    print(
        f"\n## Source-photo attribution ({len(refs)} reference photos of the evaluation people)\n"
    )
    print(
        "| set | n | right photo | wrong photo, same person | other person | unmatched | no face |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for key in sorted(outcome):
        o = outcome[key]
        print(
            f"| {key} | {o['n']} | {o['right photo']} | {o['wrong photo, same person']} | "
            f"{o['other person']} | {o['unmatched']} | {o['no face']} |"
        )
        summary[key] = dict(o)
    comp = [o for k, o in outcome.items() if k != "genuine"]
    n = sum(o["n"] - o["no face"] for o in comp)
    right = sum(o["right photo"] for o in comp)
    wrong = sum(o["wrong photo, same person"] + o["other person"] for o in comp)
    gen = outcome["genuine"]
    gen_n = gen["n"] - gen["no face"]
    gen_false = gen["wrong photo, same person"] + gen["other person"]
    print(
        f"\ncomposites traced to their exact source photo: {right}/{n} = {right / max(1, n):.1%}; "
        f"false attributions {wrong}/{n} = {wrong / max(1, n):.1%}; "
        f"genuine photos attributed to another photo: {gen_false}/{gen_n} = {gen_false / max(1, gen_n):.1%}"
    )
    p50, p90 = np.percentile(timings, [50, 90])
    print(f"provenance time per reference: p50 {p50:.1f} ms, p90 {p90:.1f} ms")
    return {
        "attribution_rate": round(right / max(1, n), 3),
        "false_attribution_rate": round(wrong / max(1, n), 3),
        "genuine_false_attribution_rate": round(gen_false / max(1, gen_n), 3),
        "n_composites": n,
        "n_genuine": gen_n,
        "n_references": len(refs),
        "ms_per_reference_p90": round(float(p90), 2),
        "by_set": summary,
    }


def timing(records: list[dict]) -> dict:
    ms = [f["ms"] for r in records for f in r["faces"] if f["features"]]
    p50, p90 = np.percentile(ms, [50, 90])
    print(
        f"\nconsistency measurement per measured face: p50 {p50:.1f} ms, p90 {p90:.1f} ms (n={len(ms)})"
    )
    return {"ms_per_face_p50": round(float(p50), 1), "ms_per_face_p90": round(float(p90), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--no-provenance", action="store_true")
    parser.add_argument("--fused-meso", action="store_true", help="also fused with MesoNet")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.fused_meso and args.write:
        parser.error("--write stores the shipped score's numbers; run it without --fused-meso")
    records = json.loads(CORPUS.read_text())
    measured = {"composites": composites(records), "timing": timing(records)}
    fusion = MesoFusion.calibrate(json.loads(CALIB_CORPUS.read_text())) if args.fused_meso else None
    if fusion is not None:
        measured["composites_fused_meso"] = composites(records, fusion)
    detector = Detector()
    if not args.no_real and DEEPFAKES.is_dir():
        measured["real_swaps"] = real_swaps(detector, Meso(), fusion)
    if not args.no_provenance:
        measured["provenance"] = provenance(records, detector)
    if args.write:
        stats = json.loads(STATS.read_text())
        # FaceForensics++ and DFDC samples are for internal tests only: keep them out of the
        # shipped record (they are in this script's printed output).
        measured["real_swaps"] = [
            r for r in measured.get("real_swaps", []) if r["name"].startswith(("GHOST", "MesoNet"))
        ]
        stats["measured"] = measured
        STATS.write_text(json.dumps(stats, indent=1) + "\n")
        print(f"\nwrote the measured record into {STATS}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
