"""`dftriage carve`: recover pictures and videos from free space, PhotoRec-style."""

from __future__ import annotations

import argparse
import hashlib
import logging
import multiprocessing
import os
import sys
import threading
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import ConfigError, EvidenceError, ScannerError

if TYPE_CHECKING:  # the engine (numpy, OpenCV, Hyperscan) is imported in run(), see read_ahead
    from scanner.carve import CarvedFile
    from scanner.carve.registry import Failure
    from scanner.evidence import DiskSource
    from scanner.types import Extent

log = logging.getLogger(__name__)

HELP = "carve pictures and videos from unallocated space (or the whole image) into a folder"
COPY_STEP = 1 << 20
READ_AHEAD = 512 << 20  # about what a cold disk delivers while the engine is imported


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("evidence", help="disk image: raw, split raw, E01, VMDK, VHD or QCOW2")
    parser.add_argument("--out", required=True, help="output folder (created; must be empty)")
    parser.add_argument(
        "--types",
        default="",
        help="comma-separated file types such as jpg,png,mp4 (default: all; a wrong one lists them)",
    )
    parser.add_argument(
        "--whole",
        action="store_true",
        help="carve the entire media instead of unallocated and unpartitioned space",
    )
    parser.add_argument(
        "--no-partial",
        action="store_true",
        help="do not write truncated files (they are still listed in report.xml)",
    )
    parser.add_argument(
        "--three-pieces",
        action="store_true",
        help="also reassemble JPEGs in three pieces (off by default: on disks full of "
        "fragments some of its results are wrong, see docs/carving.md)",
    )
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="worker processes"
    )


def _out_dir(path: str) -> Path:
    out = Path(path)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out {out}: exists and is not an empty folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _extents(source: DiskSource, whole: bool) -> list[Extent]:
    from scanner.types import Extent, ExtentKind

    if whole:
        size = source.reader.size
        return [Extent(source.locator, 0, size, ExtentKind.WHOLE_IMAGE)] if size else []
    return list(source.extents())


def file_name(item: CarvedFile) -> str:
    """Output name from the start offset and kind only (never from evidence names)."""
    suffix = "" if item.complete else ".partial"
    return f"{item.offset:015d}{suffix}.{item.kind}"


def _write(source: DiskSource, item: CarvedFile, path: Path) -> dict[str, str]:
    sha256, md5 = hashlib.sha256(), hashlib.md5()
    with open(path, "xb") as out:
        for offset, length in item.runs:
            for pos in range(offset, offset + length, COPY_STEP):
                data = source.reader.read(pos, min(COPY_STEP, offset + length - pos))
                sha256.update(data)
                md5.update(data)
                out.write(data)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def read_ahead(path: str, length: int = READ_AHEAD) -> threading.Thread | None:
    """Ask the kernel, from a thread, to read the first `length` bytes of the file at `path`
    into the page cache, so a cold disk is read while Python imports the engine. None when
    `path` is not a regular file. Join it before forking workers."""
    from scanner.evidence.images import advise_file

    if not os.path.isfile(path):
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None

    def advise() -> None:
        try:
            advise_file(fd, 0, length)
        finally:
            os.close(fd)

    thread = threading.Thread(target=advise, name="carve-read-ahead", daemon=True)
    thread.start()
    return thread


def run(args: argparse.Namespace) -> int:
    ahead = read_ahead(args.evidence)
    from scanner.carve import all_kinds
    from scanner.evidence import DiskSource, open_evidence

    types = [t for t in args.types.split(",") if t.strip()] or None
    if types is not None and not {t.strip().lower() for t in types} <= set(all_kinds()):
        raise ConfigError(f"--types {args.types}: known types are {','.join(all_kinds())}")
    source = open_evidence(args.evidence)
    if not isinstance(source, DiskSource):
        raise EvidenceError(f"{args.evidence}: carving needs a disk image, not a folder")
    if ahead is not None:  # no thread may be running when the workers are forked
        ahead.join()
    try:
        return _carve(source, args, types)
    finally:
        source.close()


def _carve(source: DiskSource, args: argparse.Namespace, types: list[str] | None) -> int:
    from scanner.carve import carve, process_pool
    from scanner.carve.dfxml import DfxmlWriter

    out = _out_dir(args.out)
    started = time.monotonic()
    extents = _extents(source, args.whole)
    count = partial = errors = 0
    workers = max(1, args.workers)
    fork = multiprocessing.get_context("fork")  # no thread runs here (see read_ahead)

    def failed(failure: Failure, extent: Extent) -> None:
        nonlocal errors
        log.error("%s at offset %d failed: %s (a bug in dftriage: please report it)",
                  failure.carver, failure.offset, failure.error)  # fmt: skip
        errors += 1

    with (
        open(out / "report.xml", "w", encoding="utf-8") as report,
        process_pool(workers, fork) if workers > 1 else nullcontext() as pool,
    ):
        dfxml = DfxmlWriter(report, source.path.name, source.reader.size, " ".join(sys.argv))
        found = carve(
            source.media_opener,
            extents,
            types,
            pool,
            slots=workers,
            on_error=failed,
            three_pieces=args.three_pieces,
        )
        for item in found:
            name, digests = file_name(item), {}
            if item.complete or not args.no_partial:
                try:
                    digests = _write(source, item, out / name)
                except (OSError, ScannerError) as exc:
                    log.warning("%s: cannot copy %s: %s", name, item.runs_text(), exc)
                    (out / name).unlink(missing_ok=True)
                    errors += 1
                    continue
            else:
                name = ""
            dfxml.add(item, name, digests)
            count += 1
            partial += not item.complete
        dfxml.close(count, time.monotonic() - started)
    scanned = sum(extent.length for extent in extents)
    print(
        f"carved {count} files ({count - partial} complete, {partial} partial) "
        f"from {scanned / 2**20:.1f} MiB in {time.monotonic() - started:.1f} s into {out}"
        + (f"; {errors} could not be copied or carved (see above)" if errors else "")
    )
    return 1 if errors else 0
