"""Project VIC / CAID VICS JSON, read as a stream (memory stays bounded whatever the size).

Accepted: 2.0 (`@odata.context` ... `$metadata#Media`, media under `value`; or `#Cases`,
media under each case's `Media`) and 1.1-1.3 (`odata.metadata` ... `.xml#Cases`). The
version marker must be in the first 64 KiB.

The file is scanned for objects that open an array element (`[{` or `,{`); each is
decoded with the C JSON decoder, so a record costs one regex search and one decode.
An object larger than the window (a case holding all its media) is entered instead of
decoded. A malformed record is reported with its line and skipped: the scanner goes on
with the next element, so good records before and after it are kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scanner.errors import KnownSetError
from scanner.knownsets.hexutil import optional_hash
from scanner.knownsets.model import ReadOptions, Record, Rejection

VERSIONS = ("1.1", "1.2", "1.3", "2.0")
CHUNK_CHARS = 8 << 20
WINDOW_CHARS = 4 << 20
_CONTEXT = re.compile(r'"(@odata\.context|odata\.metadata)"\s*:\s*"([^"]*)"')
_VERSION = re.compile(r"DataModels/(\d+\.\d+)")
_CANDIDATE = re.compile(r"[\[,]\s*\{")
_META_FIELDS = (
    "MediaSize",
    "VictimIdentified",
    "OffenderIdentified",
    "Series",
    "Tags",
    "IsPrecategorized",
    "IsDistributed",
    "Comments",
    "DateUpdated",
    "MimeType",
    "FileName",
)
_FRAGMENT_KEYS = ("HashName", "FilePath", "PropertyName", "Property")


def sniff(head: bytes) -> bool:
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    return text.startswith("{") and bool(_CONTEXT.search(text))


def version_of(path: Path, head: str) -> tuple[str, str]:
    """(version, collection) from the OData marker, or KnownSetError."""
    match = _CONTEXT.search(head)
    if match is None:
        raise KnownSetError(
            f"{path}: not a VICS file: no @odata.context or odata.metadata in the first 64 KiB"
        )
    url = match.group(2)
    version = _VERSION.search(url)
    if version is None or version.group(1) not in VERSIONS:
        found = version.group(1) if version else url
        raise KnownSetError(
            f"{path}: VICS version {found!r} is not supported (supported: {', '.join(VERSIONS)})"
        )
    collection = url.rsplit("#", 1)[-1] if "#" in url else ""
    if collection not in ("Media", "Cases"):
        raise KnownSetError(
            f"{path}: VICS collection {collection!r} is not supported (Media, Cases)"
        )
    return version.group(1), collection


def read(path: Path, options: ReadOptions) -> Iterator[Record | Rejection]:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        scanner = _Scanner(handle)
        version_of(path, scanner.buf[:65536])
        number = 0
        for line, item in scanner.objects():
            if isinstance(item, str):
                number += 1
                yield Rejection(f"record {number} (near line {line})", item)
                continue
            for media in _media_of(item):
                number += 1
                yield media_record(media, f"record {number} (line {line})", options)


def _media_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The media records an object stands for: itself, a case's Media, or none (fragments)."""
    media = obj.get("Media")
    if isinstance(media, list):
        return [m for m in media if isinstance(m, dict)]
    if any(k in obj for k in _FRAGMENT_KEYS) and "MediaID" not in obj:
        return []
    return [obj]


def media_record(media: dict[str, Any], where: str, options: ReadOptions) -> Record | Rejection:
    """One VICS Media object as a Record (or why it cannot be one)."""
    try:
        md5 = optional_hash(media.get("MD5"), "md5")
        sha1 = optional_hash(media.get("SHA1"), "sha1")
        sha256, pdq = _alternative(media.get("AlternativeHashes"))
    except ValueError as exc:
        return Rejection(where, str(exc))
    if not (md5 or sha1 or sha256 or pdq):
        return Rejection(where, "record has no MD5, SHA1 or usable alternative hash")
    category = media.get("Category")
    if category is not None and not isinstance(category, (int, str)):
        return Rejection(where, f"bad Category {category!r}: expected a number")
    meta = {k: media[k] for k in _META_FIELDS if media.get(k) not in (None, "", [])}
    series = media.get("Series")
    return Record(
        md5=md5,
        sha1=sha1,
        sha256=sha256,
        pdq=pdq,
        category=str(category) if category is not None else options.category,
        label=series if isinstance(series, str) and series else options.label,
        entry_id=str(media.get("MediaID", "")),
        meta=json.dumps(meta, ensure_ascii=False, sort_keys=True) if meta else None,
        where=where,
    )


def _alternative(items: object) -> tuple[bytes | None, tuple[bytes, ...]]:
    """SHA-256 and PDQ from AlternativeHashes [{HashName, HashValue}, ...]."""
    sha256, pdq = None, []
    if not isinstance(items, list):
        return None, ()
    for item in items:
        if not isinstance(item, dict):
            continue
        name = str(item.get("HashName", "")).replace("-", "").upper()
        if name == "SHA256":
            sha256 = optional_hash(item.get("HashValue"), "sha256")
        elif name == "PDQ":
            value = optional_hash(item.get("HashValue"), "pdq")
            if value:
                pdq.append(value)
    return sha256, tuple(pdq)


class _Scanner:
    """Finds and decodes array-element objects in a text stream, chunk by chunk."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.buf = handle.read(CHUNK_CHARS)
        self.eof = len(self.buf) < CHUNK_CHARS
        self.line = 1  # line number at self.pos
        self.pos = 0
        self.decoder = json.JSONDecoder()

    def _fill(self, start: int) -> int:
        """Drop text before `start`, read one more chunk; return the new index of `start`."""
        self.line += self.buf.count("\n", self.pos, start)
        self.buf = self.buf[start:]
        self.pos = 0
        more = self.handle.read(CHUNK_CHARS)
        self.eof = len(more) < CHUNK_CHARS
        self.buf += more
        return 0

    def _advance(self, to: int) -> None:
        self.line += self.buf.count("\n", self.pos, to)
        self.pos = to

    def objects(self) -> Iterator[tuple[int, dict[str, Any] | str]]:
        """(line, decoded dict) per element object; (line, message) where one is malformed."""
        while True:
            match = _CANDIDATE.search(self.buf, self.pos)
            if match is None:
                if self.eof:
                    return
                self._fill(max(self.pos, len(self.buf) - 64))
                continue
            start = match.end() - 1
            if not self.eof and len(self.buf) - start < WINDOW_CHARS:
                self._fill(match.start())
                continue
            self._advance(start)
            yield from self._decode_at(start)

    def _decode_at(self, start: int) -> Iterator[tuple[int, dict[str, Any] | str]]:
        try:
            obj, end = self.decoder.raw_decode(self.buf, start)
        except json.JSONDecodeError as exc:
            if not self.eof and exc.pos - start > WINDOW_CHARS // 2:
                self.pos = start + 1  # larger than the window: a container, go inside
                return
            if self.eof and (exc.pos >= len(self.buf) - 1 or exc.msg.startswith("Unterminated")):
                yield self.line, "file ends inside this record (truncated JSON)"
            else:
                line = self.line + self.buf.count("\n", start, exc.pos)
                yield self.line, f"malformed JSON at line {line} column {exc.colno}: {exc.msg}"
            self._advance(max(start + 1, exc.pos))
            return
        if isinstance(obj, dict):
            yield self.line, obj
        self._advance(end)
