"""manifest.sha256: the SHA-256 of every report file, in `sha256sum` format."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from scanner.hashing.crypto import sha256_file

FILE_NAME = "manifest.sha256"


def write_manifest(case_dir: Path, files: Iterable[Path]) -> Path:
    """Write `<sha256>  <name relative to case_dir>` per file, sorted by name.

    `sha256sum -c manifest.sha256` run in the case folder checks every report.
    """
    names = sorted({path.relative_to(case_dir).as_posix() for path in files})
    lines = [f"{sha256_file(case_dir / name)}  {name}\n" for name in names]
    path = case_dir / FILE_NAME
    path.write_text("".join(lines), encoding="utf-8")
    return path
