"""manifest.sha256: the SHA-256 of every report file, in `sha256sum` format."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

FILE_NAME = "manifest.sha256"
CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(case_dir: Path, files: Iterable[Path]) -> Path:
    """Write `<sha256>  <name relative to case_dir>` per file, sorted by name.

    `sha256sum -c manifest.sha256` run in the case folder checks every report.
    """
    names = sorted({path.relative_to(case_dir).as_posix() for path in files})
    lines = [f"{file_sha256(case_dir / name)}  {name}\n" for name in names]
    path = case_dir / FILE_NAME
    path.write_text("".join(lines), encoding="utf-8")
    return path
