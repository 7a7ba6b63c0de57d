"""Scan throughput, duplicate cost and peak memory, as ratios measured in the same run.

    python bench/scan_throughput.py [--size-mib 2048] [--out bench/out]

1. Builds an ext4 image (mke2fs -d, no mount) of about --size-mib filled with distinct JPEGs.
2. Times `md5sum IMAGE` (cold-ish: the page cache is dropped when possible) and
   `dftriage scan IMAGE --no-models`: prints MB/s of both and the ratio (target >= 0.5).
3. With models: a folder of N distinct pictures vs the same pictures copied 10 times:
   prints both wall times and the ratio (target <= 1.3: duplicates cost no model time).
4. Prints dftriage's peak RSS in each run (target < 1.5 GiB).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make_pictures(folder: Path, count: int, side: int, seed: int) -> list[Path]:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        base = rng.integers(0, 255, (side // 8, side // 8, 3), dtype=np.uint8)
        picture = Image.fromarray(base).resize((side, side), Image.BILINEAR)
        path = folder / f"DSC{index:06d}.jpg"
        picture.save(path, quality=90)
        paths.append(path)
    return paths


def build_ext4(tree: Path, image: Path, size_mib: int) -> None:
    image.unlink(missing_ok=True)
    subprocess.run(
        ["mke2fs", "-q", "-t", "ext4", "-d", str(tree), str(image), f"{size_mib}M"], check=True
    )


def drop_caches() -> None:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        pass


def timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL)
    if done.returncode not in (0, 1):  # 1 = finished with per-item errors
        raise SystemExit(f"{command[0]} failed with exit code {done.returncode}")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) * 1024


def scan_command(evidence: Path, case: Path, *extra: str) -> list[str]:
    shutil.rmtree(case, ignore_errors=True)
    return [sys.executable, "-m", "scanner", "scan", str(evidence), "--case", str(case), *extra]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument(
        "--pictures", type=int, default=200, help="distinct pictures for the model run"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out/scan"))
    args = parser.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    tree = out / "tree"
    if not tree.exists():
        count = max(1, args.size_mib * 1024 // 160)  # ~150 KiB per 512-px JPEG
        make_pictures(tree / "DCIM" / "Camera", count, 512, seed=1)
    image = out / "evidence.ext4"
    build_ext4(tree, image, int(args.size_mib * 1.15) + 16)
    size_mb = image.stat().st_size / 1e6

    drop_caches()
    md5_s, _ = timed(["md5sum", str(image)])
    drop_caches()
    scan_s, scan_rss = timed(scan_command(image, out / "case-nomodels", "--no-models"))
    print(f"image {size_mb:.0f} MB, {sum(1 for _ in tree.rglob('*.jpg'))} pictures")
    print(f"md5sum           {size_mb / md5_s:8.1f} MB/s")
    print(
        f"dftriage scan    {size_mb / scan_s:8.1f} MB/s (no models)  peak RSS {scan_rss / 2**20:.0f} MiB"
    )
    print(f"ratio scan/md5sum {md5_s / scan_s:.2f}  (target >= 0.50)")

    unique = out / "unique"
    shutil.rmtree(unique, ignore_errors=True)
    pictures = make_pictures(unique / "p", args.pictures, 1024, seed=2)
    copies = out / "copies"
    shutil.rmtree(copies, ignore_errors=True)
    for copy in range(10):
        target = copies / f"copy{copy}"
        target.mkdir(parents=True)
        for path in pictures:
            shutil.copy(path, target / path.name)
    one_s, one_rss = timed(scan_command(unique, out / "case-unique"))
    ten_s, ten_rss = timed(scan_command(copies, out / "case-copies"))
    print(
        f"models, {args.pictures} distinct pictures: {one_s:.1f} s; every picture 10 times: {ten_s:.1f} s"
    )
    print(
        f"ratio duplicates/unique {ten_s / one_s:.2f}  (target <= 1.30)  peak RSS {max(one_rss, ten_rss) / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
