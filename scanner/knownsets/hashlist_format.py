"""Plain hash lists: one hash a line, md5sum/sha1sum/sha256sum output, or BSD `MD5 (f) = h`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from scanner.knownsets.hexutil import is_hex, method_for_length, parse_hash
from scanner.knownsets.model import ReadOptions, Record, Rejection

_BSD = re.compile(r"^(MD5|SHA1|SHA256|SHA2-256) ?\((.*)\) ?= ?([0-9A-Fa-f]+)$")
_COMMENT = ("#", ";", "//")


def reader(method: str) -> Callable[[Path, ReadOptions], Iterator[Record | Rejection]]:
    """A reader for lists of `method` hashes."""

    def read(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                item = parse_line(line, method, number, options)
                if item is not None:
                    yield item

    return read


def parse_line(
    line: str, method: str, number: int, options: ReadOptions
) -> Record | Rejection | None:
    """One line: a Record, a Rejection, or None for blank and comment lines."""
    text = line.strip().lstrip("\ufeff")
    if not text or text.startswith(_COMMENT):
        return None
    where = f"line {number}"
    bsd = _BSD.match(text)
    if bsd:
        value, name = bsd.group(3), bsd.group(2)
    else:
        value, _, name = text.partition(" ")
        name = name.strip()
        if name.startswith("*"):  # md5sum binary mode marker
            name = name[1:]
    try:
        digest = parse_hash(value, method)
    except ValueError as exc:
        return Rejection(where, str(exc))
    return Record(
        md5=digest if method == "md5" else None,
        sha1=digest if method == "sha1" else None,
        sha256=digest if method == "sha256" else None,
        category=options.category,
        label=name or options.label,
        entry_id=str(number),
        where=where,
    )


def guess_method(head: bytes) -> str | None:
    """md5/sha1/sha256 when at least 80 % of the first data lines are hex of that length."""
    lengths: list[int | None] = []
    for raw in head.splitlines()[:50]:
        text = raw.decode("utf-8", "replace").strip().lstrip("\ufeff")
        if not text or text.startswith(_COMMENT):
            continue
        bsd = _BSD.match(text)
        token = bsd.group(3) if bsd else text.split()[0]
        lengths.append(len(token) if is_hex(token) and method_for_length(token) else None)
    if not lengths:
        return None
    common = max(set(lengths), key=lengths.count)
    if common is None or lengths.count(common) < 0.8 * len(lengths):
        return None
    return method_for_length("0" * common)
