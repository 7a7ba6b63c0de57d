"""False-match rate of a face embedder on every different-person pair available.

Embeds the largest face of every single-identity still in a labelled folder
(`labels.csv`: file,identity[,note], e.g. ../shared/data/faces), forms every pair of
different people, and prints the false-match rate (share of different-person pairs at
or under a distance) at a list of distances, and the loosest distance whose measured
rate stays within a false-match budget. Euclidean models only (dlib-resnet-v1).

    python bench/face_false_match.py ../shared/data/faces [--model dlib-resnet-v1]
        [--budget 0.001] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from pathlib import Path

import numpy as np

from scanner.inference.analyser import PictureAnalyser
from scanner.inference.evaluate import _largest_embedding, read_face_labels

DISTANCES = tuple(round(0.5 + 0.01 * i, 2) for i in range(31)) + (0.715,)


def _upper_bound(false: int, pairs: int) -> float:
    """One-sided 95 % upper bound of a rate seen `false` times in `pairs` (Wilson)."""
    z, p = 1.645, false / pairs
    centre = p + z * z / (2 * pairs)
    spread = z * math.sqrt(p * (1 - p) / pairs + z * z / (4 * pairs * pairs))
    return (centre + spread) / (1 + z * z / pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", default="dlib-resnet-v1")
    parser.add_argument("--detector", default="mtcnn")
    parser.add_argument("--budget", type=float, default=0.001)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    analyser = PictureAnalyser.load(
        tasks=("face-detect", "face-embed"),
        choose={"face-detect": args.detector, "face-embed": args.model},
    )
    embedded: list[tuple[str, np.ndarray]] = []
    for picture in read_face_labels(args.folder):
        if len(picture.identities) != 1 or picture.identities[0].startswith("unknown"):
            continue
        if picture.path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp"):
            continue
        vector = _largest_embedding(analyser, picture.path)
        if vector is not None:
            embedded.append((picture.identities[0], vector))
    different = np.array(
        [
            float(np.linalg.norm(a - b))
            for (who_a, a), (who_b, b) in itertools.combinations(embedded, 2)
            if who_a != who_b
        ]
    )
    pairs = len(different)
    table = []
    for distance in sorted(DISTANCES):
        false = int(np.count_nonzero(different <= distance))
        table.append(
            {
                "distance": distance,
                "false_matches": false,
                "false_match_rate": false / pairs,
                "upper_95": _upper_bound(false, pairs),
            }
        )
    ordered = np.sort(different)
    allowed = int(math.floor(args.budget * pairs))
    # the loosest distance with at most `allowed` different-person pairs at or under it
    loosest = float(ordered[allowed]) if allowed < pairs else float(ordered[-1])
    result = {
        "model": args.model,
        "detector": args.detector,
        "faces": len(embedded),
        "people": len({who for who, _ in embedded}),
        "different_pairs": pairs,
        "closest_different": float(ordered[0]),
        "budget": args.budget,
        "allowed_false_matches": allowed,
        "loosest_distance_within_budget": round(loosest - 1e-4, 4),
        "table": table,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{args.model} via {args.detector}: {result['faces']} faces, {result['people']} people,"
        f" {pairs} different-person pairs; closest {ordered[0]:.4f}"
    )
    print("distance  false  rate      1 in N   95% upper")
    for row in table:
        rate = row["false_match_rate"]
        one_in = f"{1 / rate:,.0f}" if rate else f">{pairs:,}"
        print(
            f"{row['distance']:<8}  {row['false_matches']:>5}  {rate:.5f}  {one_in:>7}"
            f"   {row['upper_95']:.5f}"
        )
    print(
        f"budget {args.budget:g}: at most {allowed} of {pairs} pairs →"
        f" relaxed threshold < {loosest:.4f}"
    )


if __name__ == "__main__":
    main()
