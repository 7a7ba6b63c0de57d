"""Chromium's simple cache entry files (`Cache_Data/<16 hex>_0`; Android Chrome
`cache/Cache/…`, WebView `app_webview/…/HTTP Cache/…`), one cached response each.

Layout (Chromium `net/disk_cache/simple/simple_entry_format.h`, little-endian): a
`SimpleFileHeader` (magic 0xfcfb6d1ba7725c30, version, key length, key hash; 24 bytes
with padding), the key (the URL, with `1/0/_dk_<site> <site> ` before it where the
cache is partitioned), stream 1 (the HTTP body), a `SimpleFileEOF` (magic
0xf4fa6f45970d41d8, flags, CRC-32, stream size; 24 bytes), stream 0 (the HTTP response
info: a pickle with request/response times and the NUL-separated headers), the key's
SHA-256 when flag 2 is set, and stream 0's EOF. `_1` files (stream 2) hold one stream
and one EOF. The member is the body, its `Content-Encoding` undone.
"""

from __future__ import annotations

import struct
import zlib
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
    chromium_time,
    decode_body,
    iso_time,
    parse_headers,
    text,
    url_member_path,
)
from scanner.evidence.streams import BytesStream, RangeStream, Stream, read_all, read_chunks

STORE = "chromium-simple-cache"
INITIAL_MAGIC = 0xFCFB6D1BA7725C30
FINAL_MAGIC = 0xF4FA6F45970D41D8
SPARSE_MAGIC = 0xEB97BF016553676B
HEADER = struct.Struct("<QIII4x")
EOF = struct.Struct("<QIII4x")
HAS_CRC32, HAS_KEY_SHA256 = 1, 2
MAX_KEY = 64 << 10
MAX_INFO = 1 << 20
VALUE = "body"


class SimpleCacheEntry(Container):
    kind: ClassVar[str] = "chromium-simple"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return len(head) >= HEADER.size and struct.unpack_from("<Q", head)[0] == INITIAL_MAGIC

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream
        self._limit = min(options.max_member_bytes, options.bomb_limit(stream.size))
        _, self.version, key_length, _ = HEADER.unpack(stream.read(0, HEADER.size))
        if key_length > min(MAX_KEY, stream.size - HEADER.size):
            raise EvidenceError(f"{STORE}: key length {key_length} runs past the entry's end")
        self.key = text(stream.read(HEADER.size, key_length), MAX_KEY)
        self.url = self.key.rsplit(" ", 1)[-1].removeprefix("_dk_")
        self._body = (HEADER.size + key_length, 0)
        self._info = b""
        self._problems: list[str] = []
        self._crc: int | None = None
        self._layout(key_length)

    def _layout(self, key_length: int) -> None:
        """Find stream 1 (the body) and stream 0 (the response info) from the end."""
        size = self._stream.size
        start = HEADER.size + key_length
        if struct.unpack("<Q", self._stream.read(start, 8).ljust(8, b"\0"))[0] == SPARSE_MAGIC:
            raise EvidenceError(f"{STORE}: {self.url[:200]!r}: a sparse (_s) file: not read")
        last = self._eof(size - EOF.size)
        if last is None:
            self._problems.append("no EOF record at the end: the entry was cut off")
            self._body = (start, max(0, size - start))
            return
        flags, crc, stream0 = last
        info_end = size - EOF.size - (32 if flags & HAS_KEY_SHA256 else 0)
        info_start = info_end - stream0
        body_eof = self._eof(info_start - EOF.size) if info_start - EOF.size >= start else None
        if body_eof is None:  # a `_1` file: one stream, its EOF last
            self._body = (start, max(0, size - EOF.size - start))
            self._crc = crc if flags & HAS_CRC32 else None
            return
        self._info = self._stream.read(info_start, min(stream0, MAX_INFO))
        self._body = (start, info_start - EOF.size - start)
        self._crc = body_eof[1] if body_eof[0] & HAS_CRC32 else None

    def _eof(self, at: int) -> tuple[int, int, int] | None:
        if at < HEADER.size:
            return None
        magic, flags, crc, stream_size = EOF.unpack(self._stream.read(at, EOF.size))
        if magic != FINAL_MAGIC or stream_size > at:
            return None
        return flags, crc, stream_size

    def _response(self) -> tuple[dict[str, str], dict[str, str]]:
        """(origin fields, header fields) from stream 0."""
        origin: dict[str, str] = {}
        fields: dict[str, str] = {}
        if len(self._info) >= 24:
            request, response = struct.unpack_from("<qq", self._info, 8)
            origin["cached"] = iso_time(chromium_time(response))
            origin["requested"] = iso_time(chromium_time(request))
        at = self._info.find(b"HTTP/")
        if at >= 0:
            end = self._info.find(b"\0\0", at)
            status, fields = parse_headers(text(self._info[at : end if end > 0 else None], 1 << 16))
            origin["http_status"] = status[:80]
            if "content-type" in fields:
                origin["content_type"] = fields["content-type"][:120]
        return {k: v for k, v in origin.items() if v}, fields

    def members(self) -> Iterator[Member | Problem]:
        for problem in self._problems:
            yield Problem(f"{STORE}: {self.url[:200]!r}: {problem}")
        start, size = self._body
        origin, fields = self._response()
        origin = {"store": STORE, "entry": self.key[:2048], "url": self.url[:2048], **origin}
        if self._crc is not None:
            crc = 0
            for chunk in read_chunks(RangeStream(self._stream, start, size)):
                crc = zlib.crc32(chunk, crc)
            if crc != self._crc:
                yield Problem(f"{STORE}: {self.url[:200]!r}: body CRC-32 mismatch; listed anyway")
                origin["note"] = "body CRC-32 mismatch: changed or partly overwritten"
        encoding = fields.get("content-encoding", "")
        if encoding and encoding.lower() != "identity":
            origin["content_encoding"] = encoding[:40]
            try:
                size = len(self._decoded(encoding))
            except EvidenceError as exc:
                yield Problem(f"{STORE}: {self.url[:200]!r}: {exc}; the encoded body is listed")
                origin["note"] = f"not decoded: {exc}"[:200]
                encoding = ""
        value = f"{VALUE}:{'decoded' if encoding else 'raw'}"
        yield Member(value, url_member_path(self.url, "entry"), size, origin=origin)

    def _decoded(self, encoding: str) -> bytes:
        start, size = self._body
        body = read_all(RangeStream(self._stream, start, size), self._limit)
        return decode_body(body, encoding, self._limit)

    def open(self, value: str) -> Stream:
        start, size = self._body
        if value == f"{VALUE}:raw":
            return RangeStream(self._stream, start, size)
        if value == f"{VALUE}:decoded":
            encoding = parse_headers(self._response_headers())[1].get("content-encoding", "")
            return BytesStream(self._decoded(encoding))
        raise EvidenceError(f"{STORE}: an entry has one member, not {value[:80]!r}")

    def _response_headers(self) -> str:
        at = self._info.find(b"HTTP/")
        return text(self._info[at:], 1 << 16) if at >= 0 else ""


CONTAINERS.add("chromium-simple", SimpleCacheEntry, "Chromium simple cache entry (_0/_1 file)")
