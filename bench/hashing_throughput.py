"""Hashing throughput: one-pass MD5+SHA-1+SHA-256 (helper thread) against plain hashlib.

    python bench/hashing_throughput.py [--mb 512]

Hashes --mb megabytes of random bytes in 1 MiB chunks with `hash_chunks` (parallel and
serial) and with three sequential hashlib updates per chunk (the baseline), then times
`perceptual_hashes` (PDQ + pHash + dHash) on the real photos in ../shared/data/faces.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.hashing import hash_chunks, perceptual_hashes  # noqa: E402
from scanner.media.decode import decode_picture  # noqa: E402


def baseline(chunks: list[bytes]) -> None:
    digests = [hashlib.md5(), hashlib.sha1(), hashlib.sha256()]
    for chunk in chunks:
        for digest in digests:
            digest.update(chunk)


def timed(fn, *args) -> float:  # noqa: ANN001
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=512)
    args = parser.parse_args()
    chunks = [os.urandom(1 << 20) for _ in range(args.mb)]
    t_base = timed(baseline, chunks)
    t_par = timed(hash_chunks, chunks)
    t_ser = timed(lambda c: hash_chunks(c, parallel=False), chunks)
    print(
        f"crypto, {args.mb} MiB: hash_chunks {args.mb / t_par:.0f} MiB/s, serial {args.mb / t_ser:.0f} MiB/s, "
        f"hashlib baseline {args.mb / t_base:.0f} MiB/s; ratio {t_base / t_par:.2f}"
    )
    faces = sorted((ROOT.parent / "shared" / "data" / "faces").rglob("*.jpg"))
    if not faces:
        print("perceptual: skipped (../shared/data/faces absent)")
        return
    pictures = [decode_picture(p.read_bytes()) for p in faces]
    pixels = sum(p.shape[0] * p.shape[1] for p in pictures) / len(pictures)
    start = time.perf_counter()
    for picture in pictures:
        perceptual_hashes(picture)
    took = time.perf_counter() - start
    print(
        f"perceptual (PDQ+pHash+dHash): {len(pictures) / took:.1f} pictures/s on {len(pictures)} "
        f"real photos of {pixels / 1e6:.1f} Mpixel on average (decoded beforehand)"
    )


if __name__ == "__main__":
    main()
