"""CSV with a header row; columns are found by name or given with --columns FIELD=HEADER."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from scanner.errors import KnownSetError
from scanner.knownsets.hexutil import optional_hash
from scanner.knownsets.model import ReadOptions, Record, Rejection

FIELDS = ("md5", "sha1", "sha256", "pdq", "category", "label", "id")
_ALIASES = {
    "md5": ("md5", "md5hash", "md5_hash", "hash_md5"),
    "sha1": ("sha1", "sha-1", "sha1hash", "sha1_hash", "hash_sha1"),
    "sha256": ("sha256", "sha-256", "sha256hash", "sha256_hash", "hash_sha256"),
    "pdq": ("pdq", "pdqhash", "pdq_hash"),
    "category": ("category", "cat", "class"),
    "label": ("label", "name", "filename", "file_name", "file"),
    "id": ("id", "mediaid", "media_id", "entry_id"),
}


def sniff(head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    if "," not in first and ";" not in first and "\t" not in first:
        return False
    cells = {c.strip().strip('"') for c in first.replace(";", ",").replace("\t", ",").split(",")}
    return any(cells & set(_ALIASES[m]) for m in ("md5", "sha1", "sha256", "pdq"))


def read(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        sample = handle.read(8192)
        handle.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                sample, delimiters=",;\t"
            )
        except csv.Error:
            dialect = csv.excel
        rows = csv.reader(handle, dialect)
        header = next(rows, None)
        if header is None:
            raise KnownSetError(f"{path}: empty CSV file")
        mapping = _mapping(path, header, options.columns)
        for row in rows:
            if not row or not any(cell.strip() for cell in row):
                continue
            yield _record(row, mapping, f"line {rows.line_num}", options)


def _mapping(path: Path, header: list[str], given: dict[str, str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    mapping: dict[str, int] = {}
    for field, column in given.items():
        if field not in FIELDS:
            raise KnownSetError(f"--columns: unknown field {field!r} (known: {', '.join(FIELDS)})")
        if column.strip().lower() not in names:
            raise KnownSetError(f"{path}: no column {column!r} in the header {header}")
        mapping[field] = names.index(column.strip().lower())
    for field, aliases in _ALIASES.items():
        if field not in mapping:
            found = next((names.index(a) for a in aliases if a in names), None)
            if found is not None:
                mapping[field] = found
    if not any(m in mapping for m in ("md5", "sha1", "sha256", "pdq")):
        raise KnownSetError(
            f"{path}: no hash column in the header {header}; name one with --columns md5=HEADER"
        )
    return mapping


def _record(
    row: list[str], mapping: dict[str, int], where: str, options: ReadOptions
) -> Record | Rejection:
    def cell(field: str) -> str | None:
        index = mapping.get(field)
        if index is None or index >= len(row):
            return None
        return row[index].strip() or None

    try:
        hashes = {m: optional_hash(cell(m), m) for m in ("md5", "sha1", "sha256")}
        pdq = optional_hash(cell("pdq"), "pdq")
    except ValueError as exc:
        return Rejection(where, str(exc))
    if not any(hashes.values()) and pdq is None:
        return Rejection(where, "no hash on the row")
    return Record(
        md5=hashes["md5"],
        sha1=hashes["sha1"],
        sha256=hashes["sha256"],
        pdq=(pdq,) if pdq else (),
        category=cell("category") or options.category,
        label=cell("label") or options.label,
        entry_id=cell("id") or where.split()[-1],
        where=where,
    )
