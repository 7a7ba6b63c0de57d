"""Pictures inlined as base64 data URIs (`data:image/png;base64,…`) in HTML, JSON, text.

Sniff: the first 4 KiB look like text (no NUL, few control bytes) and the first MiB holds
`data:image/…;base64,`; a text file without one is not claimed. Each URI is a member,
opened by the byte offset of its `data:` (`datauri:offset=1234`) and shown as
`datauri-1234.png`. The payload may be broken by whitespace, percent-escaped (`%2B`) or
JSON-escaped (`\\/`, also in `image\\/png`; `\\n`); it is read up to `MAX_ENCODED` bytes (longer ones are a
Problem).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import unquote_to_bytes

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
)
from scanner.evidence.streams import BytesStream, Stream

SNIFF_SPAN = 1 << 20
CHUNK = 1 << 20
OVERLAP = 256  # a URI's prefix cut by a chunk boundary is found in the next chunk
MAX_ENCODED = 96 << 20
START = re.compile(
    rb"data:image(?:/|\\/)([a-z0-9.+-]{1,40})((?:;[^,;\"'<>\s]{0,100})*?);base64,", re.I
)
PAYLOAD = re.compile(rb"(?:[A-Za-z0-9+/=_-]|\s|%[0-9A-Fa-f]{2}|\\[/nrt]|\\u00(?:2[bBfF]|3[dD]))+")
EXTENSIONS = {b"jpeg": "jpg", b"jpg": "jpg", b"svg+xml": "svg", b"x-icon": "ico"}
VALUE = re.compile(r"^offset=(\d{1,20})$")
TEXT_CONTROL = set(range(32)) - {9, 10, 12, 13}


class DataUriContainer(Container):
    kind: ClassVar[str] = "datauri"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        if not head or b"\x00" in head or sum(b in TEXT_CONTROL for b in head) > len(head) // 100:
            return False
        return START.search(stream.read(0, SNIFF_SPAN)) is not None

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream

    def members(self) -> Iterator[Member | Problem]:
        at = 0
        while at < self._stream.size:
            chunk = self._stream.read(at, CHUNK + OVERLAP)
            if not chunk:
                return
            match = START.search(chunk)
            if match is None or match.start() >= CHUNK and at + len(chunk) < self._stream.size:
                at += CHUNK
                continue
            offset = at + match.start()
            try:
                data, end, subtype = self._decode(offset)
            except EvidenceError as exc:
                yield Problem(str(exc))
                at = offset + len(match.group(0))
                continue
            extension = (
                EXTENSIONS.get(subtype.lower())
                or re.sub(rb"[^a-z0-9]", b"", subtype.lower()).decode()
            )
            yield Member(f"offset={offset}", f"datauri-{offset}.{extension or 'bin'}", len(data))
            at = end

    def open(self, value: str) -> Stream:
        match = VALUE.match(value)
        if match is None:
            raise EvidenceError(f"datauri step value must be offset=<number>, not {value[:80]!r}")
        data, _, _ = self._decode(int(match.group(1)))
        return BytesStream(data)

    def _decode(self, offset: int) -> tuple[bytes, int, bytes]:
        """The decoded picture of the URI at `offset`, where its payload ends, its subtype."""
        head = self._stream.read(offset, 512)
        match = START.match(head)
        if match is None:
            raise EvidenceError(f"datauri: no data:image URI at offset {offset}")
        start = offset + match.end()
        encoded = bytearray()
        at = start
        while True:
            piece = self._stream.read(at, CHUNK)
            run = PAYLOAD.match(piece)
            length = run.end() if run else 0
            encoded += piece[:length]
            at += length
            if len(encoded) > MAX_ENCODED:
                raise EvidenceError(
                    f"datauri at offset {offset}: payload over the {MAX_ENCODED}-byte limit"
                )
            if length < len(piece) or not piece:
                break
        try:
            return _base64(bytes(encoded)), at, match.group(1)
        except (binascii.Error, ValueError) as exc:
            raise EvidenceError(
                f"datauri at offset {offset}: payload is not base64: {exc}"
            ) from exc


def _base64(text: bytes) -> bytes:
    """Base64 with JSON escapes, percent-escapes and whitespace removed (URL-safe too)."""
    text = re.sub(rb"\\[nrt]", b"", text).replace(b"\\/", b"/")
    text = re.sub(rb"\\u00(..)", lambda m: bytes([int(m.group(1), 16)]), text)
    text = unquote_to_bytes(re.sub(rb"\s", b"", text))
    text = text.rstrip(b"=")
    if not text:
        raise ValueError("empty payload")
    text += b"=" * (-len(text) % 4)
    altchars = b"-_" if b"-" in text or b"_" in text else None
    return base64.b64decode(text, altchars=altchars, validate=True)


CONTAINERS.add("datauri", DataUriContainer, "data:image base64 pictures in HTML, JSON, text")
