"""Fit the shipped consistency statistics on the calibration split only.

    python bench/deepfake_calibrate.py        (after bench/deepfake_corpus.py)

Reads bench/out/deepfake_corpus_calib.json, keeps the records of the calibration people
(see deepfake_common.EVAL_PEOPLE), and writes scanner/analyse/signals/genuine_stats.json:

- ``models.jpeg`` / ``models.other`` / ``models.base``: for JPEG files, for other files,
  and for faces whose JPEG-trace features could not be measured (non-JPEG genuine
  faces, base features only): median, MAD and Ledoit-Wolf precision of the features
  of every genuine face (all three post-processings), plus the one-sided composite
  direction fitted on the calibration composites (used only fused, by maximum);
- ``threshold``: the fused score's 95th percentile on genuine calibration faces, each
  scored by a model fitted without that person (leave one identity out), so the stated
  false-positive rate is not an in-sample figure.

The ``measured`` record is filled in by bench/deepfake_eval.py on the evaluation split.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import numpy as np
from deepfake_common import REPO, SAME_PHOTO, decode, load_photos, pasted_face, picture_bytes

from scanner.analyse.signals.features import BASE_FEATURES
from scanner.analyse.signals.jpeg_features import JPEG_FEATURES
from scanner.analyse.signals.measure import MIN_UNIT, model_kind
from scanner.analyse.signals.provenance import match_source_photo, prepare_reference
from scanner.analyse.signals.scoring import GaussianModel, fit_genuine, with_direction

CORPUS = REPO / "bench" / "out" / "deepfake_corpus_calib.json"
STATS = REPO / "scanner" / "analysis" / "genuine_stats.json"
THRESHOLD_FPR = 0.05
NAMES = {
    "base": BASE_FEATURES,
    "other": BASE_FEATURES + JPEG_FEATURES,
    "jpeg": BASE_FEATURES + JPEG_FEATURES,
}


def vectors(
    records: list[dict], kind: str, strict: bool = False
) -> tuple[list[np.ndarray], list[np.ndarray], list[str]]:
    """(genuine vectors, composite vectors, identity of each genuine vector).

    The base model is fitted on every face (its features are a subset of the others');
    with `strict`, only faces scored by that model in the product are returned.
    """
    identity = {p.name: p.identity for p in load_photos()}
    names = NAMES[kind]
    genuine, composite, who = [], [], []
    for record in records:
        faces = record["faces"] if record["label"] == "genuine" else [pasted_face(record)]
        for face in faces:
            if not face or not face["features"]:
                continue
            own = model_kind(face["features"], face["jpeg"])
            if own != kind and (strict or not (kind == "base" and own == "other")):
                continue
            vector = np.array([face["features"][n] for n in names])
            if record["label"] == "genuine":
                genuine.append(vector)
                who.append(identity[record["target"]])
            else:
                composite.append(vector)
    return genuine, composite, who


def fit(genuine: np.ndarray, composite: np.ndarray, kind: str) -> GaussianModel:
    return with_direction(fit_genuine(NAMES[kind], genuine), genuine, composite)


def fused(model: GaussianModel, vector: np.ndarray) -> float:
    z = model.zscores(dict(zip(model.names, vector, strict=True)))
    one = model.one_sided(z)
    two = model.two_sided(z)
    return two if one is None else max(two, one)


def held_out_scores(
    genuine: np.ndarray,
    who: list[str],
    scored: np.ndarray,
    scored_who: list[str],
    composite: np.ndarray,
    kind: str,
) -> list[float]:
    """Each face of `scored` scored by a model fitted on `genuine` without its person."""
    scores = []
    for person in sorted(set(scored_who)):
        keep = np.array([w != person for w in who])
        model = fit(genuine[keep], composite, kind)
        scores.extend(
            fused(model, v) for v, w in zip(scored, scored_who, strict=True) if w == person
        )
    return scores


def calibrate_provenance(records: list[dict]) -> None:
    """Print source-match correlations on calibration people, to set SOURCE_MATCH_THRESHOLD."""
    photos = {p.name: p for p in load_photos()}
    group = {name: SAME_PHOTO.get(name, name) for name in photos}
    refs = []
    for record in records:
        photo = photos[record["target"]]
        if record["label"] == "genuine" and record["post"] == "lossless" and record["faces"]:
            if not photo.identity.startswith("group:"):
                rgb = decode(photo.data)
                refs.append(
                    prepare_reference(photo.name, rgb, np.asarray(record["faces"][0]["landmarks"]))
                )
    genuine_best, source_corr, best_other = [], [], []
    for record in records:
        face = record["faces"][0] if record["label"] == "genuine" else pasted_face(record)
        if not face or (
            record["label"] == "genuine" and photos[record["target"]].identity.startswith("group:")
        ):
            continue
        rgb = decode(picture_bytes(record, photos)[0])
        points = np.asarray(face["landmarks"])
        if record["label"] == "genuine":
            usable = [r for r in refs if group[r.reference] != group[record["target"]]]
            match = match_source_photo(rgb, points, usable)
            if match:
                genuine_best.append(match.correlation)
        else:
            own = [r for r in refs if group[r.reference] == group[record["source"]]]
            rest = [r for r in refs if group[r.reference] != group[record["source"]]]
            a, b = match_source_photo(rgb, points, own), match_source_photo(rgb, points, rest)
            if a and b:
                source_corr.append(a.correlation)
                best_other.append(b.correlation)
    g, sc, bo = np.array(genuine_best), np.array(source_corr), np.array(best_other)
    print(
        f"provenance: {len(refs)} references, {len(g)} genuine, {len(sc)} composites (calibration people)"
    )
    print(
        f"  genuine best non-source correlation: max {g.max():.3f}, p99 {np.quantile(g, 0.99):.3f}"
    )
    print(
        f"  composites' best other-photo correlation: max {bo.max():.3f}, p99 {np.quantile(bo, 0.99):.3f}"
    )
    for threshold in np.arange(0.60, 0.96, 0.025):
        hit = np.mean((sc >= threshold) & (sc > bo))
        false = np.mean(np.maximum(g, 0) >= threshold)
        false_c = np.mean((bo >= threshold) & (bo >= sc))
        print(
            f"  threshold {threshold:.3f}: traced {hit:.1%}, composites to a wrong photo {false_c:.1%}, genuine attributed {false:.1%}"
        )


def main() -> None:
    records = [r for r in json.loads(CORPUS.read_text()) if r["split"] == "calib"]
    if "--provenance" in sys.argv:
        calibrate_provenance(records)
        return
    models, held_out, counts = {}, [], defaultdict(int)
    for kind in ("base", "other", "jpeg"):
        genuine, composite, who = vectors(records, kind)
        g, c = np.array(genuine), np.array(composite)
        counts[f"{kind}_genuine_faces"], counts[f"{kind}_composite_faces"] = len(g), len(c)
        models[kind] = fit(g, c, kind).to_json()
        own_g, _, own_who = vectors(records, kind, strict=True)
        if own_g:
            held_out.extend(held_out_scores(g, who, np.array(own_g), own_who, c, kind))
    threshold = float(np.quantile(held_out, 1.0 - THRESHOLD_FPR))
    stats = {
        "version": 1,
        "description": (
            "Genuine-photo statistics of the per-face consistency features (scanner/analysis). "
            "Fitted by bench/deepfake_calibrate.py on the calibration people of the shared "
            "test photos (data/faces: genuine photos and their lossless, JPEG q75 and "
            "resize-1024 + q75 copies; one-sided direction from composites of the same people)."
        ),
        "min_unit_px": MIN_UNIT,
        "threshold": round(threshold, 4),
        "threshold_fpr": THRESHOLD_FPR,
        "threshold_fpr_1pct": round(float(np.quantile(held_out, 0.99)), 4),
        "calibration_counts": dict(counts),
        "models": models,
        "measured": json.loads(STATS.read_text()).get("measured", {}) if STATS.exists() else {},
    }
    STATS.write_text(json.dumps(stats, indent=1) + "\n")
    print(f"threshold {threshold:.3f} at {THRESHOLD_FPR:.0%} FPR (held out); counts {dict(counts)}")


if __name__ == "__main__":
    main()
