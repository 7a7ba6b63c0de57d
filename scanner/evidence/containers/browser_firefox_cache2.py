"""Firefox (desktop and Android/Fenix) `cache2/entries/<SHA-1>` files, one cached
response each.

Layout (Firefox `netwerk/cache2/CacheFileMetadata`, big-endian): the content first,
then the metadata, then the metadata's offset as the file's last 4 bytes. Metadata: a
hash (4), one 2-byte hash per 256 KiB chunk of content, the header (version,
fetch count, last fetched, last modified, frecency, expiration time, key size; version
2 and later add flags), the key and a NUL (`a,:https://…`, `O^partitionKey=…,:https://…`),
then NUL-separated name/value elements (`response-head` holds the HTTP headers).
The member is the content, its `Content-Encoding` undone.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import ClassVar

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
)
from scanner.evidence.containers.cache_common import (
    decode_body,
    iso_time,
    parse_headers,
    text,
    url_member_path,
)
from scanner.evidence.streams import BytesStream, RangeStream, Stream, read_all

STORE = "firefox-cache2"
CHUNK = 256 << 10
HEADER_V1 = struct.Struct(">7I")
HEADER_V2 = struct.Struct(">8I")
VERSIONS = (1, 2, 3)
MAX_KEY = 64 << 10
MAX_META = 1 << 20
KEY_URL = re.compile(r"(?:^|,):(.*)$", re.DOTALL)


def _metadata(stream: Stream) -> tuple[int, tuple[int, ...], bytes] | None:
    """(content size, header fields, what follows the header) if `stream` ends in
    cache2 metadata, else None."""
    size = stream.size
    if size < 4 + HEADER_V1.size + 2:
        return None
    offset = int.from_bytes(stream.read(size - 4, 4), "big")
    if offset > size - 4 - 4 - HEADER_V1.size:
        return None
    hashes = -(-offset // CHUNK)
    at = offset + 4 + 2 * hashes
    head = stream.read(at, HEADER_V2.size)  # a small read first: most files stop here
    if len(head) < HEADER_V2.size or struct.unpack_from(">I", head)[0] not in VERSIONS:
        return None
    header = HEADER_V1 if head[3] == 1 else HEADER_V2
    fields = header.unpack_from(head)
    key_size = fields[6]
    if key_size == 0 or key_size > min(MAX_KEY, size - 4 - at - header.size - 1):
        return None
    rest = stream.read(at + header.size, min(MAX_META, size - 4 - at - header.size))
    if rest[key_size] != 0:
        return None
    return offset, fields, rest


class FirefoxCacheEntry(Container):
    kind: ClassVar[str] = "firefox-cache2"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        found = _metadata(stream)
        return found is not None and KEY_URL.search(text(found[2][: found[1][6]])) is not None

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream
        self._limit = min(options.max_member_bytes, options.bomb_limit(stream.size))
        found = _metadata(stream)
        if found is None:
            raise EvidenceError(f"{STORE}: no cache2 metadata at the end of the entry")
        self._size, fields, rest = found
        key_size = fields[6]
        self.key = text(rest[:key_size], MAX_KEY)
        match = KEY_URL.search(self.key)
        self.url = match.group(1) if match else self.key
        self._fields = fields
        self._elements = _elements(rest[key_size + 1 :])
        self._headers = parse_headers(self._elements.get("response-head", ""))

    def members(self) -> Iterator[Member | Problem]:
        version, fetches, fetched, modified, _, expires = self._fields[:6]
        status, headers = self._headers
        origin = {
            "store": STORE,
            "entry": self.key[:2048],
            "url": self.url[:2048],
            "cached": iso_time(fetched),
            "server_modified": iso_time(modified),
            "expires": iso_time(expires),
            "fetch_count": str(fetches),
            "http_status": status[:80],
            "content_type": headers.get("content-type", "")[:120],
        }
        origin = {k: v for k, v in origin.items() if v}
        encoding = headers.get("content-encoding", "")
        size = self._size
        value = "content:raw"
        if encoding and encoding.lower() != "identity":
            origin["content_encoding"] = encoding[:40]
            try:
                size, value = len(self._decoded(encoding)), "content:decoded"
            except EvidenceError as exc:
                yield Problem(f"{STORE}: {self.url[:200]!r}: {exc}; the encoded content is listed")
                origin["note"] = f"not decoded: {exc}"[:200]
        yield Member(value, url_member_path(self.url, "entry"), size, origin=origin)

    def _decoded(self, encoding: str) -> bytes:
        body = read_all(RangeStream(self._stream, 0, self._size), self._limit)
        return decode_body(body, encoding, self._limit)

    def open(self, value: str) -> Stream:
        if value == "content:raw":
            return RangeStream(self._stream, 0, self._size)
        if value == "content:decoded":
            return BytesStream(self._decoded(self._headers[1].get("content-encoding", "")))
        raise EvidenceError(f"{STORE}: an entry has one member, not {value[:80]!r}")


def _elements(raw: bytes) -> dict[str, str]:
    """The metadata's name/value elements (NUL-terminated strings in pairs)."""
    parts = raw.split(b"\0")
    return {text(parts[i], 256): text(parts[i + 1], 1 << 16) for i in range(0, len(parts) - 1, 2)}


CONTAINERS.add("firefox-cache2", FirefoxCacheEntry, "Firefox cache2 entry")
