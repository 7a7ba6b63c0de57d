"""Scan throughput, duplicate cost and peak memory, as ratios measured in the same run.

    python bench/scan_throughput.py [--size-mib 3072] [--picture-share 0.5] [--pictures 100]

1. Builds an ext4 image (mke2fs -d, no mount) of about --size-mib: distinct chat-app
   pictures (1280 px) and phone photos (4000 px) for --picture-share of the bytes, the
   rest application data that is not media.
2. Times `md5sum IMAGE` and `dftriage scan IMAGE --no-models`, alternating, --rounds times,
   both cold (the image evicted from the page cache with posix_fadvise before each command,
   as after a fresh acquisition) and warm (the image read into the cache first); prints
   the best MB/s of each and the ratios (target >= 0.50). Best-of-N because other work on a
   shared machine only ever adds time.
3. Many small files: an ext4 image of --small-files application files of 100 B to 8 KiB
   (the caches and databases of a phone), timed like 2 (warm): per-file overhead.
4. With the default models: a folder of N distinct pictures vs the same pictures copied 10
   times: prints both wall times and the ratio (target <= 1.30: duplicates cost no model time).
5. Prints dftriage's peak RSS in each run (target < 1.5 GiB).
6. Prints the CPU time no scan can avoid (three digests and JPEG decoding of every
   picture, in one process) and the best warm ratio it allows on this many cores.
The package is byte-compiled first, as an installed one is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make_pictures(folder: Path, count: int, side: int, seed: int) -> list[Path]:
    """Distinct JPEGs of side x 3/4 side: smooth colour fields with sensor-like noise."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    height = side * 3 // 4
    paths = []
    for index in range(count):
        base = rng.integers(0, 255, (max(1, height // 64), max(1, side // 64), 3), dtype=np.uint8)
        smooth = np.asarray(Image.fromarray(base).resize((side, height), Image.BILINEAR), np.int16)
        noise = rng.integers(-6, 7, smooth.shape, dtype=np.int16)
        path = folder / f"IMG_{seed:02d}{index:05d}.jpg"
        Image.fromarray(np.clip(smooth + noise, 0, 255).astype(np.uint8)).save(path, quality=90)
        paths.append(path)
    return paths


def build_ext4(tree: Path, image: Path, size_mib: int) -> None:
    image.unlink(missing_ok=True)
    command = ["mke2fs", "-q", "-t", "ext4", "-d", str(tree), str(image), f"{size_mib}M"]
    subprocess.run(command, check=True)


def cache(image: Path, cold: bool) -> None:
    """Evict `image` from the page cache (no privilege needed), or read it all into it."""
    fd = os.open(image, os.O_RDONLY)
    try:
        if cold:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        else:
            while os.read(fd, 16 << 20):
                pass
    finally:
        os.close(fd)


def timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS in bytes of `command` (via GNU time)."""
    start = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1 = finished with per-item errors
        raise SystemExit(f"{command[0]} failed ({done.returncode}): {done.stderr[-500:]}")
    return seconds, int(done.stderr.strip().splitlines()[-1]) * 1024


def scan_command(evidence: Path, case: Path, *extra: str) -> list[str]:
    shutil.rmtree(case, ignore_errors=True)
    return [sys.executable, "-m", "scanner", "scan", str(evidence), "--case", str(case), *extra]


def build_tree(tree: Path, size_mib: int, picture_share: float) -> None:
    """A device-like tree: chat-app pictures (1280 px) and phone photos (4000 px) filling
    `picture_share` of the bytes, the rest application data (incompressible, not media)."""
    budget = size_mib * 2**20
    chat_dir = tree / "Android/media/org.telegram.messenger/Telegram Images"
    photo_dir = tree / "DCIM/Camera"
    chat = make_pictures(chat_dir, 1, 1280, seed=3)[0].stat().st_size
    photo = make_pictures(photo_dir, 1, 4000, seed=4)[0].stat().st_size
    sets = max(1, int(budget * picture_share) // (8 * chat + photo))
    make_pictures(chat_dir, sets * 8, 1280, seed=5)
    make_pictures(photo_dir, sets, 4000, seed=6)
    rng = np.random.default_rng(7)
    data = tree / "Android/data/com.example.app/files"
    data.mkdir(parents=True, exist_ok=True)
    for index in range(int(budget * (1 - picture_share)) // (8 << 20)):
        (data / f"blob{index:04d}.bin").write_bytes(rng.bytes(8 << 20))


def throughput(out: Path, size_mib: int, picture_share: float, rounds: int) -> None:
    tree = out / f"tree-{size_mib}-{picture_share}"
    if not tree.exists():
        build_tree(tree, size_mib, picture_share)
    image = out / "evidence.ext4"
    build_ext4(tree, image, int(size_mib * 1.1) + 64)
    size_mb = image.stat().st_size / 1e6
    pictures = sum(1 for _ in tree.rglob("*.jpg"))
    print(f"image {size_mb:.0f} MB: {pictures} pictures, {picture_share:.0%} of the bytes")
    md5_warm = 0.0
    for cold in (True, False):
        best: dict[str, float] = {}
        rss = 0
        for _ in range(rounds):
            cache(image, cold)
            md5_s, _ = timed(["md5sum", str(image)])
            cache(image, cold)
            scan_s, scan_rss = timed(scan_command(image, out / "case-nomodels", "--no-models"))
            best["md5"] = min(best.get("md5", md5_s), md5_s)
            best["scan"] = min(best.get("scan", scan_s), scan_s)
            rss = max(rss, scan_rss)
        label = "cold" if cold else "warm"
        print(f"{label}: md5sum {size_mb / best['md5']:7.1f} MB/s", end="; ")
        print(f"dftriage scan {size_mb / best['scan']:7.1f} MB/s (no models)", end="; ")
        print(
            f"ratio {best['md5'] / best['scan']:.2f} (target >= 0.50); peak RSS {rss / 2**20:.0f} MiB"
        )
        md5_warm = best["md5"]
    floor(tree, md5_warm)
    print(f"load average {os.getloadavg()[0]:.2f}")


def floor(tree: Path, md5_seconds: float, label: str = "warm") -> None:
    """The CPU time no scan of these pictures can avoid: the three digests of every
    picture and decoding its JPEG data at the scale the scan needs (one process, no
    overhead), spread perfectly over every core: the best ratio this machine allows."""
    from scanner.analyse.picture import DECODE_SIDE
    from scanner.hashing.crypto import hash_chunks
    from scanner.media.decode import decode_picture

    digests = decode = 0.0
    for path in tree.rglob("*.jpg"):
        data = path.read_bytes()
        started = time.process_time()
        hash_chunks([data], parallel=False)
        middle = time.process_time()
        decode_picture(data, max_side=DECODE_SIDE)
        digests, decode = digests + middle - started, decode + time.process_time() - middle
    cores = os.cpu_count() or 1
    best = (digests + decode) / cores
    print(
        f"unavoidable CPU: digests {digests:.1f} s + JPEG decoding {decode:.1f} s; on {cores} "
        f"cores at best {best:.1f} s, a {label} ratio of at most {md5_seconds / best:.2f}"
    )


def small_files(out: Path, count: int, rounds: int) -> None:
    tree = out / f"small-{count}"
    if not tree.exists():
        rng = np.random.default_rng(11)
        for index in range(count):
            folder = tree / f"app{index // 200:04d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"cache{index:06d}.dat").write_bytes(rng.bytes(int(rng.integers(100, 8192))))
    image = out / "small.ext4"
    build_ext4(tree, image, 64 + count * 12 // 1024)
    md5_s = scan_s = float("inf")
    for _ in range(rounds):
        cache(image, cold=False)
        md5_s = min(md5_s, timed(["md5sum", str(image)])[0])
        scan_s = min(scan_s, timed(scan_command(image, out / "case-small", "--no-models"))[0])
    print(
        f"{count} small files: md5sum {md5_s:.2f} s, dftriage scan {scan_s:.2f} s "
        f"({scan_s / count * 1e6:.0f} us per file)"
    )


def duplicates(out: Path, count: int) -> None:
    unique = out / "unique"
    shutil.rmtree(unique, ignore_errors=True)
    pictures = make_pictures(unique / "p", count, 1600, seed=2)
    copies = out / "copies"
    shutil.rmtree(copies, ignore_errors=True)
    for copy in range(10):
        target = copies / f"copy{copy}"
        target.mkdir(parents=True)
        for path in pictures:
            shutil.copy(path, target / path.name)
    one_s, one_rss = timed(scan_command(unique, out / "case-unique"))
    ten_s, ten_rss = timed(scan_command(copies, out / "case-copies"))
    print(f"models: {count} distinct pictures {one_s:.1f} s; each copied 10 times {ten_s:.1f} s")
    print(
        f"ratio duplicates/unique {ten_s / one_s:.2f}  (target <= 1.30), peak RSS {max(one_rss, ten_rss) / 2**20:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=3072)  # the issue: multi-GiB
    parser.add_argument(
        "--picture-share", type=float, default=0.5, help="share of the bytes in pictures"
    )
    parser.add_argument(
        "--pictures", type=int, default=100, help="distinct pictures for the model run"
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternations; the best counts")
    parser.add_argument(
        "--small-files", type=int, default=20000, help="files in the small-file image"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out/scan"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # compiled modules, as an installed package has them (pip compiles on install); with
    # PYTHONDONTWRITEBYTECODE set every run would otherwise compile the whole package again
    package = Path(__file__).resolve().parents[1] / "scanner"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    throughput(args.out, args.size_mib, args.picture_share, args.rounds)
    small_files(args.out, args.small_files, args.rounds)
    duplicates(args.out, args.pictures)


if __name__ == "__main__":
    main()
