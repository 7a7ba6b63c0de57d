"""`dftriage report CASE_DIR`: regenerate every report from the case database."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

from scanner.case.database import DB_NAME, CaseDatabase
from scanner.errors import CaseError, ScannerError
from scanner.report.thumbnails import MAX_INPUT_BYTES, make_thumbnail
from scanner.report.writers import write_reports

HELP = "regenerate the reports (HTML, JSON, CSV, VICS, CASE/UCO, DFXML) of a case folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", type=Path, help="case folder holding case.sqlite")
    parser.add_argument(
        "--no-thumbnails",
        action="store_true",
        help="leave pictures out of report.html (no evidence is read)",
    )
    parser.add_argument(
        "--export",
        action="store_true",
        help="copy flagged media to CASE/export/<sha256>.<ext> (read from the evidence)",
    )


def run(args: argparse.Namespace) -> int:
    case: Path = args.case
    if not (case / DB_NAME).is_file():
        raise CaseError(f"{case}: no {DB_NAME} here; is this a case folder?")
    db = CaseDatabase(case)
    try:
        source = ContentSource(db)
        written = write_reports(
            db,
            case,
            thumbnails=None if args.no_thumbnails else source.thumbnail,
            export=source.chunks if args.export else None,
        )
    finally:
        db.close()
    for path in written:
        print(path)
    return 0


class ContentSource:
    """Reads a blob's content back from the first evidence location it was found at."""

    def __init__(self, db: CaseDatabase) -> None:
        self.db = db

    def chunks(self, sha256: str) -> Iterator[bytes]:
        from scanner.workers import item_chunks

        row = self.db.conn.execute(
            "SELECT e.path, i.locator_json, i.runs FROM items i JOIN evidence e"
            " ON e.id = i.evidence_id WHERE i.sha256 = ? ORDER BY i.id LIMIT 1",
            (sha256,),
        ).fetchone()
        if row is None:
            return iter(())
        runs = tuple((int(o), int(n)) for o, n in json.loads(row[2])) if row[2] else None
        return item_chunks(row[0], row[1], runs)

    def thumbnail(self, sha256: str) -> bytes | None:
        """A thumbnail of the blob, or None if it is unreadable, not a picture or too large."""
        data = bytearray()
        try:
            for chunk in self.chunks(sha256):
                data += chunk
                if len(data) > MAX_INPUT_BYTES:
                    return None
        except (ScannerError, OSError, ValueError):
            return None
        return make_thumbnail(bytes(data))
