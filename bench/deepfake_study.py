"""Measure candidate consistency signals on the stored corpus, for feature selection.

    python bench/deepfake_study.py extract --split calib   (after bench/deepfake_corpus.py)
    python bench/deepfake_study.py cv [--features NAME ...] [--how two diagonal logistic:10]

``cv`` compares feature sets and ways of combining them on the calibration people only:
fitted on one half of them, file-level AUC on the other half, both ways round, over
random halvings (as bench/deepfake_select.py, but on the candidates too). ``two`` is the
two-sided genuine model alone, ``diagonal`` the shipped one (two-sided fused by maximum
with a diagonal discriminant), ``logistic:L2`` a class-balanced logistic regression on
the z-scores and their absolute values (ridge penalty L2) fused by maximum instead.
Results and what was kept: docs/deepfake.md.

Writes bench/out/deepfake_study_<split>.json: per record, the label, post-processing,
blend, target and for each scored face (genuine: every face; composite: the pasted one)
the candidate features below next to the shipped ones. The candidates are cheap
measurements on the face crop at up to 128 px per face unit:

- ``oct<k>_face`` / ``oct<k>_ring`` / ``oct<k>_ratio``: log ratio of the medians of two
  adjacent difference-of-Gaussian octaves (k = 0: sigma 0-0.7 over 0.7-1.4, 1: 0.7-1.4
  over 1.4-2.8, 2: 1.4-2.8 over 2.8-5.6), in the face, the ring and face minus ring;
- ``edge<k>_*``: the same slope on the strongest-structure pixels only (top fifth of the
  coarser octave), i.e. how wide edges are, not how much texture there is;
- ``seam_dip`` / ``seam_step``: local noise level (median-filter residual) by elliptical
  radius: the dip at the paste seam (r 0.85-1.25) below the mean of both sides, and the
  largest step between neighbouring radii there (as shipped); ``seam_*_fine`` with 3x3
  averaging and rings of 0.05, ``seam_*_dog`` on the finest octave instead;
- ``noise_ratio``: the noise level of the inner rings minus the outer ones;
- ``chroma_ratio``: finest-octave chroma over luma energy, face minus ring;
- ``eye_detail``: finest-octave slope around the eyes minus the rest of the inner face;
- ``spec_peak``: strongest off-centre peak of the face residual's spectrum over its median,
  face minus ring (periodic upsampling traces of generators).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from collections.abc import Callable

import cv2
import deepfake_calibrate as calibrate
import numpy as np
from deepfake_common import POSTS, REPO, auc, decode, load_photos, pasted_face, picture_bytes

from scanner.analyse.signals.features import BASE_FEATURES, DETAIL_UNIT, INNER, RING
from scanner.analyse.signals.jpeg_features import JPEG_FEATURES
from scanner.analyse.signals.regions import face_frame, normalised_crop, radius_map
from scanner.analyse.signals.scoring import GaussianModel, fit_genuine, with_direction

SHIPPED = BASE_FEATURES + JPEG_FEATURES

OUT = REPO / "bench" / "out"
SIGMAS = (0.0, 0.7, 1.4, 2.8, 5.6)
_EPS = 1e-3


def _octaves(luma: np.ndarray) -> list[np.ndarray]:
    blurred = [luma] + [cv2.GaussianBlur(luma, (0, 0), s) for s in SIGMAS[1:]]
    return [(blurred[k] - blurred[k + 1]) ** 2 for k in range(len(SIGMAS) - 1)]


def _slope(fine: np.ndarray, coarse: np.ndarray, mask: np.ndarray) -> float:
    return float(np.log((np.median(fine[mask]) + _EPS) / (np.median(coarse[mask]) + _EPS)))


def _edge_slope(fine: np.ndarray, coarse: np.ndarray, mask: np.ndarray) -> float:
    values = coarse[mask]
    strong = mask & (coarse >= np.quantile(values, 0.8))
    return float(np.median(np.log((fine[strong] + _EPS) / (coarse[strong] + _EPS))))


def _noise_profile(luma8: np.ndarray, radius: np.ndarray) -> np.ndarray:
    residual = luma8.astype(np.float32) - cv2.medianBlur(luma8, 3).astype(np.float32)
    local = cv2.blur(residual**2, (5, 5))
    edges = np.arange(0.45, 1.75, 0.1)
    return np.array(
        [
            math.log(float(np.median(local[(radius >= a) & (radius < a + 0.1)])) + _EPS)
            for a in edges
        ]
    )


def _noise_profile_fine(luma8: np.ndarray, radius: np.ndarray) -> np.ndarray:
    residual = luma8.astype(np.float32) - cv2.medianBlur(luma8, 3).astype(np.float32)
    local = cv2.blur(residual**2, (3, 3))
    return np.array(
        [
            math.log(float(np.median(local[(radius >= a) & (radius < a + 0.05)])) + _EPS)
            for a in np.arange(0.45, 1.75, 0.05)
        ]
    )


def _spec_peak(patch: np.ndarray) -> float:
    residual = patch - cv2.GaussianBlur(patch, (0, 0), 1.0)
    window = np.outer(np.hanning(patch.shape[0]), np.hanning(patch.shape[1]))
    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(residual * window)))
    h, w = spectrum.shape
    yy, xx = np.mgrid[0:h, 0:w]
    far = np.hypot(yy - h // 2, xx - w // 2) > 0.15 * h
    values = spectrum[far]
    return float(np.log(values.max() / (np.median(values) + _EPS)))


def candidates(rgb: np.ndarray, landmarks: np.ndarray) -> dict[str, float]:
    frame = face_frame(np.asarray(landmarks, np.float64))
    crop, scale = normalised_crop(rgb, frame, DETAIL_UNIT)
    unit = frame.unit * scale
    radius = radius_map(crop.shape[0], unit)
    ycc = cv2.cvtColor(crop, cv2.COLOR_RGB2YCrCb)
    luma = ycc[..., 0].astype(np.float32)
    bands = _octaves(luma)
    face = (radius >= INNER[0]) & (radius < INNER[1])
    ring = (radius >= RING[0]) & (radius < RING[1])
    out: dict[str, float] = {}
    for k in range(3):
        for name, mask in (("face", face), ("ring", ring)):
            out[f"oct{k}_{name}"] = _slope(bands[k], bands[k + 1], mask)
            out[f"edge{k}_{name}"] = _edge_slope(bands[k], bands[k + 1], mask)
        out[f"oct{k}_ratio"] = out[f"oct{k}_face"] - out[f"oct{k}_ring"]
        out[f"edge{k}_ratio"] = out[f"edge{k}_face"] - out[f"edge{k}_ring"]
    profile = _noise_profile(ycc[..., 0], radius)
    seam = profile[4:8]  # r 0.85-1.25
    out["seam_dip"] = float(seam.min() - 0.5 * (profile[:3].mean() + profile[-3:].mean()))
    out["seam_step"] = float(np.abs(np.diff(profile[3:9])).max())
    out["noise_ratio"] = float(profile[:3].mean() - profile[-3:].mean())
    local = cv2.blur(bands[0], (5, 5))
    prof = np.array(
        [
            math.log(float(np.median(local[(radius >= a) & (radius < a + 0.1)])) + _EPS)
            for a in np.arange(0.45, 1.75, 0.1)
        ]
    )
    out["seam_dip_dog"] = float(prof[4:8].min() - 0.5 * (prof[:3].mean() + prof[-3:].mean()))
    out["seam_step_dog"] = float(np.abs(np.diff(prof[3:9])).max())
    fine = _noise_profile_fine(ycc[..., 0], radius)
    out["seam_dip_fine"] = float(fine[7:15].min() - 0.5 * (fine[:5].mean() + fine[-5:].mean()))
    out["seam_step_fine"] = float(np.abs(np.diff(fine[6:16])).max())
    chroma = [
        (c - cv2.GaussianBlur(c, (0, 0), 0.7)) ** 2
        for c in (ycc[..., 1].astype(np.float32), ycc[..., 2].astype(np.float32))
    ]
    chroma_energy = chroma[0] + chroma[1]
    out["chroma_ratio"] = float(
        np.log((chroma_energy[face].mean() + _EPS) / (bands[0][face].mean() + _EPS))
        - np.log((chroma_energy[ring].mean() + _EPS) / (bands[0][ring].mean() + _EPS))
    )
    half = (crop.shape[0] - 1) / 2
    cos, sin = math.cos(-frame.angle), math.sin(-frame.angle)
    eyes = np.zeros_like(face)
    ys, xs = np.mgrid[0 : crop.shape[0], 0 : crop.shape[1]]
    for point in np.asarray(landmarks)[:2]:
        dx, dy = point[0] - frame.centre[0], point[1] - frame.centre[1]
        ex = half + scale * (cos * dx - sin * dy)
        ey = half + scale * (sin * dx + cos * dy)
        eyes |= np.hypot(xs - ex, ys - ey) < 0.3 * unit
    rest = face & ~eyes
    out["eye_detail"] = _slope(bands[0], bands[1], eyes) - _slope(bands[0], bands[1], rest)
    side = int(2 ** math.floor(math.log2(max(8, 1.2 * unit))))
    c = int(half)
    face_patch = luma[c - side // 2 : c + side // 2, c - side // 2 : c + side // 2]
    ring_off = int(1.6 * unit)
    ring_patch = luma[
        max(0, c - ring_off - side // 2) : max(0, c - ring_off - side // 2) + side,
        c - side // 2 : c + side // 2,
    ]
    if ring_patch.shape == face_patch.shape:
        out["spec_peak"] = _spec_peak(face_patch) - _spec_peak(ring_patch)
    else:
        out["spec_peak"] = 0.0
    out["spec_peak_face"] = _spec_peak(face_patch)
    return out


def extract(split: str) -> None:
    photos = {p.name: p for p in load_photos()}
    records = json.loads((OUT / f"deepfake_corpus_{split}.json").read_text())
    rows = []
    start = time.time()
    for record in records:
        faces = record["faces"] if record["label"] == "genuine" else [pasted_face(record)]
        faces = [f for f in faces if f and f["features"]]
        if not faces:
            rows.append({**_meta(record), "faces": []})
            continue
        rgb = decode(picture_bytes(record, photos)[0])
        scored = []
        for face in faces:
            try:
                extra = candidates(rgb, np.asarray(face["landmarks"]))
            except Exception as exc:  # a study: note and go on
                print("failed", record["target"], exc)
                continue
            scored.append({**face, "features": {**face["features"], **extra}})
        rows.append({**_meta(record), "faces": scored})
    (OUT / f"deepfake_study_{split}.json").write_text(json.dumps(rows))
    print(f"{split}: {len(rows)} records in {time.time() - start:.0f} s")


def _meta(record: dict) -> dict:
    return {k: record[k] for k in ("split", "label", "blend", "post", "source", "target")}


def _fold(identity: str, split: int) -> int:
    return hashlib.sha256(f"{split}|{identity}".encode()).digest()[0] % 2


def _vector(face: dict, names: tuple[str, ...]) -> np.ndarray | None:
    if not all(n in face["features"] for n in names):
        return None
    return np.array([face["features"][n] for n in names])


Scorer = Callable[[np.ndarray], float]


def _fit(rows: list[dict], names: tuple[str, ...], how: str, jpeg: bool) -> Scorer:
    """Score function fitted on the faces of `rows` from JPEG files (`jpeg`) or others."""
    genuine, composite = [], []
    for row in rows:
        for face in row["faces"]:
            vector = _vector(face, names)
            if vector is not None and face["jpeg"] == jpeg:
                (composite if row["label"] == "composite" else genuine).append(vector)
    g, c = np.array(genuine), np.array(composite)
    model = fit_genuine(names, g)
    if how == "two":
        return lambda v: model.two_sided(model.zscores(dict(zip(names, v, strict=True))))
    if how == "diagonal":
        model = with_direction(model, g, c)
        return lambda v: calibrate.fused(model, v)
    return _logistic_part(model, g, c, float(how.split(":")[1]))


def _design(z: np.ndarray) -> np.ndarray:
    return np.concatenate([z, np.abs(z)], axis=-1)


def logistic(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Class-balanced L2 logistic regression (Newton steps); returns (bias, weights...)."""
    a = np.hstack([np.ones((len(x), 1)), x])
    positives = float(y.sum())
    sample = np.where(y == 1, 0.5 / positives, 0.5 / (len(y) - positives))
    penalty = l2 * np.eye(a.shape[1]) / len(x)
    penalty[0, 0] = 0.0
    beta = np.zeros(a.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(a @ beta, -30, 30)))
        gradient = a.T @ (sample * (p - y)) + penalty @ beta
        hessian = (a * (sample * p * (1 - p))[:, None]).T @ a + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    return beta


