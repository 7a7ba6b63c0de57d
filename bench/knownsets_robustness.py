"""Victim-set robustness on real photos, and false matches on unrelated pictures.

    python bench/knownsets_robustness.py [--fps 2] [--generated 700] [--radius 31]

References: every photo in ../shared/data/faces, one victim folder each, built with
`build_victims` (8 dihedral + cropped variants). Each reference is edited (JPEG q50,
50 % resize, 5 % crop, grayscale, text overlay, 90-degree rotation) and must be found.
Unrelated: frames sampled from every video in ../shared/data (faces and deepfakes), the
deepfake stills, and --generated synthetic pictures; every PDQ match among them is a
false match. The baseline, in the same run, is the same search against a set holding
only each reference's upright PDQ (no augmentation).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "knownsets"))

from ks_transforms import TRANSFORMS  # noqa: E402

from scanner.errors import MediaError  # noqa: E402
from scanner.hashing import pdq_hash, video_pdq  # noqa: E402
from scanner.knownsets import build_victims, load_matcher  # noqa: E402
from scanner.knownsets.pdq_index import PdqIndex  # noqa: E402
from scanner.media.decode import decode_picture  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
PICTURES = {".jpg", ".jpeg", ".png", ".webp"}


def references(folder: Path) -> list[Path]:
    files = sorted(p for p in (SHARED / "faces").rglob("*") if p.suffix.lower() in PICTURES)
    for i, path in enumerate(files):
        victim = folder / f"v{i:03d}"
        victim.mkdir(parents=True)
        (victim / path.name).symlink_to(path)
    return files


def generated(count: int) -> list[np.ndarray]:
    """Synthetic scenes: gradients, shapes, lines, noise and text, each from its own seed."""
    out = []
    for seed in range(count):
        rng = np.random.default_rng(10_000 + seed)
        h, w = int(rng.integers(240, 720)), int(rng.integers(240, 960))
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack(
            [(x * rng.uniform(0, 1) + y * rng.uniform(0, 1)) % 256 for _ in range(3)], axis=2
        )
        img = np.ascontiguousarray(base.astype(np.uint8))
        for _ in range(int(rng.integers(3, 25))):
            color = tuple(int(c) for c in rng.integers(0, 256, 3))
            p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            kind = rng.integers(0, 4)
            if kind == 0:
                cv2.rectangle(img, p1, p2, color, -1)
            elif kind == 1:
                cv2.circle(img, p1, int(rng.integers(5, max(6, w // 3))), color, -1)
            elif kind == 2:
                cv2.line(img, p1, p2, color, int(rng.integers(1, 20)))
            else:
                cv2.putText(
                    img,
                    f"#{seed}",
                    p1,
                    cv2.FONT_HERSHEY_SIMPLEX,
                    float(rng.uniform(0.5, 4)),
                    color,
                    2,
                )
        if rng.random() < 0.3:
            img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(1, 8)))
        out.append(img)
    return out


def unrelated(fps: float, count: int) -> list[tuple[str, str, int]]:
    """(name, pdq, quality) of every unrelated picture."""
    found = []
    for video in sorted(SHARED.rglob("*.mp4")):
        for t, pdq, quality in video_pdq(str(video), fps=fps):
            found.append((f"{video.name}@{t:.1f}s", pdq, quality))
    for still in sorted((SHARED / "deepfakes").rglob("*")):
        if still.suffix.lower() in PICTURES:
            try:
                found.append((still.name, *pdq_hash(decode_picture(still.read_bytes()))))
            except MediaError:
                pass
    for i, img in enumerate(generated(count)):
        found.append((f"generated-{i}", *pdq_hash(img)))
    return found


def recall(matcher, files: list[Path]) -> dict[str, tuple[int, int, int]]:  # noqa: ANN001
    """Per edit: (found as the right reference, total, worst distance)."""
    edits = dict(TRANSFORMS, **{"rotate-90": lambda a: np.ascontiguousarray(np.rot90(a))})
    result = {name: [0, 0, 0] for name in edits}
    for i, path in enumerate(files):
        rgb = decode_picture(path.read_bytes())
        hashes = [pdq_hash(fn(rgb)) for fn in edits.values()]
        matches = matcher.match_pdq_many([h for h, _ in hashes], [q for _, q in hashes])
        for name, found in zip(edits, matches, strict=True):
            result[name][1] += 1
            right = [m for m in found if m.label == f"v{i:03d}"]
            if right:
                result[name][0] += 1
                result[name][2] = max(result[name][2], right[0].distance)
    return {k: (v[0], v[1], v[2]) for k, v in result.items()}


def min_distances(home: Path, name: str, others: list[tuple[str, str, int]]) -> np.ndarray:
    words = np.load(home / "sets" / name / "pdq.hash.npy").view(np.uint64).reshape(-1, 4)
    queries = np.frombuffer(b"".join(bytes.fromhex(p) for _, p, _ in others), np.uint8).copy()
    hits = PdqIndex(words).search(queries.view(np.uint64).reshape(-1, 4), 64)
    best = np.full(len(others), 999)
    np.minimum.at(best, hits.query, hits.distance)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fps", type=float, default=2.0)
    parser.add_argument("--generated", type=int, default=700)
    parser.add_argument("--radius", type=int, default=31)
    args = parser.parse_args()
    if not (SHARED / "faces").is_dir():
        sys.exit(f"skipped: {SHARED / 'faces'} is absent")
    with tempfile.TemporaryDirectory() as tmp:
        home, refs = Path(tmp) / "home", Path(tmp) / "refs"
        home.mkdir()
        files = references(refs)
        build_victims(refs, "full", home=home)
        build_victims(refs, "plain", home=home, dihedral=False, crops=False)
        others = unrelated(args.fps, args.generated)
        usable = [o for o in others if o[2] >= 50]
        print(
            f"{len(files)} reference photos; {len(others)} unrelated pictures "
            f"({len(usable)} with PDQ quality >= 50); radius {args.radius}"
        )
        print(f"{'edit':<14} {'augmented set':>20} {'baseline (upright only)':>26}")
        full = recall(load_matcher(["full"], home=home, pdq_radius=args.radius), files)
        plain = recall(load_matcher(["plain"], home=home, pdq_radius=args.radius), files)
        for name in full:
            f, p = full[name], plain[name]
            print(
                f"{name:<14} {f[0]:>4}/{f[1]} found, max d {f[2]:>2}   {p[0]:>4}/{p[1]} found, max d {p[2]:>2}"
            )
        for name in ("full", "plain"):
            best = min_distances(home, name, usable)
            rates = ", ".join(f"<= {r}: {np.mean(best <= r):.2%}" for r in (24, 31, 40, 48))
            false = [usable[i][0] for i in np.flatnonzero(best <= args.radius)]
            print(
                f"false-match rate, {name} set ({len(usable)} unrelated): {rates}; "
                f"at {args.radius}: {len(false)} {false[:5]}; closest unrelated: "
                f"{'> 64' if best.min() > 64 else int(best.min())}"
            )


if __name__ == "__main__":
    main()
