"""How well do cache thumbnails still match? PDQ and face identity at 96, 128 and 256 px.

Gallery and browser caches keep small JPEGs of pictures whose originals are gone. This
takes the labelled face photos of ../shared/data/faces (deepface set: 13 people), uses
each person's first photo as the victim reference (as `dftriage sets build-victims`
does) and every other photo as evidence, reduces the evidence to 96, 128 and 256 px
(longest side, JPEG quality 75, as most caches store them; `--shape` for the others) and measures with the scanner's
own code:

  (a) PDQ Hamming distance of the thumbnail to the full-size original, and the share
      within the scan's default `pdq_max_distance` (scanner/config.py): would a
      known-bad/victim PDQ entry of the original match its thumbnail;
  (b) face detection (at least one face) and identity match (a face matching the
      person's reference within the embedder's threshold, scanner/inference/identity.py)
      with the bundled models, plus wrong-person matches.

    python bench/thumbnail_matching.py [--faces ../shared/data/faces]
        [--shape jpeg|png|square] [--sides 96 128 256]

Skips (exit 0) when the faces folder is absent.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from scanner.config import ScanConfig  # noqa: E402
from scanner.hashing.perceptual import hamming, pdq_hash  # noqa: E402
from scanner.inference.identity import index_reference_folder  # noqa: E402
from scanner.media.decode import decode_picture  # noqa: E402
from scanner.pipeline.worker import load_analyser  # noqa: E402

SIDES = (96, 128, 256)
SHAPES = ("jpeg", "png", "square")
QUALITY = 75
DEFAULT_FACES = REPO / ".." / "shared" / "data" / "faces"


def thumbnail(data: bytes, side: int, shape: str = "jpeg") -> bytes:
    """The picture as a cache keeps it: `jpeg` (longest side `side` px, q75: thumbcache
    JPEGs, Gallery imgcache, .thumbdata, browser caches), `png` (the same, lossless:
    QuickLook, thumbcache PNG/BMP) or `square` (the centre square, `side` px, q75:
    MediaStore and Gallery micro-thumbnails)."""
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        if shape == "square":
            width, height = image.size
            edge = min(width, height)
            left, top = (width - edge) // 2, (height - edge) // 2
            image = image.crop((left, top, left + edge, top + edge))
            image = image.resize((side, side), Image.Resampling.LANCZOS)
        else:
            image.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if shape == "png":
            image.save(out, "PNG")
        else:
            image.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def people(faces: Path) -> dict[str, list[Path]]:
    """Single-person deepface photos by identity, in file-name number order."""
    by_person: dict[str, list[Path]] = defaultdict(list)
    with (faces / "labels.csv").open() as handle:
        for row in csv.DictReader(handle):
            name, identity = row["file"], row["identity"]
            if name.startswith("deepface/img") and identity and ";" not in identity:
                if "reflection" not in name:
                    by_person[identity].append(faces / name)
    order = lambda p: int("".join(c for c in p.stem if c.isdigit()) or 0)  # noqa: E731
    return {k: sorted(v, key=order) for k, v in by_person.items() if len(v) >= 2}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--shape", choices=SHAPES, default="jpeg", help="see thumbnail()")
    parser.add_argument("--sides", type=int, nargs="+", default=list(SIDES))
    args = parser.parse_args()
    if not (args.faces / "labels.csv").is_file():
        print(f"skipped: {args.faces} has no labels.csv")
        return 0
    radius = ScanConfig().pdq_max_distance
    analyser = load_analyser(("face-detect", "face-embed"), 0)
    groups = people(args.faces)
    with tempfile.TemporaryDirectory() as folder:
        refs = Path(folder)
        for label, photos in groups.items():
            (refs / label).mkdir()
            (refs / label / photos[0].name).write_bytes(photos[0].read_bytes())
        index, problems = index_reference_folder(refs, analyser)
    evidence = [(label, photo) for label, photos in groups.items() for photo in photos[1:]]
    sizes: list[str | int] = ["full", *args.sides]
    rows: dict[str | int, dict[str, list[float]]] = {s: defaultdict(list) for s in sizes}
    for label, photo in evidence:
        data = photo.read_bytes()
        original = decode_picture(data, max_side=analyser.decode_side)
        original_pdq, _ = pdq_hash(original)
        for size in sizes:
            small = data if size == "full" else thumbnail(data, int(size), args.shape)
            rgb = decode_picture(small, max_side=analyser.decode_side)
            distance = hamming(pdq_hash(rgb)[0], original_pdq)
            faces = [f for f in analyser.analyse(rgb).faces if f.embedding is not None]
            labels = {hit.label for f in faces for hit in index.search(np.asarray(f.embedding))}
            row = rows[size]
            row["pdq"].append(distance)
            row["pdq_match"].append(distance <= radius)
            row["face"].append(bool(faces))
            row["identity"].append(label in labels)
            row["wrong"].append(bool(labels - {label}))
    embedder = analyser.manifests["face-embed"]
    print(
        f"{len(evidence)} evidence photos of {len(groups)} people, one reference photo each"
        f" ({len(problems)} references without a face); models"
        f" {analyser.manifests['face-detect'].name} + {embedder.name}"
        f" ({analyser.embed_metric} threshold {analyser.embed_threshold}); PDQ radius {radius}"
    )
    print(
        f"| size | PDQ distance median (max) | PDQ match <= {radius} | face found"
        " | identity match | wrong person |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for size in sizes:
        row = rows[size]
        n = len(row["pdq"])

        def share(key: str, row: dict[str, list[float]] = row, n: int = n) -> str:
            return f"{sum(row[key]) / n:.0%} ({int(sum(row[key]))}/{n})"

        label = "original" if size == "full" else f"{size} px {args.shape}"
        print(
            f"| {label} | {statistics.median(row['pdq']):.0f} ({max(row['pdq']):.0f})"
            f" | {share('pdq_match')} | {share('face')} | {share('identity')} | {share('wrong')} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