def _logistic_part(
    model: GaussianModel, genuine: np.ndarray, composite: np.ndarray, l2: float
) -> Scorer:
    """Tried, not shipped: logistic regression on (z, |z|), standardised on genuine, fused by max."""
    median, scale = np.asarray(model.median), np.asarray(model.scale)
    zg = np.clip((genuine - median) / scale, -8, 8)
    zc = np.clip((composite - median) / scale, -8, 8)
    y = np.concatenate([np.zeros(len(zg)), np.ones(len(zc))])
    weights = logistic(_design(np.vstack([zg, zc])), y, l2)[1:]
    projection = _design(zg) @ weights
    location = float(np.median(projection))
    spread = float(np.median(np.abs(projection - location)) * 1.4826) or 1.0

    def fused(v: np.ndarray) -> float:
        z = model.zscores(dict(zip(model.names, v, strict=True)))
        one = (float(_design(z) @ weights) - location) / spread
        return max(model.two_sided(z), one)

    return fused


def cv(names: tuple[str, ...], how: str, splits: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean file-level AUC per post-processing (and its standard error) over person halvings."""
    identity = {p.name: p.identity for p in load_photos()}
    rows = json.loads((OUT / "deepfake_study_calib.json").read_text())

    def side(row: dict, s: int) -> int | None:
        fold = _fold(identity[row["target"]], s)
        same = row["label"] == "genuine" or _fold(identity[row["source"]], s) == fold
        return fold if same else None

    results = []
    for s in range(splits):
        for fold in (0, 1):
            train = [r for r in rows if side(r, s) == 1 - fold]
            test = [r for r in rows if side(r, s) == fold]
            scorers = {jpeg: _fit(train, names, how, jpeg) for jpeg in (True, False)}
            per_post = []
            for post in POSTS:
                scores: dict[bool, list[float]] = {True: [], False: []}
                for row in (r for r in test if r["post"] == post):
                    values = [
                        scorers[f["jpeg"]](v)
                        for f in row["faces"]
                        if (v := _vector(f, names)) is not None
                    ]
                    scores[row["label"] == "composite"].append(max(values, default=-1e9))
                per_post.append(auc(scores[True], scores[False]))
            results.append(per_post)
    table = np.array(results)
    return table.mean(axis=0), table.std(axis=0) / len(table) ** 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("extract", "cv"))
    parser.add_argument("--split", default="calib", help="extract: which corpus split")
    parser.add_argument("--features", nargs="*", default=list(SHIPPED))
    parser.add_argument(
        "--how", nargs="*", default=["diagonal", "logistic:10"], help="two, diagonal or logistic:L2"
    )
    parser.add_argument("--splits", type=int, default=5, help="random halvings of the people")
    args = parser.parse_args()
    if args.command == "extract":
        extract(args.split)
        return
    for how in args.how:
        mean, sd = cv(tuple(args.features), how, args.splits)
        shown = " ".join(f"{m:.3f}±{e:.3f}" for m, e in zip(mean, sd, strict=True))
        print(f"{how}: {shown}  ({' '.join(args.features)})")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
