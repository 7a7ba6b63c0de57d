"""Exact digest lookups: dftriage's sorted-array index against a Python set, same run.

    python bench/knownsets_crypto.py [--n 10000000] [--queries 1000000] [--import-n 1000000]

Builds N random MD5 digests into the index a stored set uses (sorted prefixes + tails +
entry rows), looks up Q digests (half present) in one batch and one at a time, and
compares with a Python set of bytes built from the same digests. Also imports an
md5sum-style list of --import-n lines through `import_set` to time the whole import.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.knownsets import import_set, load_matcher  # noqa: E402
from scanner.knownsets.crypto_index import CryptoIndex  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_index(n: int, q: int) -> None:
    rng = np.random.default_rng(2)
    digests = rng.integers(0, 256, (n, 16), dtype=np.uint8)
    queries = rng.integers(0, 256, (q, 16), dtype=np.uint8)
    queries[: q // 2] = digests[rng.integers(0, n, q // 2)]
    start = time.perf_counter()
    index, _ = CryptoIndex.build(digests, np.arange(n, dtype=np.int32))
    print(
        f"MD5 index: {n:,} digests built in {time.perf_counter() - start:.1f} s, "
        f"{index.nbytes / n:.1f} bytes per digest"
    )
    start = time.perf_counter()
    found_q, _ = index.lookup_many(queries)
    t_batch = time.perf_counter() - start
    sample = [bytes(x) for x in queries[: min(q, 200_000)]]
    start = time.perf_counter()
    singles = sum(1 for d in sample if index.lookup(d))
    t_single = time.perf_counter() - start

    before = rss_mb()
    start = time.perf_counter()
    baseline = {bytes(x) for x in digests}
    t_set_build = time.perf_counter() - start
    set_mb = rss_mb() - before
    query_bytes = [bytes(x) for x in queries]
    start = time.perf_counter()
    hits = sum(1 for d in query_bytes if d in baseline)
    t_set = time.perf_counter() - start
    assert hits == len(np.unique(found_q)), (hits, len(found_q))
    assert singles == sum(1 for d in sample if d in baseline)
    print(f"  batch lookups:      {q / t_batch:>12,.0f} /s ({len(found_q):,} hits)")
    print(f"  one-at-a-time:      {len(sample) / t_single:>12,.0f} /s")
    print(
        f"  Python set (base):  {q / t_set:>12,.0f} /s, built in {t_set_build:.1f} s, "
        f"~{set_mb * 1e6 / n:.0f} bytes per digest (RSS growth)"
    )
    print(
        f"  ratio batch/set: {t_set / t_batch:.2f}   ratio one-at-a-time/set: {(len(sample) / t_single) / (q / t_set):.2f}"
    )


def bench_import(n: int) -> None:
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "list.md5"
        raw = rng.integers(0, 256, (n, 16), dtype=np.uint8)
        with open(source, "w") as out:
            for i, row in enumerate(raw):
                out.write(f"{row.tobytes().hex()}  file{i}.jpg\n")
        start = time.perf_counter()
        info, report = import_set(source, "bench", "known-bad", home=Path(tmp))
        took = time.perf_counter() - start
        start = time.perf_counter()
        matcher = load_matcher(home=Path(tmp))
        loaded = time.perf_counter() - start
        assert matcher.match_crypto(raw[7].tobytes().hex(), "", "")
        size = sum(p.stat().st_size for p in (Path(tmp) / "sets" / "bench").iterdir())
        print(
            f"import of {n:,} md5sum lines: {took:.1f} s ({n / took:,.0f} records/s), "
            f"{report.accepted:,} accepted; set loads in {loaded * 1000:.0f} ms; "
            f"{size / n:.0f} bytes per entry on disk (with entries table)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--import-n", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_index(args.n, args.queries)
    if args.import_n:
        bench_import(args.import_n)


if __name__ == "__main__":
    main()
