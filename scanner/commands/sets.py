"""`dftriage sets`: import, build-victims, list, export and remove known sets."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

from scanner.errors import ConfigError, KnownSetError
from scanner.knownsets import (
    FORMATS,
    KINDS,
    ImportReport,
    ReadOptions,
    build_victims,
    export_set,
    import_set,
    list_sets,
    remove_set,
)
from scanner.knownsets.victims import Embedder

HELP = "import, build, list and export known sets (VICS, NSRL, hash lists, PDQ, victims)"
SHOWN_MESSAGES = 20
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = sub.add_parser(
        "import", help="import a hash set file", description="Import a hash set file."
    )
    imp.add_argument(
        "file", type=Path, help="VICS JSON, NSRL RDS, hash list, hashdeep, CSV or PDQ list"
    )
    imp.add_argument("--name", required=True, help="set name (letters, digits, '.', '_', '-')")
    imp.add_argument("--kind", required=True, choices=KINDS, help="what a match means")
    imp.add_argument(
        "--format", choices=sorted(FORMATS), help="force the format (PDQ lists need it)"
    )
    imp.add_argument("--category", help="category for records that carry none (e.g. 1)")
    imp.add_argument("--label", help="label for records that carry none")
    imp.add_argument(
        "--columns",
        default="",
        help="CSV columns as FIELD=HEADER,... (fields: md5, sha1, sha256, pdq, category, label, id)",
    )
    imp.add_argument("--replace", action="store_true", help="replace an existing set of that name")
    vic = sub.add_parser(
        "build-victims",
        help="build a victim set from DIR/<victim>/pictures",
        description="Build a victim reference set: one sub-folder per victim.",
    )
    vic.add_argument("dir", type=Path, help="folder with one sub-folder per victim")
    vic.add_argument("--name", required=True, help="set name")
    vic.add_argument(
        "--no-dihedral",
        action="store_true",
        help="store only the upright PDQ (no rotations/mirrors)",
    )
    vic.add_argument("--no-faces", action="store_true", help="do not compute face embeddings")
    vic.add_argument("--replace", action="store_true", help="replace an existing set of that name")
    lst = sub.add_parser("list", help="list imported sets", description="List imported sets.")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    exp = sub.add_parser(
        "export", help="export a set as VICS 2.0 JSON", description="Export a set as VICS 2.0 JSON."
    )
    exp.add_argument("name", help="set name")
    exp.add_argument("-o", "--output", type=Path, help="output file (default: standard output)")
    rem = sub.add_parser(
        "remove", help="delete an imported set", description="Delete an imported set."
    )
    rem.add_argument("name", help="set name")


def run(args: argparse.Namespace) -> int:
    return {
        "import": _import,
        "build-victims": _victims,
        "list": _list,
        "export": _export,
        "remove": _remove,
    }[args.action](args)


def _columns(text: str) -> dict[str, str]:
    columns = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        field, sep, header = part.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise ConfigError(f"--columns: expected FIELD=HEADER, got {part!r}")
        columns[field.strip().lower()] = header.strip()
    return columns


def _import(args: argparse.Namespace) -> int:
    options = ReadOptions(category=args.category, label=args.label, columns=_columns(args.columns))
    info, report = import_set(
        args.file, args.name, args.kind, args.format, options, replace=args.replace
    )
    _print_report(report)
    print(f"set {info.name!r} ({info.kind}): {info.entries} entries, {_counts(info.counts)}")
    return 1 if report.rejected else 0


def _victims(args: argparse.Namespace) -> int:
    embedder = None if args.no_faces else _face_embedder()
    info, report = build_victims(
        args.dir, args.name, replace=args.replace, dihedral=not args.no_dihedral, embedder=embedder
    )
    _print_report(report)
    print(f"victim set {info.name!r}: {info.entries} reference pictures, {_counts(info.counts)}")
    return 1 if report.rejected else 0


def _face_embedder() -> Embedder:
    """The embedding of the largest face of each reference picture, tagged with its model.

    A face model that fails to load stops the build (no silent hashes-only set);
    `--no-faces` builds a hashes-only set on purpose.
    """
    from scanner.analyse.signals.face_hash import FACE_PDQ_MODEL, face_pdq, pdq_bits
    from scanner.analyse.signals.provenance import SOURCE_PATTERN_MODEL, prepare_reference
    from scanner.hashing.perceptual import PDQ_MIN_QUALITY
    from scanner.inference.analyser import PictureAnalyser

    analyser = PictureAnalyser.load(tasks=("face-detect", "face-embed"))
    manifest = analyser.manifests.get("face-embed")
    if manifest is None:
        raise KnownSetError(
            "no face-embed model is available (dftriage models list); use --no-faces"
        )

    def embed(rgb: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
        faces = [f for f in analyser.analyse(rgb).faces if f.embedding is not None]
        if not faces:
            return []
        largest = max(faces, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
        rows = [(manifest.name, manifest.sha256, np.asarray(largest.embedding))]
        face_hash, quality = face_pdq(rgb, np.asarray(largest.landmarks))
        if quality >= PDQ_MIN_QUALITY:
            rows.append((FACE_PDQ_MODEL, "", pdq_bits(face_hash)))
        try:
            pattern = prepare_reference("", rgb, np.asarray(largest.landmarks)).pattern
            rows.append((SOURCE_PATTERN_MODEL, "", pattern.ravel()))
        except ValueError:
            pass  # face too small to serve as a source-photo reference
        return rows

    return embed


def _list(args: argparse.Namespace) -> int:
    sets = list_sets()
    if args.json:
        rows = [info.__dict__ for info in sets]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not sets:
        print("no sets imported (dftriage sets import FILE --name NAME --kind KIND)")
    for info in sets:
        print(
            f"{info.name}\t{info.kind}\t{info.entries} entries\t{_counts(info.counts)}\t"
            f"{info.format}\t{info.imported_at}\tsha256:{info.source_sha256}\t{info.source}"
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    if args.output is None:
        export_set(args.name, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            export_set(args.name, out)
    return 0


def _remove(args: argparse.Namespace) -> int:
    remove_set(args.name)
    print(f"set {args.name!r} removed")
    return 0


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {m.upper()}" for m, n in counts.items()) or "no hashes"


def _print_report(report: ImportReport) -> None:
    for message in report.messages[:SHOWN_MESSAGES]:
        print(message, file=sys.stderr)
    if report.message_count > SHOWN_MESSAGES:
        print(
            f"... {report.message_count - SHOWN_MESSAGES} more messages in the set's import.log",
            file=sys.stderr,
        )
    print(
        f"{report.source}: {report.format}: {report.accepted} accepted, "
        f"{report.rejected} rejected, {report.duplicates} duplicate"
    )
