"""Write every report of a case from its database: `write_reports(db, case_dir)`.

The built-in writers (json, csv, vics, case-uco, dfxml, html) are registered in
`WRITERS` when this module is imported; each renders the one model from `build_report`.
The manifest (sha256sum format) is written last, over every file written before it,
companion files (report/items-*.html, report/thumbs/*.jpg) included.
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

from scanner.case.database import CaseDatabase
from scanner.report import (  # noqa: F401 - importing registers the built-in writers
    caseuco_writer,
    csv_writer,
    dfxml_writer,
    html_writer,
    json_writer,
    vics_writer,
)
from scanner.report.export import ExportSource, export_media
from scanner.report.manifest import write_manifest
from scanner.report.model import build_report
from scanner.report.registry import WRITERS, ReferenceSource, ThumbnailSource, WriteContext

__all__ = ["WRITERS", "WriteContext", "write_reports"]

IN_POOL = ("html", "case-uco")  # the slowest writers, run beside the others when a pool is given


def write_reports(
    db: CaseDatabase,
    case_dir: Path,
    thumbnails: ThumbnailSource | None = None,
    export: ExportSource | None = None,
    references: ReferenceSource | None = None,
    pool: Executor | None = None,
) -> list[Path]:
    """Write every registered report (and exported media, if `export`) into `case_dir`.

    `thumbnails(sha256)` returns JPEG bytes for the HTML report or None; `export(sha256)`
    yields the content of a blob, copied to `export/<sha256>.<ext>` for flagged blobs.
    With `pool`, the slowest writers (IN_POOL) run in its processes meanwhile, each from
    its own read of the committed case, with the case's own thumbnails (`ContentSource`).
    Returns the main path of each writer (companion files are in the manifest only), the
    manifest last.
    """
    model = build_report(db)
    exported = export_media(model, case_dir, export) if export else {}
    context = WriteContext(thumbnails=thumbnails, exported=exported, references=references)
    elsewhere = {}
    if pool is not None:
        elsewhere = {
            name: pool.submit(write_from_case, case_dir, name, exported, thumbnails is not None)
            for name in IN_POOL
            if name in WRITERS
        }
    here = {
        name: write(model, case_dir, context)
        for name, write in WRITERS.items()
        if name not in elsewhere
    }
    results = here | {name: future.result() for name, future in elsewhere.items()}
    paths = {name: _as_list(result) for name, result in results.items()}
    written = [case_dir / name for name in sorted(exported.values())]
    written += [paths[name][0] for name in WRITERS]
    companions = [path for name in WRITERS for path in paths[name][1:]]
    return [*written, write_manifest(case_dir, written + companions)]


def _as_list(result: Path | list[Path]) -> list[Path]:
    return result if isinstance(result, list) else [result]


def write_from_case(
    case_dir: Path, name: str, exported: dict[str, str], pictures: bool
) -> Path | list[Path]:
    """Write the one report `name` from the case folder alone (in a worker process)."""
    from scanner.report.content import ContentSource

    db = CaseDatabase(case_dir)
    try:
        source = ContentSource(db)
        context = WriteContext(
            thumbnails=source.thumbnail if pictures else None,
            exported=exported,
            references=source.reference_thumbnail if pictures else None,
        )
        return WRITERS[name](build_report(db), case_dir, context)
    finally:
        db.close()
