"""`export_set`: a stored set written back out as VICS 2.0 JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from scanner.knownsets import store
from scanner.knownsets.crypto_index import CryptoIndex
from scanner.knownsets.vics_export import VicsMedia, export_vics

_VICS_EXTRA = (
    "VictimIdentified",
    "OffenderIdentified",
    "Series",
    "Tags",
    "IsPrecategorized",
    "IsDistributed",
)


def _by_row(folder: Path, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(rows ascending, digests) of one method, or empty arrays."""
    if method == "pdq":
        if not (folder / "pdq.hash.npy").exists():
            return np.zeros(0, dtype=np.int64), np.zeros((0, 32), dtype=np.uint8)
        rows, digests = np.load(folder / "pdq.rows.npy"), np.load(folder / "pdq.hash.npy")
    else:
        index = CryptoIndex.load(folder, method)
        if index is None:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.uint8)
        rows, digests = np.asarray(index.rows), index.digests()
    order = np.argsort(rows, kind="stable")
    return rows[order], digests[order]


def _media(folder: Path) -> Iterator[VicsMedia]:
    columns = {m: _by_row(folder, m) for m in ("md5", "sha1", "sha256", "pdq")}
    pointers = dict.fromkeys(columns, 0)
    db = store.connect(folder)
    try:
        query = "SELECT row, entry_id, category, label, meta FROM entries ORDER BY row"
        for row, entry_id, category, label, meta in db.execute(query):
            found: dict[str, str | None] = {}
            for method, (rows, digests) in columns.items():
                i = pointers[method]
                while i < len(rows) and rows[i] < row:
                    i += 1
                found[method] = (
                    digests[i].tobytes().hex() if i < len(rows) and rows[i] == row else None
                )
                pointers[method] = i
            if not any(found.values()):
                continue
            extra = json.loads(meta) if meta else {}
            yield VicsMedia(
                media_id=entry_id or row,
                category=category,
                media_size=extra.get("MediaSize") or extra.get("size"),
                file_name=label if label and not extra.get("Series") else None,
                extra={k: extra[k] for k in _VICS_EXTRA if k in extra},
                **found,
            )
    finally:
        db.close()


def export_set(name: str, out: TextIO, home: Path | None = None) -> None:
    """Write set `name` as VICS 2.0 JSON to `out`."""
    export_vics(_media(store.set_dir(name, home)), out)
