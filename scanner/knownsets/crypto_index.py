"""Exact lookup of MD5 / SHA-1 / SHA-256 digests in sorted arrays (memory-mapped on load).

A digest is split into a 64-bit big-endian prefix (`keys`, sorted) and the rest
(`tail`); `rows` gives the entry each digest belongs to. A lookup is a binary search on
the prefixes and a comparison of the tails; batches are fully vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Duplicates:
    """Digests seen again: `rows[i]` repeats the digest first seen at `first_rows[i]`."""

    rows: np.ndarray
    first_rows: np.ndarray
    digests: np.ndarray  # (K, B) uint8

    def __len__(self) -> int:
        return int(self.rows.shape[0])


def split(digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, B) uint8 digests to (keys uint64 [N], tail uint8 [N, B-8])."""
    keys = digests[:, :8].copy().view(">u8").ravel().astype(np.uint64)
    return keys, np.ascontiguousarray(digests[:, 8:])


def _tail_words(tail: np.ndarray) -> list[np.ndarray]:
    """The tail bytes as big-endian 64-bit words (zero-padded), most significant first."""
    width = -(-tail.shape[1] // 8) * 8
    padded = np.zeros((tail.shape[0], width), dtype=np.uint8)
    padded[:, : tail.shape[1]] = tail
    words = padded.view(">u8")
    return [words[:, i].astype(np.uint64) for i in range(words.shape[1])]


class CryptoIndex:
    """Sorted digests of one method, answering exact lookups."""

    def __init__(self, keys: np.ndarray, tail: np.ndarray, rows: np.ndarray) -> None:
        if not (keys.shape[0] == tail.shape[0] == rows.shape[0]):
            raise ValueError(
                f"index arrays differ in length: {keys.shape}, {tail.shape}, {rows.shape}"
            )
        self.keys, self.tail, self.rows = keys, tail, rows

    def __len__(self) -> int:
        return int(self.keys.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.tail.nbytes + self.rows.nbytes)

    @classmethod
    def build(cls, digests: np.ndarray, rows: np.ndarray) -> tuple[CryptoIndex, Duplicates]:
        """Sort and de-duplicate (the first row of a digest wins)."""
        keys, tail = split(digests)
        order = np.lexsort((rows, *reversed(_tail_words(tail)), keys))
        keys, tail, rows = keys[order], tail[order], rows[order]
        same = np.zeros(len(keys), dtype=bool)
        if len(keys) > 1:
            same[1:] = (keys[1:] == keys[:-1]) & (tail[1:] == tail[:-1]).all(axis=1)
        run_start = np.maximum.accumulate(np.where(same, 0, np.arange(len(keys))))
        dup = np.flatnonzero(same)
        prefix = keys[dup].astype(">u8").view(np.uint8).reshape(-1, 8)
        dupes = Duplicates(
            rows[dup].astype(np.int64),
            rows[run_start[dup]].astype(np.int64),
            np.concatenate([prefix, tail[dup]], axis=1),
        )
        keep = ~same
        return cls(keys[keep], np.ascontiguousarray(tail[keep]), rows[keep].astype(np.int32)), dupes

    def save(self, folder: Path, method: str) -> None:
        np.save(folder / f"{method}.keys.npy", self.keys)
        np.save(folder / f"{method}.tail.npy", self.tail)
        np.save(folder / f"{method}.rows.npy", self.rows)

    @classmethod
    def load(cls, folder: Path, method: str) -> CryptoIndex | None:
        path = folder / f"{method}.keys.npy"
        if not path.exists():
            return None
        return cls(
            np.load(path, mmap_mode="r"),
            np.load(folder / f"{method}.tail.npy", mmap_mode="r"),
            np.load(folder / f"{method}.rows.npy", mmap_mode="r"),
        )

    def lookup(self, digest: bytes) -> list[int]:
        """Rows holding this digest (at most one after de-duplication)."""
        key = int.from_bytes(digest[:8], "big")
        i = int(np.searchsorted(self.keys, np.uint64(key)))
        found = []
        rest = digest[8:]
        while i < len(self.keys) and int(self.keys[i]) == key:
            if self.tail[i].tobytes() == rest:
                found.append(int(self.rows[i]))
            i += 1
        return found

    def lookup_many(self, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query index, row) pairs for a (Q, B) uint8 batch of digests."""
        if len(self) == 0 or digests.shape[0] == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        keys, tail = split(digests)
        order = np.argsort(keys, kind="stable")  # sorted probes walk the index cache-friendly
        lo, hi = np.empty_like(order), np.empty_like(order)
        lo[order] = np.searchsorted(self.keys, keys[order], side="left")
        hi[order] = np.searchsorted(self.keys, keys[order], side="right")
        counts = hi - lo
        queries = np.repeat(np.arange(len(keys), dtype=np.int64), counts)
        positions = np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(
            int(counts.sum())
        )
        match = (self.tail[positions] == tail[queries]).all(axis=1)
        return queries[match], np.asarray(self.rows[positions[match]], dtype=np.int64)

    def digests(self) -> np.ndarray:
        """All stored digests, (N, B) uint8, in index order."""
        prefix = self.keys.astype(">u8").view(np.uint8).reshape(-1, 8)
        return np.concatenate([prefix, np.asarray(self.tail)], axis=1)
