"""The registry of set formats and detection of a source's format from its content.

Each format module provides `read(path, options)` yielding Record or Rejection, and
`sniff(head)` telling whether the first bytes look like that format. Adding a format is
one module and one line in BUILTIN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner.errors import KnownSetError
from scanner.knownsets.model import Record, Rejection

Reader = Callable[[Path, "ReadOptions"], Iterator[Record | Rejection]]
Sniffer = Callable[[bytes], bool]
HEAD_BYTES = 65536


@dataclass(frozen=True)
class ReadOptions:
    """What the examiner said about a source when importing it."""

    category: str | None = None  # default category for records that carry none
    label: str | None = None  # default label
    columns: dict[str, str] = field(default_factory=dict)  # csv: field -> header name


@dataclass(frozen=True)
class SetFormat:
    name: str
    description: str
    read: Reader
    sniff: Sniffer | None = None


FORMATS: dict[str, SetFormat] = {}


def register(fmt: SetFormat) -> SetFormat:
    """Add a format; names are lower-case and unique."""
    if fmt.name != fmt.name.lower():
        raise ValueError(f"format names are lower-case, got {fmt.name!r}")
    if fmt.name in FORMATS:
        raise ValueError(f"set format {fmt.name!r} is already registered")
    FORMATS[fmt.name] = fmt
    return fmt


def _register_builtins() -> None:
    from scanner.knownsets import (
        csv_format,
        hashdeep_format,
        hashlist_format,
        nsrl_format,
        pdq_format,
        vics_format,
    )

    for fmt in (
        SetFormat(
            "vics", "Project VIC / CAID VICS JSON 1.x and 2.0", vics_format.read, vics_format.sniff
        ),
        SetFormat(
            "nsrl", "NSRL RDS v3 SQLite or legacy NSRLFile.txt", nsrl_format.read, nsrl_format.sniff
        ),
        SetFormat(
            "hashdeep", "hashdeep / md5deep -c output", hashdeep_format.read, hashdeep_format.sniff
        ),
        SetFormat(
            "csv", "CSV with a header row naming hash columns", csv_format.read, csv_format.sniff
        ),
        SetFormat("md5", "MD5 list or md5sum output", hashlist_format.reader("md5"), None),
        SetFormat("sha1", "SHA-1 list or sha1sum output", hashlist_format.reader("sha1"), None),
        SetFormat(
            "sha256", "SHA-256 list or sha256sum output", hashlist_format.reader("sha256"), None
        ),
        SetFormat(
            "pdq", "PDQ list: 64 hex digits a line, optionally ',label'", pdq_format.read, None
        ),
    ):
        register(fmt)


def all_formats() -> list[SetFormat]:
    """Every registered format, built-ins first."""
    if not FORMATS:
        _register_builtins()
    return list(FORMATS.values())


def get_format(name: str) -> SetFormat:
    if not FORMATS:
        _register_builtins()
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise KnownSetError(
            f"unknown set format {name!r} (known: {', '.join(sorted(FORMATS))})"
        ) from None


def detect_format(path: Path) -> str:
    """The format name of a source from its first bytes; a 64-hex list is SHA-256, never PDQ."""
    if not FORMATS:
        _register_builtins()
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise KnownSetError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    for fmt in FORMATS.values():
        if fmt.sniff is not None and fmt.sniff(head):
            return fmt.name
    from scanner.knownsets import hashlist_format

    method = hashlist_format.guess_method(head)
    if method is None:
        raise KnownSetError(
            f"{path}: cannot tell the format from its content; give --format "
            f"({', '.join(sorted(FORMATS))})"
        )
    return method
