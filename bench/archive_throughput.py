"""Scan rate of phone-like extraction archives against md5sum over the same file, cold.

    python bench/archive_throughput.py [--size-mib 2048] [--picture-share 0.5] [--rounds 2]
                                       [--seed 31] [--formats zip,tar,ext4]

Builds a device-like tree (chat pictures, camera photos and application data, as
bench/scan_throughput.py does, with --seed deciding member order and which members are
deflated), stores it as a zip (Python's zipfile: pictures stored, other members deflated
at level 1 or stored by seed), as a tar (tarfile) and, for comparison, as an ext4 image
(mke2fs -d), then times `md5sum FILE` and `dftriage scan FILE --no-models` (the image
also `--no-carve`: the same work as the archives), alternating, each with the file
evicted from the page cache first (posix_fadvise), and prints the best MB/s of each and
their ratio (target >= 0.50). Peak RSS of the scan is printed too, and the CPU time no
scan of these pictures can avoid (their digests and decoding): the best ratio the cores
of this machine allow. The package is byte-compiled first, as an installed one is.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from scan_throughput import build_ext4, build_tree, cache, floor, scan_command, timed

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # the floor imports this checkout's scanner
    sys.path.insert(0, str(REPO))


def members(tree: Path, seed: int) -> list[Path]:
    files = sorted(p for p in tree.rglob("*") if p.is_file())
    random.Random(seed).shuffle(files)
    return files


def write_zip(tree: Path, archive: Path, seed: int) -> None:
    rng = random.Random(seed)
    with zipfile.ZipFile(archive, "w", allowZip64=True) as out:
        for path in members(tree, seed):
            deflate = path.suffix != ".jpg" and rng.random() < 0.5
            method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            out.write(path, path.relative_to(tree).as_posix(), method, compresslevel=1)


def write_tar(tree: Path, archive: Path, seed: int) -> None:
    with tarfile.open(archive, "w") as out:
        for path in members(tree, seed):
            out.add(path, path.relative_to(tree).as_posix())


def write_ext4(tree: Path, image: Path, seed: int) -> None:
    size_mib = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file()) >> 20
    build_ext4(tree, image, int(size_mib * 1.1) + 64)


WRITERS = {"zip": write_zip, "tar": write_tar, "ext4": write_ext4}


def measure(archive: Path, case: Path, rounds: int, *extra: str) -> float:
    """Prints the best cold rates of md5sum and of the scan; returns md5sum's best seconds."""
    size_mb = archive.stat().st_size / 1e6
    best_md5 = best_scan = float("inf")
    rss = 0
    for _ in range(rounds):
        cache(archive, cold=True)
        best_md5 = min(best_md5, timed(["md5sum", str(archive)])[0])
        cache(archive, cold=True)
        seconds, peak = timed(scan_command(archive, case, "--no-models", *extra))
        best_scan, rss = min(best_scan, seconds), max(rss, peak)
    print(
        f"{archive.name} {size_mb:.0f} MB cold: md5sum {size_mb / best_md5:.1f} MB/s; "
        f"dftriage scan {size_mb / best_scan:.1f} MB/s; ratio {best_md5 / best_scan:.2f} "
        f"(target >= 0.50); peak RSS {rss / 2**20:.0f} MiB"
    )
    return best_md5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--picture-share", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=31)
    parser.add_argument("--formats", default="zip,tar,ext4", help="of zip, tar, ext4")
    parser.add_argument("--out", type=Path, default=Path("/tmp/dftriage-bench-archives"))
    args = parser.parse_args()
    # compiled modules, as an installed package has them (see bench/scan_throughput.py)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "scanner")], check=True)
    tree = args.out / f"tree-{args.size_mib}-{args.picture_share}"
    if not tree.exists():
        build_tree(tree, args.size_mib, args.picture_share)
    md5_seconds: list[float] = []
    for kind in args.formats.split(","):
        archive = args.out / f"phone.{kind}"
        WRITERS[kind](tree, archive, args.seed)
        extra = ("--no-carve",) if kind == "ext4" else ()
        md5_seconds.append(measure(archive, args.out / "case", args.rounds, *extra))
        archive.unlink()
    print(f"load average {os.getloadavg()[0]:.2f}")
    floor(tree, min(md5_seconds), "cold")


if __name__ == "__main__":
    main()
