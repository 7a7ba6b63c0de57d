"""Compare consistency feature sets on the calibration people only (two folds by person).

    python bench/deepfake_select.py [--drop NAME ...]    (after bench/deepfake_corpus.py)

The statistics are fitted on one half of the calibration people and the pictures of the
other half are scored (file level: maximum over the measured faces), both ways round, so
features can be chosen without looking at the evaluation people. Repeated over several
random halvings; prints the mean file-level ROC AUC per post-processing and its spread.
"""

from __future__ import annotations

import argparse
import hashlib
import json

import deepfake_calibrate as calibrate
import numpy as np
from deepfake_common import POSTS, auc, load_photos

from scanner.analyse.signals.measure import model_kind
from scanner.analyse.signals.scoring import GaussianModel


def fold_of(identity: str, split: int) -> int:
    return hashlib.sha256(f"{split}|{identity}".encode()).digest()[0] % 2


def file_score(record: dict, models: dict[str, GaussianModel]) -> float:
    scores = []
    for face in record["faces"]:
        if face["features"]:
            model = models[model_kind(face["features"], face["jpeg"])]
            vector = np.array([face["features"][name] for name in model.names])
            scores.append(calibrate.fused(model, vector))
    return max(scores, default=-1e9)


def fold_auc(records: list[dict], identity: dict[str, str], split: int, fold: int) -> list[float]:
    """AUC per post-processing on the people of `fold`, fitted on the other fold."""
    train = [r for r in records if fold_of(identity[r["target"]], split) != fold]
    test = [
        r
        for r in records
        if fold_of(identity[r["target"]], split) == fold
        and (r["label"] == "genuine" or fold_of(identity[r["source"]], split) == fold)
    ]
    models = {}
    for kind in calibrate.NAMES:
        genuine, composite, _ = calibrate.vectors(train, kind)
        models[kind] = calibrate.fit(np.array(genuine), np.array(composite), kind)
    out = []
    for post in POSTS:
        chosen = [r for r in test if r["post"] == post]
        scores = {label: [] for label in ("composite", "genuine")}
        for record in chosen:
            scores[record["label"]].append(file_score(record, models))
        out.append(auc(scores["composite"], scores["genuine"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drop", nargs="*", default=[], help="features to leave out")
    parser.add_argument("--splits", type=int, default=5, help="random halvings of the people")
    args = parser.parse_args()
    calibrate.NAMES = {
        kind: tuple(n for n in names if n not in args.drop)
        for kind, names in calibrate.NAMES.items()
    }
    records = [r for r in json.loads(calibrate.CORPUS.read_text()) if r["split"] == "calib"]
    identity = {p.name: p.identity for p in load_photos()}
    folds = np.array(
        [fold_auc(records, identity, s, f) for s in range(args.splits) for f in (0, 1)]
    )
    print("AUC | " + " | ".join(POSTS))
    print("mean | " + " | ".join(f"{v:.3f}" for v in folds.mean(axis=0)))
    print(
        "sd of the mean | " + " | ".join(f"{v:.3f}" for v in folds.std(axis=0) / len(folds) ** 0.5)
    )


if __name__ == "__main__":
    main()
