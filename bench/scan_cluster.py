"""Scan time on a local Dask cluster of 1 and 2 workers against the process pool, and the
per-task overhead of each, measured in the same run on the same evidence.

    python bench/scan_cluster.py [--pictures 800] [--small-files 2000] [--rounds 3]
                                 [--compare OTHER_CHECKOUT]

1. Builds an ext4 image (mke2fs -d): --pictures distinct 1280-px JPEGs and --small-files
   application files (100 B to 8 KiB), read into the page cache. The package is
   byte-compiled first, as an installed one is.
2. Times `dftriage scan IMAGE --no-models` with the pool (--workers 2), `--cluster local:1`
   and `--cluster local:2`, alternating, --rounds times; prints the best wall time of each,
   the best time of its stages (the scan's own timing events: files, analyse, report,
   which leaves out starting Python, the pool or the cluster) and the least CPU time of
   its processes (the scan and every process under it: what the overhead costs whatever
   else runs on the machine), and the ratios to the pool (target for local:2: <= 1.10).
   With --compare, the cluster variants of another checkout (older code, its C extension
   built) run in the same rounds.
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
HERE = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
POLL_SECONDS = 0.1


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


def timed_scan(image: Path, case: Path, extra: list[str], checkout: Path) -> tuple[float, ...]:
    """Wall seconds of one scan of `checkout`'s scanner, seconds of its stages (from its
    timing events), and CPU seconds of its process tree."""
    shutil.rmtree(case, ignore_errors=True)
    command = [sys.executable, "-m", "scanner", "scan", str(image), "--case", str(case)]
    env = dict(os.environ, PYTHONPATH=str(checkout))
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [*command, "--no-models", "--json", *extra],
            stdout=out,
            stderr=err,
            cwd=checkout,
            env=env,
        )
        cpu: dict[int, float] = {}
        while process.poll() is None:
            cpu.update(_tree_cpu(process.pid))
            time.sleep(POLL_SECONDS)
        wall = time.monotonic() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode not in (0, 1):
        raise SystemExit(f"scan failed: {stderr[-2000:]}")
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    stages = sum(
        e["seconds"] for e in events if e.get("event") == "timing" and e["stage"].startswith(STAGES)
    )
    return wall, stages, sum(cpu.values())


def _tree_cpu(root: int) -> dict[int, float]:
    """User and system CPU seconds of `root` and every process under it, so far (a process
    that ends between two polls loses at most POLL_SECONDS of its time)."""
    found, pending = {}, [root]
    while pending:
        pid = pending.pop()
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            for thread in os.listdir(f"/proc/{pid}/task"):
                children = Path(f"/proc/{pid}/task/{thread}/children").read_text().split()
                pending.extend(int(child) for child in children)
        except OSError:  # ended meanwhile
            continue
        fields = stat.rpartition(")")[2].split()
        found[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
    return found


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


def variants(compare: Path | None) -> dict[str, tuple[list[str], Path]]:
    """Name -> (scan options, checkout) of every variant timed."""
    found = {name: (extra, HERE) for name, extra in VARIANTS.items()}
    if compare is not None:
        for name, extra in VARIANTS.items():
            if "--cluster" in extra:
                found[f"{name} ({compare.name})"] = (extra, compare)
    for checkout in {checkout for _, checkout in found.values()}:
        # compiled modules, as an installed package has them (see bench/scan_throughput.py)
        package = str(checkout / "scanner")
        subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=800)
    parser.add_argument("--small-files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another checkout, timed in the same rounds")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.pictures} pictures, {args.small_files} small files")
    timed = variants(args.compare.resolve() if args.compare else None)
    with tempfile.TemporaryDirectory(prefix="dftriage-bench-") as temp:
        folder = Path(temp)
        image = build_evidence(folder, args.pictures, args.small_files)
        print(f"image {image.stat().st_size / 1e6:.0f} MB")
        best: dict[str, tuple[float, ...]] = {}
        for round_ in range(args.rounds):
            for name, (extra, checkout) in timed.items():
                found = timed_scan(image, folder / "case", extra, checkout)
                wall, stages, cpu = found
                print(
                    f"  round {round_ + 1} {name:28} {wall:6.2f} s (stages {stages:6.2f} s,"
                    f" CPU {cpu:6.2f} s; load {os.getloadavg()[0]:.1f})"
                )
                best[name] = tuple(map(min, zip(best.get(name, found), found, strict=True)))
    pool = best["pool (2 processes)"]
    print("best of rounds (wall, stages, CPU; the ratios to the pool's):")
    for name, (wall, stages, cpu) in best.items():
        print(
            f"  {name:28} wall {wall:6.2f} s ({wall / pool[0]:4.2f}x)"
            f"  stages {stages:6.2f} s ({stages / pool[1]:4.2f}x)"
            f"  CPU {cpu:6.2f} s ({cpu / pool[2]:4.2f}x)"
        )
    print("per-task overhead (2,000 trivial tasks, 8 in flight):")
    for name, micro in overheads().items():
        print(f"  {name:20} {micro:8.0f} µs a task")


if __name__ == "__main__":
    main()
