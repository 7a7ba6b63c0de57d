"""Exact PDQ near-duplicate search: every stored hash within a Hamming radius of a query.

The index keeps nothing but the hashes (32 bytes each), stored column by column as
sixteen 16-bit chunks so each chunk can be scanned sequentially. A query
batch is answered by multi-index hashing turned inside out: the 256 bits are cut into
16 chunks of 16 bits, and by the pigeonhole principle any hash within distance r of a
query agrees with it on at least one chunk up to ``r // 16`` bits. For each chunk the
stored column is scanned once per *batch* against a 65,536-entry table of the keys the
batch wants, candidates are verified on all 256 bits, and the result is exact (100 %
recall) for any radius. Above radius 47 the probe sets grow too large and a plain
exhaustive scan is used instead; it is exact as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

CHUNKS = 16
CHUNK_BITS = 16
MAX_BATCH = 2048
_MAX_CHUNK_RADIUS = 2


@dataclass(frozen=True)
class PdqHits:
    """Pairs found by a batch search: query index, stored row and Hamming distance."""

    query: np.ndarray  # int64 [K]
    row: np.ndarray  # int64 [K]
    distance: np.ndarray  # int64 [K]


def hex_to_words(hex_hashes: Sequence[str]) -> np.ndarray:
    """64-digit hex strings to a (N, 4) uint64 array (raises ValueError on bad hex)."""
    raw = b"".join(bytes.fromhex(h) for h in hex_hashes)
    if len(raw) != 32 * len(hex_hashes):
        raise ValueError("every PDQ hash must be 64 hex digits")
    return bytes_to_words(raw)


def bytes_to_words(raw: bytes | np.ndarray) -> np.ndarray:
    """Concatenated 32-byte hashes to a (N, 4) uint64 array (a copy, C-contiguous)."""
    buf = np.frombuffer(raw, dtype=np.uint8) if isinstance(raw, bytes) else raw
    return np.ascontiguousarray(buf.reshape(-1, 32)).view(np.uint64).reshape(-1, 4).copy()


def _probe_masks(radius: int) -> np.ndarray:
    """All 16-bit masks with at most `radius` bits set (0 first)."""
    masks = [0]
    for k in range(1, radius + 1):
        for bits in combinations(range(CHUNK_BITS), k):
            masks.append(sum(1 << b for b in bits))
    return np.array(masks, dtype=np.uint16)


_POPCOUNT16 = np.bitwise_count(np.arange(1 << CHUNK_BITS, dtype=np.uint16)).astype(np.uint8)
_EARLY_EXIT = (3, 5, 7)  # after 64, 96 and 128 bits, drop candidates already too far


def _chunks(words: np.ndarray) -> np.ndarray:
    """(N, 4) uint64 hashes as (N, 16) uint16 chunks (a view, no copy)."""
    return np.ascontiguousarray(words).view(np.uint16).reshape(-1, CHUNKS)


class PdqIndex:
    """An immutable set of PDQ hashes answering exact radius queries in batches."""

    def __init__(self, words: np.ndarray) -> None:
        if words.ndim != 2 or words.shape[1] != 4 or words.dtype != np.uint64:
            raise ValueError(
                f"expected uint64 array of shape (N, 4), got {words.dtype} {words.shape}"
            )
        self.columns = np.ascontiguousarray(_chunks(words).T)  # (16, N) uint16

    def __len__(self) -> int:
        return int(self.columns.shape[1])

    @property
    def nbytes(self) -> int:
        return int(self.columns.nbytes)

    def search(self, queries: np.ndarray, radius: int) -> PdqHits:
        """All (query, row, distance) with distance <= radius; queries is (Q, 4) uint64."""
        if queries.ndim != 2 or queries.shape[1] != 4:
            raise ValueError(f"expected queries of shape (Q, 4), got {queries.shape}")
        if not 0 <= radius <= 256:
            raise ValueError(f"radius must be within 0..256, got {radius}")
        parts = []
        for start in range(0, queries.shape[0], MAX_BATCH):
            batch = _chunks(np.asarray(queries[start : start + MAX_BATCH], dtype=np.uint64))
            hits = self._search_batch(batch, radius)
            parts.append(PdqHits(hits.query + start, hits.row, hits.distance))
        return _concat(parts)

    def _search_batch(self, queries: np.ndarray, radius: int) -> PdqHits:
        if len(self) == 0 or queries.shape[0] == 0:
            return _empty()
        chunk_radius = radius // CHUNKS
        if chunk_radius > _MAX_CHUNK_RADIUS or queries.shape[0] * len(self) < 65536:
            return self._scan(queries, radius)
        masks = _probe_masks(chunk_radius)
        found = []
        for t in range(CHUNKS):
            q_ids, rows = self._chunk_candidates(queries, t, masks)
            found.append(self._verify(queries, q_ids, rows, radius))
        return _dedupe(_concat(found))

    def _chunk_candidates(
        self, queries: np.ndarray, t: int, masks: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(query, row) pairs whose chunk t differs in at most the masks' bits."""
        probes = (queries[:, t][:, None] ^ masks[None, :]).ravel()
        owners = np.repeat(np.arange(queries.shape[0], dtype=np.int64), masks.size)
        order = np.argsort(probes, kind="stable")
        probes, owners = probes[order], owners[order]
        wanted = np.zeros(1 << CHUNK_BITS, dtype=bool)
        wanted[probes] = True
        column = self.columns[t]
        rows = np.flatnonzero(wanted[column])
        keys = column[rows]
        lo = np.searchsorted(probes, keys, side="left")
        hi = np.searchsorted(probes, keys, side="right")
        counts = hi - lo
        total = int(counts.sum())
        row_ids = np.repeat(rows, counts)
        firsts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
        return owners[firsts + np.arange(total)], row_ids

    def _verify(
        self, queries: np.ndarray, q_ids: np.ndarray, rows: np.ndarray, radius: int
    ) -> PdqHits:
        """Exact distances, chunk by chunk, dropping pairs as soon as they are too far."""
        dist = np.zeros(rows.size, dtype=np.int64)
        for c in range(CHUNKS):
            dist += _POPCOUNT16[self.columns[c][rows] ^ queries[q_ids, c]]
            if c in _EARLY_EXIT:
                keep = dist <= radius
                q_ids, rows, dist = q_ids[keep], rows[keep], dist[keep]
        keep = dist <= radius
        return PdqHits(q_ids[keep], rows[keep].astype(np.int64), dist[keep])

    def _scan(self, queries: np.ndarray, radius: int) -> PdqHits:
        """Exhaustive scan, in blocks of rows to bound memory."""
        parts = []
        block = max(1, (1 << 20) // max(1, queries.shape[0]))
        for start in range(0, len(self), block):
            part = self.columns[:, start : start + block]
            dist = np.zeros((queries.shape[0], part.shape[1]), dtype=np.int64)
            for c in range(CHUNKS):
                dist += _POPCOUNT16[part[c][None, :] ^ queries[:, c][:, None]]
            q_ids, rows = np.nonzero(dist <= radius)
            parts.append(PdqHits(q_ids.astype(np.int64), rows + start, dist[q_ids, rows]))
        return _concat(parts)


def _empty() -> PdqHits:
    none = np.zeros(0, dtype=np.int64)
    return PdqHits(none, none, none)


def _concat(parts: list[PdqHits]) -> PdqHits:
    if not parts:
        return _empty()
    return PdqHits(
        np.concatenate([p.query for p in parts]).astype(np.int64),
        np.concatenate([p.row for p in parts]).astype(np.int64),
        np.concatenate([p.distance for p in parts]).astype(np.int64),
    )


def _dedupe(hits: PdqHits) -> PdqHits:
    """One hit per (query, row), sorted by query then distance then row."""
    if hits.query.size == 0:
        return hits
    order = np.lexsort((hits.row, hits.distance, hits.query))
    q, r, d = hits.query[order], hits.row[order], hits.distance[order]
    key = np.stack([q, r], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    first.sort()
    return PdqHits(q[first], r[first], d[first])
