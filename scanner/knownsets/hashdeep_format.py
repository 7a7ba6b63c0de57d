"""hashdeep files: `%%%% HASHDEEP-1.0`, a `%%%% size,md5,...,filename` column line, CSV rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from scanner.knownsets.hexutil import optional_hash
from scanner.knownsets.model import ReadOptions, Record, Rejection

_METHODS = {"md5": "md5", "sha1": "sha1", "sha256": "sha256"}


def sniff(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"%%%% HASHDEEP")


def read(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
    columns: list[str] | None = None
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n")
            where = f"line {number}"
            if text.startswith("%%%%"):
                body = text[4:].strip()
                if not body.upper().startswith("HASHDEEP"):
                    columns = [c.strip().lower() for c in body.split(",")]
                continue
            if not text.strip() or text.startswith("#"):
                continue
            if columns is None:
                yield Rejection(where, "data line before the '%%%% size,...,filename' column line")
                continue
            yield _row(text, columns, where, options)


def _row(text: str, columns: list[str], where: str, options: ReadOptions) -> Record | Rejection:
    values = text.split(",", len(columns) - 1)
    if len(values) != len(columns):
        return Rejection(where, f"expected {len(columns)} fields, got {len(values)}")
    row = dict(zip(columns, values, strict=True))
    try:
        hashes = {m: optional_hash(row.get(c), m) for c, m in _METHODS.items()}
    except ValueError as exc:
        return Rejection(where, str(exc))
    if not any(hashes.values()):
        return Rejection(where, "no MD5, SHA-1 or SHA-256 on the line")
    return Record(
        md5=hashes["md5"],
        sha1=hashes["sha1"],
        sha256=hashes["sha256"],
        category=options.category,
        label=row.get("filename") or options.label,
        entry_id=where.split()[-1],
        where=where,
    )
