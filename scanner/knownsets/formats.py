"""The registry of set formats and detection of a source's format from its content.

Each format module provides `read(path, options)` yielding Record or Rejection, and
`sniff(head)` telling whether the first bytes look like that format. Adding a format is
one module and one `FORMATS.add` line below; the order of the lines is the order in which
`detect_format` tries the sniffers (the more specific first: an NSRLFile.txt is also CSV).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import KnownSetError
from scanner.knownsets import (
    csv_format,
    hashdeep_format,
    hashlist_format,
    nsrl_format,
    pdq_format,
    vics_format,
)
from scanner.knownsets.model import ReadOptions, Record, Rejection
from scanner.lib.registry import Registry

Reader = Callable[[Path, ReadOptions], Iterator[Record | Rejection]]
Sniffer = Callable[[bytes], bool]
HEAD_BYTES = 65536


@dataclass(frozen=True)
class SetFormat:
    """How to read one set format, and how to recognise it (None: only when named)."""

    read: Reader
    sniff: Sniffer | None = None


FORMATS: Registry[SetFormat] = Registry("set format")
FORMATS.add(
    "vics",
    SetFormat(vics_format.read, vics_format.sniff),
    "Project VIC / CAID VICS JSON 1.x and 2.0",
)
FORMATS.add(
    "nsrl",
    SetFormat(nsrl_format.read, nsrl_format.sniff),
    "NSRL RDS v3 SQLite or legacy NSRLFile.txt",
)
FORMATS.add(
    "hashdeep",
    SetFormat(hashdeep_format.read, hashdeep_format.sniff),
    "hashdeep / md5deep -c output",
)
FORMATS.add(
    "csv",
    SetFormat(csv_format.read, csv_format.sniff),
    "CSV with a header row naming hash columns",
)
FORMATS.add("md5", SetFormat(hashlist_format.reader("md5")), "MD5 list or md5sum output")
FORMATS.add("sha1", SetFormat(hashlist_format.reader("sha1")), "SHA-1 list or sha1sum output")
FORMATS.add(
    "sha256", SetFormat(hashlist_format.reader("sha256")), "SHA-256 list or sha256sum output"
)
FORMATS.add(
    "pdq", SetFormat(pdq_format.read), "PDQ list: 64 hex digits a line, optionally ',label'"
)


def get_format(name: str) -> SetFormat:
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise KnownSetError(
            f"unknown set format {name!r} (known: {', '.join(sorted(FORMATS))})"
        ) from None


def detect_format(path: Path) -> str:
    """The format name of a source from its first bytes; a 64-hex list is SHA-256, never PDQ."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise KnownSetError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    for name, fmt in FORMATS.items():
        if fmt.sniff is not None and fmt.sniff(head):
            return name
    method = hashlist_format.guess_method(head)
    if method is None:
        raise KnownSetError(
            f"{path}: cannot tell the format from its content; give --format "
            f"({', '.join(sorted(FORMATS))})"
        )
    return method
