"""Single compressed streams: gzip (random access through checkpoints), bzip2 and xz.

Each holds one member, the decompressed data (`gzip:data`), typed by content like any
file: a `.tar.gz` is a gzip whose member is a tar.
"""

from __future__ import annotations

import bz2
import lzma
import struct
from collections.abc import Callable, Iterator
from typing import IO, ClassVar

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
)
from scanner.evidence.containers.inflate import GZIP, InflatedStream
from scanner.evidence.streams import READ_CHUNK, SequentialStream, Stream, stream_file
from scanner.types import Times

VALUE = "data"


class GzipContainer(Container):
    """A gzip file (RFC 1952), concatenated members read as one stream."""

    kind: ClassVar[str] = "gzip"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head[:3] == b"\x1f\x8b\x08"

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream
        self._data = InflatedStream(stream, GZIP)
        self._limit = options.bomb_limit(stream.size)

    def members(self) -> Iterator[Member | Problem]:
        size = self._data.measure(self._limit + 1)
        mtime = _gzip_mtime(self._stream.read(0, 8))
        if self._data.damage:
            yield Problem(f"{self._data.damage}; the {size} bytes before it are read")
        yield Member(VALUE, "", size, Times(modified=mtime, basis="utc (gzip header)"))

    def open(self, value: str) -> Stream:
        if value != VALUE:
            raise EvidenceError(f"gzip has one member, {VALUE!r}, not {value[:80]!r}")
        if self._data.size < 0:
            self._data.measure(self._limit + 1)
        return self._data


def _gzip_mtime(head: bytes) -> float | None:
    """The modification time in a gzip member's header (0: none given)."""
    mtime = struct.unpack_from("<I", head, 4)[0] if len(head) >= 8 else 0
    return float(mtime) if mtime else None


class _ForwardOnly(Container):
    """A compressed stream readable only forwards (bzip2, xz): measured once, then read
    by a `SequentialStream` that restarts when asked to go back."""

    opener: ClassVar[Callable[[IO[bytes]], IO[bytes]]]

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream
        self._limit = options.bomb_limit(stream.size)
        self._size = -1
        self._damage = ""

    def _reopen(self) -> IO[bytes]:
        return type(self).opener(stream_file(self._stream))

    def _measure(self) -> int:
        if self._size < 0:
            size, handle = 0, self._reopen()
            try:
                while size <= self._limit and (chunk := handle.read(READ_CHUNK)):
                    size += len(chunk)
            except (OSError, EOFError, lzma.LZMAError) as exc:
                self._damage = f"damaged compressed data after {size} bytes: {exc}"
            self._size = min(size, self._limit + 1)
        return self._size

    def members(self) -> Iterator[Member | Problem]:
        size = self._measure()
        if self._damage:
            yield Problem(f"{self._damage}; the bytes before it are read")
        yield Member(VALUE, "", size)

    def open(self, value: str) -> Stream:
        if value != VALUE:
            raise EvidenceError(f"{self.kind} has one member, {VALUE!r}, not {value[:80]!r}")
        return SequentialStream(self._reopen, self._measure())


class Bzip2Container(_ForwardOnly):
    kind: ClassVar[str] = "bzip2"
    opener = staticmethod(bz2.BZ2File)  # type: ignore[assignment]

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return (
            head[:3] == b"BZh"
            and head[3:4].isdigit()
            and head[4:10] == bytes.fromhex("314159265359")
        )


class XzContainer(_ForwardOnly):
    kind: ClassVar[str] = "xz"
    opener = staticmethod(lzma.LZMAFile)

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head[:6] == b"\xfd7zXZ\x00"


CONTAINERS.add("gzip", GzipContainer, "gzip stream (random access through checkpoints)")
CONTAINERS.add("bzip2", Bzip2Container, "bzip2 stream")
CONTAINERS.add("xz", XzContainer, "xz stream")
