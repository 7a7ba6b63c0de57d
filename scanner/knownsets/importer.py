"""`import_set`: read a source in any registered format and compile it into the store."""

from __future__ import annotations

import logging
from pathlib import Path

from scanner.errors import KnownSetError
from scanner.hashing.crypto import sha256_file
from scanner.knownsets.builder import SetBuilder
from scanner.knownsets.formats import detect_format, get_format
from scanner.knownsets.model import KINDS, ImportReport, ReadOptions, Rejection, SetInfo

log = logging.getLogger(__name__)


def import_set(
    source: str | Path,
    name: str,
    kind: str,
    fmt: str | None = None,
    options: ReadOptions | None = None,
    home: Path | None = None,
    replace: bool = False,
) -> tuple[SetInfo, ImportReport]:
    """Import `source` as set `name`; bad records are reported and skipped, good ones kept.

    Raises KnownSetError when the source as a whole is unusable (unreadable, wrong format
    or version, wrong schema, or not one usable record).
    """
    path = Path(source)
    if kind not in KINDS:
        raise KnownSetError(f"set kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not path.is_file():
        raise KnownSetError(f"{path}: no such file")
    fmt_name = fmt.lower() if fmt else detect_format(path)
    reader = get_format(fmt_name).read
    report = ImportReport(name=name, source=str(path), format=fmt_name)
    builder = SetBuilder(name, kind, home, replace)
    try:
        with open(builder.folder / "import.log", "w", encoding="utf-8") as report.log:
            for item in reader(path, options or ReadOptions()):
                if isinstance(item, Rejection):
                    report.rejected += 1
                    report.note(f"{path}: {item.where}: {item.reason}")
                elif builder.add(item) % 1_000_000 == 999_999:
                    log.info("%s: %d records read", path, builder.count)
            if builder.count == 0:
                raise KnownSetError(
                    f"{path}: no usable record as {fmt_name} ({report.rejected} rejected"
                    + (f"; first: {report.messages[0]}" if report.messages else "")
                    + ")"
                )
            info = builder.finish(report, str(path.resolve()), sha256_file(path), fmt_name)
            report.log.write(_summary(report) + "\n")
    except BaseException:
        builder.abort()
        raise
    finally:
        report.log = None
    log.info(_summary(report))
    return info, report


def _summary(report: ImportReport) -> str:
    return (
        f"{report.source}: {report.format}: {report.accepted} accepted, "
        f"{report.rejected} rejected, {report.duplicates} duplicate"
    )
