"""What the cache containers share: HTTP headers and bodies, URLs as safe member paths,
times as origin text, and finding where a JPEG ends.

Everything here reads hostile bytes: sizes are bounded by the caller's limits, and a
URL or a key from evidence becomes text for the report only, never a filesystem path.
"""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import brotli

from scanner.errors import EvidenceError

WINDOWS_EPOCH_US = 11_644_473_600 * 1_000_000  # 1601-01-01 to 1970-01-01 in microseconds
PLAUSIBLE = (788_918_400, 4_102_444_800)  # 1995-01-01 .. 2100-01-01 (POSIX seconds)
MAX_PATH_TEXT = 180  # characters of a URL path kept in a member's path
HEADERS_LIMIT = 64 << 10


def iso_time(seconds: float | None) -> str:
    """POSIX seconds as ISO 8601 UTC text ("" if missing or implausible)."""
    if seconds is None or not PLAUSIBLE[0] <= seconds <= PLAUSIBLE[1]:
        return ""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def chromium_time(value: int) -> float | None:
    """A Chromium `base::Time` internal value (µs since 1601) as POSIX seconds."""
    seconds = (value - WINDOWS_EPOCH_US) / 1e6
    return seconds if PLAUSIBLE[0] <= seconds <= PLAUSIBLE[1] else None


def text(raw: bytes, limit: int = 2048) -> str:
    """Bytes from evidence as printable text (undecodable bytes as \\xNN), bounded."""
    return raw[:limit].decode("utf-8", "backslashreplace")


def url_member_path(url: str, fallback: str) -> str:
    """A member path from a URL's host and path, percent-escaped so that it holds no
    `..`, separators of its own or control characters; `fallback` if there is none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return fallback
    host = quote(parts.hostname or "", safe=".-")
    path = quote(parts.path, safe="-._~!$&'()*+,;=@%")  # "/" is escaped: one segment
    name = f"{host}{path}".replace("..", "%2E%2E")[:MAX_PATH_TEXT]
    return f"{fallback}-{name}" if name else fallback


def parse_headers(raw: str) -> tuple[str, dict[str, str]]:
    """(status line, lower-cased header fields) from HTTP headers separated by NUL or
    CRLF, as Chromium and Firefox store them."""
    lines = [line.strip() for line in re.split(r"[\x00\r\n]+", raw[:HEADERS_LIMIT])]
    lines = [line for line in lines if line]
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields.setdefault(name.strip().lower(), value.strip())
    return (lines[0] if lines else ""), fields


def decode_body(body: bytes, encoding: str, limit: int) -> bytes:
    """An HTTP body with its `Content-Encoding` (gzip, deflate, br) undone, at most
    `limit` bytes of output (more is an error: a decompression bomb)."""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("identity", ""):
            continue
        if coding in ("gzip", "x-gzip", "deflate"):
            body = _inflate(body, coding, limit)
        elif coding == "br":
            body = _unbrotli(body, limit)
        else:
            raise EvidenceError(f"content encoding {coding[:40]!r} is not supported")
    return body


def _inflate(body: bytes, coding: str, limit: int) -> bytes:
    wbits = 47 if coding != "deflate" else (15 if body[:1] == b"\x78" else -15)
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise EvidenceError(f"damaged {coding} body: {exc}") from exc
    if len(out) > limit:
        raise EvidenceError(f"{coding} body decodes to more than {limit} bytes")
    return out


def _unbrotli(body: bytes, limit: int) -> bytes:
    decoder = brotli.Decompressor()
    try:
        out = decoder.process(body, output_buffer_limit=limit + 1)
    except brotli.error as exc:
        raise EvidenceError(f"damaged br body: {exc}") from exc
    if len(out) > limit:
        raise EvidenceError(f"br body decodes to more than {limit} bytes")
    typed: bytes = out
    return typed


def jpeg_end(data: bytes, start: int = 0) -> int | None:
    """Where the JPEG starting at `start` ends (after its EOI), by walking its segments
    to the scan and the entropy-coded data to the EOI; None if it is not a whole JPEG."""
    if data[start : start + 3] != b"\xff\xd8\xff":
        return None
    at = start + 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            at += 2
            continue
        if marker == 0xD9:
            return at + 2
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if length < 2:
            return None
        at += 2 + length
        if marker == 0xDA:  # entropy-coded data: the first FF D9 is the end
            while True:
                found = data.find(b"\xff", at)
                if found < 0 or found + 1 >= len(data):
                    return None
                following = data[found + 1]
                if following == 0xD9:
                    return found + 2
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    at = found + 2
                    continue
                at = found  # another segment (progressive JPEG: next scan)
                break
    return None
