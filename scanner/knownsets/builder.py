"""Compiling records into a stored set: entries table, sorted digest arrays, PDQ arrays."""

from __future__ import annotations

import shutil
import sqlite3
from array import array
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from scanner.knownsets import store
from scanner.knownsets.crypto_index import CryptoIndex, Duplicates
from scanner.knownsets.model import HASH_BYTES, ImportReport, Record, SetInfo

_BATCH = 20000
CRYPTO = ("md5", "sha1", "sha256")


class SetBuilder:
    """Collects records for one set; `finish` writes it, `abort` throws it away."""

    def __init__(
        self, name: str, kind: str, home: Path | None = None, replace: bool = False
    ) -> None:
        self.name, self.kind, self.home = name, kind, home
        self.folder = store.new_build_dir(name, home, replace)
        self.db = store.connect(self.folder, writable=True)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + store.SCHEMA)
        self.digests = {m: bytearray() for m in HASH_BYTES}
        self.rows = {m: array("i") for m in HASH_BYTES}
        self.ncrypto = array("b")
        self.pending: list[tuple[object, ...]] = []
        self.count = 0

    def add(self, record: Record) -> int:
        """Store one record; returns its entry row."""
        row = self.count
        self.count += 1
        for method, digest in record.hashes():
            self.digests[method] += digest
            self.rows[method].append(row)
        self.ncrypto.append(sum(1 for m in CRYPTO if getattr(record, m)))
        self.pending.append(
            (row, record.entry_id, record.category, record.label, record.meta, record.where)
        )
        if len(self.pending) >= _BATCH:
            self._flush()
        return row

    def _flush(self) -> None:
        self.db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?)", self.pending)
        self.pending.clear()

    def finish(self, report: ImportReport, source: str, source_sha256: str, fmt: str) -> SetInfo:
        """Sort, de-duplicate, write the arrays and set.json, and move the set into place."""
        self._flush()
        dropped: dict[int, int] = {}
        counts = {}
        for method in CRYPTO:
            index, dupes = self._crypto(method)
            if index is not None:
                index.save(self.folder, method)
                counts[method] = len(index)
                self._note_duplicates(method, dupes, report, dropped)
        counts["pdq"] = self._save_pdq()
        removed = self._drop_full_duplicates(dropped)
        report.duplicates += len(removed)
        report.accepted = self.count - len(removed)
        self.db.commit()
        self.db.close()
        info = SetInfo(
            name=self.name,
            kind=self.kind,
            source=source,
            source_sha256=source_sha256,
            imported_at=datetime.now(UTC).isoformat(timespec="seconds"),
            entries=report.accepted,
            format=fmt,
            counts={k: v for k, v in counts.items() if v},
        )
        store.write_info(self.folder, info)
        store.commit_build(self.folder, self.name)
        return info

    def abort(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def _crypto(self, method: str) -> tuple[CryptoIndex | None, Duplicates | None]:
        raw = self.digests.pop(method)
        if not raw:
            return None, None
        digests = np.frombuffer(raw, dtype=np.uint8).reshape(-1, HASH_BYTES[method])
        rows = np.frombuffer(self.rows.pop(method), dtype=np.int32)
        return CryptoIndex.build(digests, rows)

    def _note_duplicates(
        self, method: str, dupes: Duplicates | None, report: ImportReport, dropped: dict[int, int]
    ) -> None:
        if dupes is None:
            return
        for i in range(len(dupes)):
            row, first = int(dupes.rows[i]), int(dupes.first_rows[i])
            dropped[row] = dropped.get(row, 0) + 1
            if report.wants_detail():
                where, first_where = self._where(row), self._where(first)
                report.note(
                    f"{report.source}: {where}: duplicate {method.upper()} "
                    f"{dupes.digests[i].tobytes().hex()} (first in {first_where}); the first is kept"
                )
            else:
                report.message_count += 1

    def _where(self, row: int) -> str:
        found = self.db.execute("SELECT source_ref FROM entries WHERE row = ?", (row,)).fetchone()
        return found[0] if found else f"entry {row}"

    def _drop_full_duplicates(self, dropped: dict[int, int]) -> list[int]:
        """Delete entries all of whose crypto digests were duplicates (and that have no PDQ)."""
        if not dropped:
            return []
        has_pdq = set(np.load(self.folder / "pdq.rows.npy").tolist()) if self.has_pdq else set()
        removed = [
            row for row, n in dropped.items() if n >= self.ncrypto[row] and row not in has_pdq
        ]
        self.db.executemany("DELETE FROM entries WHERE row = ?", [(r,) for r in removed])
        return removed

    def _save_pdq(self) -> int:
        raw = self.digests.pop("pdq")
        self.has_pdq = bool(raw)
        if not raw:
            return 0
        hashes = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 32)
        rows = np.frombuffer(self.rows.pop("pdq"), dtype=np.int32)
        both = np.concatenate([hashes, rows.view(np.uint8).reshape(-1, 4)], axis=1)
        _, first = np.unique(both, axis=0, return_index=True)
        first.sort()
        np.save(self.folder / "pdq.hash.npy", np.ascontiguousarray(hashes[first]))
        np.save(self.folder / "pdq.rows.npy", rows[first].copy())
        return int(first.size)
