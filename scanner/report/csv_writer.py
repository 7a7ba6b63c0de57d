"""findings.csv: one row per (finding, location), safe to open in a spreadsheet.

A cell starting with `= + - @`, a tab or a carriage return would be read as a formula
(CSV injection); such cells get a leading apostrophe. The file is UTF-8 with a byte-order
mark so spreadsheet programs read non-Latin file names correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scanner.report.registry import WRITERS, WriteContext
from scanner.report.text import format_runs, write_text

FILE_NAME = "findings.csv"
COLUMNS = (
    "priority",
    "category",
    "rule",
    "reason",
    "sha256",
    "md5",
    "sha1",
    "size",
    "media_type",
    "evidence",
    "path",
    "locator",
    "deleted",
    "carved",
    "byte_runs",
    "apps",
    "chat_ids",
    "account_ids",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """`value` as a cell a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@WRITERS.decorator(
    "csv", "findings.csv: one row per finding and location, safe to open in a spreadsheet"
)
def write_csv(model: dict[str, Any], case_dir: Path, context: WriteContext) -> Path:
    """Write one row per finding and location of each flagged blob, most urgent first."""
    buffer = io.StringIO()
    rows = csv.writer(buffer, lineterminator="\r\n")
    rows.writerow(COLUMNS)
    for row in _rows(model):
        rows.writerow([neutralise(row[column]) for column in COLUMNS])
    return write_text(case_dir / FILE_NAME, "\ufeff" + buffer.getvalue())


def _rows(model: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for blob in model["blobs"]:
        locations = blob["locations"] or [None]
        for finding in blob["findings"]:
            for location in locations:
                yield {**_blob_cells(blob), **finding, **_location_cells(location)}


def _blob_cells(blob: dict[str, Any]) -> dict[str, Any]:
    return {key: blob[key] for key in ("sha256", "md5", "sha1", "size", "media_type")}


def _location_cells(location: dict[str, Any] | None) -> dict[str, Any]:
    if location is None:
        return dict.fromkeys(COLUMNS[COLUMNS.index("evidence") :], "")
    return {
        "evidence": location["evidence"],
        "path": location["path"],
        "locator": location["locator"],
        "deleted": "yes" if location["deleted"] else "no",
        "carved": "yes" if location["carved"] else "no",
        "byte_runs": format_runs(location["runs"]),
        **{key: ", ".join(location[key]) for key in ("apps", "chat_ids", "account_ids")},
    }
