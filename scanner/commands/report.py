"""`dftriage report CASE_DIR`: regenerate every report from the case database."""

from __future__ import annotations

import argparse
from pathlib import Path

from scanner.case.database import DB_NAME, CaseDatabase
from scanner.errors import CaseError
from scanner.report.content import ContentSource
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
            references=None if args.no_thumbnails else source.reference_thumbnail,
        )
    finally:
        db.close()
    for path in written:
        print(path)
    return 0
