"""PDQ hash lists: 64 hex digits a line (ThreatExchange order), optionally `,label`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from scanner.knownsets.hexutil import parse_hash
from scanner.knownsets.model import ReadOptions, Record, Rejection


def read(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip().lstrip("\ufeff")
            if not text or text.startswith("#"):
                continue
            value, _, label = text.partition(",")
            where = f"line {number}"
            try:
                digest = parse_hash(value.strip(), "pdq")
            except ValueError as exc:
                yield Rejection(where, str(exc))
                continue
            yield Record(
                pdq=(digest,),
                category=options.category,
                label=label.strip() or options.label,
                entry_id=str(number),
                where=where,
            )
