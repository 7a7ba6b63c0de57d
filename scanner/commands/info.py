"""`dftriage info EVIDENCE`: container, partitions, file systems and counts."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scanner.commands.scan import PASSWORD_VARIABLE
from scanner.errors import EvidenceError
from scanner.evidence import DiskSource, open_evidence, read_chunks
from scanner.evidence.containers import ContainerOptions
from scanner.evidence.itunes_backup import ItunesBackupSource
from scanner.types import FileItem, ItemError

HELP = "describe evidence: container, stored hashes, partitions, file systems, file counts"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("evidence", type=Path, help="image, first segment, or folder")
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    parser.add_argument(
        "--verify", action="store_true", help="read all media and check stored hashes"
    )
    parser.add_argument(
        "--password", help=f"password of encrypted evidence (or set {PASSWORD_VARIABLE})"
    )


def describe(path: Path, verify: bool = False, password: str | None = None) -> dict[str, Any]:
    source = open_evidence(path, options=ContainerOptions(password=password))
    try:
        info: dict[str, Any] = {"evidence": str(path), "container": asdict(source.container)}
        if isinstance(source, DiskSource):
            layout = source.layout
            info["partition_scheme"] = layout.scheme
            info["gaps"] = [{"offset": o, "length": n} for o, n in layout.gaps]
            info["volumes"] = [_volume(fs) for fs in source.filesystems()]
            if layout.warning:
                info["warnings"] = [layout.warning]
            if verify:
                info["verification"] = _verify(source)
        else:
            if isinstance(source, ItunesBackupSource):
                source.unlock()  # no or a wrong password: a one-line error
            info.update(_members(source.walk(), source.container.kind))
        return info
    finally:
        source.close()


def _members(entries: Any, kind: str) -> dict[str, Any]:
    """File counts of a folder, archive or phone extraction, and what could not be listed."""
    files = deleted = 0
    warnings: list[str] = []
    for entry in entries:
        if isinstance(entry, FileItem):
            files += 1
            deleted += entry.deleted
        elif isinstance(entry, ItemError) and len(warnings) < 20:
            warnings.append(entry.reason)
    result: dict[str, Any] = {
        "volumes": [{"file_system": kind, "allocated": files - deleted, "deleted": deleted}]
    }
    if warnings:
        result["warnings"] = warnings
    return result


def _volume(fs: Any) -> dict[str, Any]:
    part = fs.partition
    record = {
        "partition": part.index,
        "offset": part.offset,
        "length": part.length,
        "description": part.description,
        "file_system": fs.kind,
        "block_size": fs.block_size,
        "allocated": fs.allocated,
        "deleted": fs.deleted,
        "unallocated_bytes": fs.unallocated_bytes,
    }
    if fs.warning:
        record["warning"] = fs.warning
    return record


def _verify(source: DiskSource) -> dict[str, Any]:
    """Hash the whole medium and compare with the hashes stored in the container."""
    digests = {name: hashlib.new(name) for name in ("md5", "sha1")}
    for chunk in read_chunks(source.media_range(0, source.reader.size)):
        for digest in digests.values():
            digest.update(chunk)
    computed = {name: digest.hexdigest() for name, digest in digests.items()}
    stored = source.container.stored_hashes
    checks = {name: stored[name] == computed[name] for name in computed if name in stored}
    return {"computed": computed, "stored": stored, "matches": checks}


def run(args: argparse.Namespace) -> int:
    password = args.password or os.environ.get(PASSWORD_VARIABLE) or None
    info = describe(args.evidence, args.verify, password)
    if args.json:
        print(json.dumps(info, indent=1, sort_keys=True, ensure_ascii=False))
    else:
        _print(info)
    verification = info.get("verification")
    if verification and not all(verification["matches"].values()):
        raise EvidenceError(f"{args.evidence}: computed hash does not match the stored hash")
    return 0


VOLUME_COLUMNS = (
    ("part", "partition"),
    ("offset", "offset"),
    ("length", "length"),
    ("description", "description"),
    ("fs", "file_system"),
    ("block", "block_size"),
    ("files", "allocated"),
    ("deleted", "deleted"),
    ("unallocated", "unallocated_bytes"),
)


def _print(info: dict[str, Any]) -> None:
    """Human-readable output; every string from evidence is escaped for rich markup."""
    console = Console(highlight=False)
    container = info["container"]
    console.print(
        f"[bold]{escape(info['evidence'])}[/]  {container['kind']}, {container['size']:,} bytes, "
        f"{len(container['files'])} file(s)"
    )
    for name, value in sorted(container["stored_hashes"].items()):
        console.print(f"  stored {name}: {value}", markup=False)
    for name, value in sorted(container["metadata"].items()):
        console.print(f"  {name}: {value}", markup=False)
    if "verification" in info:
        console.print(f"  verified: {info['verification']['matches']}", markup=False)
    table = Table(*(title for title, _ in VOLUME_COLUMNS))
    for volume in info["volumes"]:
        table.add_row(*(escape(str(volume.get(key, ""))) for _, key in VOLUME_COLUMNS))
    console.print(f"partition scheme: {info.get('partition_scheme', 'none')}")
    console.print(table)
    for gap in info.get("gaps", []):
        console.print(f"unpartitioned: {gap['offset']}+{gap['length']}")
    for warning in info.get("warnings", []):
        console.print(f"warning: {warning}", markup=False)
