"""`SetMatcher`: exact digest and PDQ near-duplicate matching against loaded sets."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scanner.hashing.perceptual import PDQ_MIN_QUALITY
from scanner.knownsets import store
from scanner.knownsets.crypto_index import CryptoIndex
from scanner.knownsets.model import SetInfo, SetMatch
from scanner.knownsets.pdq_index import PdqIndex

DEFAULT_PDQ_RADIUS = 31
CRYPTO = ("md5", "sha1", "sha256")


@dataclass
class LoadedSet:
    """One set's arrays (memory-mapped) and its entries database."""

    info: SetInfo
    folder: Path
    crypto: dict[str, CryptoIndex]
    pdq: PdqIndex | None
    pdq_rows: np.ndarray | None
    db: sqlite3.Connection

    @classmethod
    def open(cls, folder: Path) -> LoadedSet:
        crypto = {m: idx for m in CRYPTO if (idx := CryptoIndex.load(folder, m)) is not None}
        pdq, rows = None, None
        if (folder / "pdq.hash.npy").exists():
            raw = np.load(folder / "pdq.hash.npy")
            pdq = PdqIndex(raw.view(np.uint64).reshape(-1, 4))
            rows = np.load(folder / "pdq.rows.npy", mmap_mode="r")
        return cls(store.read_info(folder), folder, crypto, pdq, rows, store.connect(folder))

    def entry(self, row: int) -> tuple[str, str | None, str | None]:
        found = self.db.execute(
            "SELECT entry_id, category, label FROM entries WHERE row = ?", (row,)
        ).fetchone()
        return (found[0], found[1], found[2]) if found else (str(row), None, None)

    def match(self, method: str, row: int, distance: int) -> SetMatch:
        entry_id, category, label = self.entry(row)
        return SetMatch(
            set_name=self.info.name,
            set_kind=self.info.kind,
            method=method,
            distance=distance,
            category=category,
            label=label,
            entry_id=entry_id,
        )


class SetMatcher:
    """Matches hashes against every loaded set; results keep set order, then distance."""

    def __init__(self, loaded: Sequence[LoadedSet], pdq_radius: int = DEFAULT_PDQ_RADIUS) -> None:
        if not 0 <= pdq_radius <= 256:
            raise ValueError(f"PDQ radius must be within 0..256, got {pdq_radius}")
        self.loaded = list(loaded)
        self.sets: list[SetInfo] = [s.info for s in self.loaded]
        self.pdq_radius = pdq_radius

    def match_crypto(self, md5: str, sha1: str, sha256: str) -> list[SetMatch]:
        """Exact matches of a content's digests (hex, any case; '' skips one).

        One match per set entry, named by the strongest digest that found it
        (SHA-256, then SHA-1, then MD5).
        """
        given = (("sha256", sha256), ("sha1", sha1), ("md5", md5))
        digests = [(m, bytes.fromhex(h)) for m, h in given if h]
        found: list[SetMatch] = []
        for loaded in self.loaded:
            seen: set[int] = set()
            for method, digest in digests:
                index = loaded.crypto.get(method)
                for row in index.lookup(digest) if index is not None else ():
                    if row not in seen:
                        seen.add(row)
                        found.append(loaded.match(method, row, 0))
        return found

    def match_crypto_many(self, method: str, digests_hex: Sequence[str]) -> list[list[SetMatch]]:
        """Batch exact lookup of one digest type; one list of matches per query."""
        width = {"md5": 16, "sha1": 20, "sha256": 32}[method]
        raw = np.frombuffer(b"".join(bytes.fromhex(h) for h in digests_hex), dtype=np.uint8)
        queries = raw.reshape(-1, width)
        out: list[list[SetMatch]] = [[] for _ in digests_hex]
        for loaded in self.loaded:
            index = loaded.crypto.get(method)
            if index is None:
                continue
            q_ids, rows = index.lookup_many(queries)
            for q, row in zip(q_ids.tolist(), rows.tolist(), strict=True):
                out[q].append(loaded.match(method, row, 0))
        return out

    def match_pdq(self, pdq_hex: str, quality: int) -> list[SetMatch]:
        """PDQ near-duplicates within the radius; quality < 50 never matches."""
        return self.match_pdq_many([pdq_hex], [quality])[0]

    def match_pdq_many(
        self, pdq_hexes: Sequence[str], qualities: Sequence[int]
    ) -> list[list[SetMatch]]:
        """Batch PDQ matching (much faster per query than one at a time)."""
        if len(pdq_hexes) != len(qualities):
            raise ValueError(f"{len(pdq_hexes)} hashes but {len(qualities)} qualities")
        out: list[list[SetMatch]] = [[] for _ in pdq_hexes]
        usable = [i for i, q in enumerate(qualities) if q >= PDQ_MIN_QUALITY]
        if not usable:
            return out
        raw = b"".join(bytes.fromhex(pdq_hexes[i]) for i in usable)
        if len(raw) != 32 * len(usable):
            raise ValueError("every PDQ hash must be 64 hex digits")
        queries = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 32).copy().view(np.uint64)
        for loaded in self.loaded:
            if loaded.pdq is None or loaded.pdq_rows is None:
                continue
            hits = loaded.pdq.search(queries, self.pdq_radius)
            best: dict[tuple[int, int], int] = {}
            for q, r, d in zip(
                hits.query.tolist(), hits.row.tolist(), hits.distance.tolist(), strict=True
            ):
                key = (usable[q], int(loaded.pdq_rows[r]))
                best[key] = min(d, best.get(key, d))
            for (q, row), d in sorted(best.items(), key=lambda kv: (kv[0][0], kv[1], kv[0][1])):
                out[q].append(loaded.match("pdq", row, d))
        return out

    def close(self) -> None:
        for loaded in self.loaded:
            loaded.db.close()


def load_matcher(
    names: Sequence[str] | None = None,
    home: Path | None = None,
    pdq_radius: int = DEFAULT_PDQ_RADIUS,
) -> SetMatcher:
    """A matcher over the named sets, or over every imported set when names is None."""
    if names is None:
        folders = [store.sets_root(home) / info.name for info in store.list_sets(home)]
    else:
        folders = [store.set_dir(name, home) for name in names]
    return SetMatcher([LoadedSet.open(folder) for folder in folders], pdq_radius)
