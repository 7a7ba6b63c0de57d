"""Scan rate of phone-like extraction archives against md5sum over the same file, cold.

    python bench/archive_throughput.py [--size-mib 2048] [--picture-share 0.5] [--rounds 2]
                                       [--seed 31]

Builds a device-like tree (chat pictures, camera photos and application data, as
bench/scan_throughput.py does, with --seed deciding member order and which members are
deflated), stores it as a zip (Python's zipfile: pictures stored, other members deflated
at level 1 or stored by seed) and as a tar (tarfile), then times `md5sum ARCHIVE` and
`dftriage scan ARCHIVE --no-models`, alternating, each with the archive evicted from the
page cache first (posix_fadvise), and prints the best MB/s of each and their ratio
(target >= 0.50). Peak RSS of the scan is printed too.
"""

from __future__ import annotations

import argparse
import os
import random
import tarfile
import zipfile
from pathlib import Path

from scan_throughput import build_tree, cache, scan_command, timed


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


def measure(archive: Path, case: Path, rounds: int) -> None:
    size_mb = archive.stat().st_size / 1e6
    best_md5 = best_scan = float("inf")
    rss = 0
    for _ in range(rounds):
        cache(archive, cold=True)
        best_md5 = min(best_md5, timed(["md5sum", str(archive)])[0])
        cache(archive, cold=True)
        seconds, peak = timed(scan_command(archive, case, "--no-models"))
        best_scan, rss = min(best_scan, seconds), max(rss, peak)
    print(
        f"{archive.name} {size_mb:.0f} MB cold: md5sum {size_mb / best_md5:.1f} MB/s; "
        f"dftriage scan {size_mb / best_scan:.1f} MB/s; ratio {best_md5 / best_scan:.2f} "
        f"(target >= 0.50); peak RSS {rss / 2**20:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--picture-share", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=31)
    parser.add_argument("--out", type=Path, default=Path("/tmp/dftriage-bench-archives"))
    args = parser.parse_args()
    tree = args.out / f"tree-{args.size_mib}-{args.picture_share}"
    if not tree.exists():
        build_tree(tree, args.size_mib, args.picture_share)
    for name, write in (("phone.zip", write_zip), ("phone.tar", write_tar)):
        archive = args.out / name
        write(tree, archive, args.seed)
        measure(archive, args.out / "case", args.rounds)
        archive.unlink()
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
