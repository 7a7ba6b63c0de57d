"""PDQ near-duplicate search: dftriage's index against faiss IndexBinaryFlat, same run.

    python bench/knownsets_pdq.py [--n 1000000] [--queries 2000] [--batches 1,100,1000,2000]

Builds N random 256-bit hashes, makes queries of which half are planted copies with up
to 31 bits flipped, checks that both find exactly the same pairs within radius 31
(recall 100 %), and prints query rates, their ratio, and bytes per stored hash (the
arrays a stored set keeps on disk and in memory: hash + entry row).
faiss-cpu is needed for the baseline only (pip install faiss-cpu).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.knownsets.pdq_index import PdqIndex  # noqa: E402

RADIUS = 31


def make_data(n: int, q: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    queries = rng.integers(0, 256, (q, 32), dtype=np.uint8)
    for i in range(q // 2):
        bits = np.unpackbits(data[rng.integers(n)])
        flips = rng.choice(256, int(rng.integers(0, RADIUS + 1)), replace=False)
        bits[flips] ^= 1
        queries[i] = np.packbits(bits)
    return data, queries


def ours(index: PdqIndex, queries: np.ndarray, batch: int) -> tuple[float, set]:
    words = queries.view(np.uint64).reshape(-1, 4)
    pairs: set = set()
    start = time.perf_counter()
    for s in range(0, len(words), batch):
        hits = index.search(words[s : s + batch], RADIUS)
        pairs.update(zip((hits.query + s).tolist(), hits.row.tolist(), strict=True))
    return time.perf_counter() - start, pairs


def faiss_flat(data: np.ndarray, queries: np.ndarray, batch: int) -> tuple[float, set]:
    import faiss

    index = faiss.IndexBinaryFlat(256)
    index.add(data)
    pairs: set = set()
    start = time.perf_counter()
    for s in range(0, len(queries), batch):
        lims, _, ids = index.range_search(queries[s : s + batch], RADIUS + 1)  # faiss: d < radius
        for i in range(len(lims) - 1):
            pairs.update((s + i, int(r)) for r in ids[lims[i] : lims[i + 1]])
    return time.perf_counter() - start, pairs


def stored_bytes(data: np.ndarray) -> float:
    """Bytes per hash of the files a stored set keeps for PDQ (pdq.hash.npy + pdq.rows.npy)."""
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "pdq.hash.npy", data)
        np.save(Path(tmp) / "pdq.rows.npy", np.arange(len(data), dtype=np.int32))
        return sum(p.stat().st_size for p in Path(tmp).iterdir()) / len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--batches", default="1,100,1000,2000")
    args = parser.parse_args()
    data, queries = make_data(args.n, args.queries)
    index = PdqIndex(data.view(np.uint64).reshape(-1, 4))
    import faiss

    print(
        f"PDQ: {args.n:,} stored hashes, {args.queries:,} queries, radius {RADIUS}, "
        f"faiss {faiss.__version__} with {faiss.omp_get_max_threads()} threads"
    )
    print(
        f"bytes per stored hash: {stored_bytes(data):.1f} on disk, "
        f"{(index.nbytes + 4 * args.n) / args.n:.1f} in memory (hash + entry row)"
    )
    print(f"{'batch':>6} {'ours q/s':>10} {'faiss q/s':>10} {'ratio':>6}  recall")
    for batch in (int(b) for b in args.batches.split(",")):
        count = min(args.queries, max(batch, 20 if batch == 1 else batch))
        sub = queries[:count]
        t_ours, p_ours = ours(index, sub, batch)
        t_faiss, p_faiss = faiss_flat(data, sub, batch)
        recall = len(p_ours & p_faiss) / max(1, len(p_faiss))
        extra = len(p_ours - p_faiss)
        print(
            f"{batch:>6} {count / t_ours:>10.0f} {count / t_faiss:>10.0f} "
            f"{t_faiss / t_ours:>6.2f}  {recall:.3%} ({len(p_faiss)} pairs, {extra} extra)"
        )


if __name__ == "__main__":
    main()
