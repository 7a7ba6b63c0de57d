"""Scan time on a local Dask cluster of 1 and 2 workers against the process pool, and the
per-task overhead of each, measured in the same run on the same evidence.

    python bench/scan_cluster.py [--pictures 800] [--small-files 2000] [--rounds 3]

1. Builds an ext4 image (mke2fs -d): --pictures distinct 1280-px JPEGs and --small-files
   application files (100 B to 8 KiB), read into the page cache.
2. Times `dftriage scan IMAGE --no-models` with the pool (--workers 2), `--cluster local:1`
   and `--cluster local:2`, alternating, --rounds times; prints the best wall time of each,
   and the best time of its stages (the scan's own timing events: files, analyse, report,
   which leaves out starting Python, the pool or the cluster), and the ratios to the pool
   (target for local:2: <= 1.10).
3. Per-task overhead: 2,000 trivial tasks, 8 in flight, on a 2-process pool and on the
   Dask executor of a 2-worker local cluster; prints microseconds per task.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's scanner
from scan_throughput import build_ext4, make_pictures  # noqa: E402

VARIANTS = {
    "pool (2 processes)": ["--workers", "2"],
    "dask local:1": ["--cluster", "local:1"],
    "dask local:2": ["--cluster", "local:2"],
}
STAGES = ("files of ", "analyse", "match and triage", "report")


def build_evidence(folder: Path, pictures: int, small: int) -> Path:
    tree = folder / "tree"
    make_pictures(tree / "DCIM", pictures, 1280, 3)
    data = tree / "data"
    data.mkdir()
    rng = random.Random(5)
    for index in range(small):
        (data / f"f{index:05}.bin").write_bytes(os.urandom(rng.randint(100, 8192)))
    size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    image = folder / "evidence.img"
    build_ext4(tree, image, max(64, int(size * 1.3) >> 20))
    shutil.rmtree(tree)
    with open(image, "rb") as handle:  # warm: the cluster's overhead, not the disk, is timed
        while handle.read(8 << 20):
            pass
    return image


def timed_scan(image: Path, case: Path, extra: list[str]) -> tuple[float, float]:
    """Wall seconds of one scan, and seconds of its stages (from its timing events)."""
    shutil.rmtree(case, ignore_errors=True)
    command = [sys.executable, "-m", "scanner", "scan", str(image), "--case", str(case)]
    started = time.monotonic()
    done = subprocess.run(
        [*command, "--no-models", "--json", *extra], capture_output=True, text=True, check=False
    )
    wall = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"scan failed: {done.stderr[-2000:]}")
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    stages = sum(
        e["seconds"] for e in events if e.get("event") == "timing" and e["stage"].startswith(STAGES)
    )
    return wall, stages


def per_task_us(executor: Executor, tasks: int = 2000, in_flight: int = 8) -> float:
    """Microseconds per trivial task through `executor`, `in_flight` at a time (WorkPool's
    pattern: submit, wait for the first done, submit again)."""
    for future in [executor.submit(len, (1,)) for _ in range(in_flight)]:
        future.result()  # warm up
    pending: set = set()
    started = time.perf_counter()
    for _ in range(tasks):
        if len(pending) >= in_flight:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()
        pending.add(executor.submit(len, (1,)))
    wait(pending)
    return (time.perf_counter() - started) / tasks * 1e6


def overheads() -> dict[str, float]:
    from scanner.evidence.containers import ContainerOptions
    from scanner.pipeline.cluster import ClusterSpec, cluster_executor

    with ProcessPoolExecutor(2) as pool:
        found = {"pool (2 processes)": per_task_us(pool)}
    with cluster_executor(ClusterSpec("local:2"), ContainerOptions()) as (executor, _):
        found["dask local:2"] = per_task_us(executor)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=800)
    parser.add_argument("--small-files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.pictures} pictures, {args.small_files} small files")
    with tempfile.TemporaryDirectory(prefix="dftriage-bench-") as temp:
        folder = Path(temp)
        image = build_evidence(folder, args.pictures, args.small_files)
        print(f"image {image.stat().st_size / 1e6:.0f} MB")
        best: dict[str, tuple[float, float]] = {}
        for round_ in range(args.rounds):
            for name, extra in VARIANTS.items():
                wall, stages = timed_scan(image, folder / "case", extra)
                print(f"  round {round_ + 1} {name:20} {wall:6.2f} s (stages {stages:6.2f} s)")
                old = best.get(name, (float("inf"), float("inf")))
                best[name] = (min(old[0], wall), min(old[1], stages))
    pool_wall, pool_stages = best["pool (2 processes)"]
    print("best of rounds:")
    for name, (wall, stages) in best.items():
        print(
            f"  {name:20} wall {wall:6.2f} s ({wall / pool_wall:4.2f}x pool)"
            f"  stages {stages:6.2f} s ({stages / pool_stages:4.2f}x pool)"
        )
    print("per-task overhead (2,000 trivial tasks, 8 in flight):")
    for name, micro in overheads().items():
        print(f"  {name:20} {micro:8.0f} µs a task")


if __name__ == "__main__":
    main()
