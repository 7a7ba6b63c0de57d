"""Byte streams: random read access with a size, and the adapters built on it.

Every readable thing the scan meets (a file's data, a byte range of a medium, carved
runs, an archive member) is a `Stream`; libraries that want a file object get one
through `StreamFile`. Backend handles never leave the module that opened them.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import IO, Protocol

from scanner.errors import EvidenceError

READ_CHUNK = 1 << 20


class Stream(Protocol):
    """Random read access with a size: a file's data or a byte range of the medium."""

    size: int

    def read(self, offset: int, length: int) -> bytes: ...

    def advise(self, offset: int, length: int) -> None:
        """Hint that these bytes will be read soon (read ahead; never changes a result)."""


class ByteReader(Protocol):
    """What a `RangeStream` reads from: a medium or another stream."""

    def read(self, offset: int, length: int) -> bytes: ...

    def advise(self, offset: int, length: int) -> None: ...


def read_chunks(stream: Stream, chunk: int = READ_CHUNK) -> Iterator[bytes]:
    """The whole stream in fixed-size chunks (bounded memory)."""
    offset = 0
    while offset < stream.size:
        data = stream.read(offset, min(chunk, stream.size - offset))
        if not data:
            raise EvidenceError(f"short read at {offset} of {stream.size}")
        yield data
        offset += len(data)


def read_all(stream: Stream, limit: int) -> bytes:
    """The whole stream in memory; an error if it is larger than `limit` bytes."""
    if stream.size > limit:
        raise EvidenceError(f"{stream.size} bytes is more than the {limit}-byte limit")
    return b"".join(read_chunks(stream))


class RangeStream:
    """`size` bytes of `reader` starting at `offset`."""

    def __init__(self, reader: ByteReader, offset: int, size: int) -> None:
        self.reader = reader
        self.offset = offset
        self.size = size

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset))
        return self.reader.read(self.offset + offset, length) if length else b""

    def advise(self, offset: int, length: int) -> None:
        length = max(0, min(length, self.size - offset))
        if length:
            self.reader.advise(self.offset + offset, length)


class RunsStream:
    """Several streams read one after the other as one."""

    def __init__(self, parts: list[Stream]) -> None:
        self._parts = parts
        self.size = sum(part.size for part in parts)

    def _pieces(self, offset: int, length: int) -> Iterator[tuple[Stream, int, int]]:
        """(part, offset in part, length) covering [offset, offset + length)."""
        end = min(offset + length, self.size)
        start = 0
        for part in self._parts:
            low, high = max(offset, start), min(end, start + part.size)
            if low < high:
                yield part, low - start, high - low
            start += part.size

    def read(self, offset: int, length: int) -> bytes:
        return b"".join(part.read(at, count) for part, at, count in self._pieces(offset, length))

    def advise(self, offset: int, length: int) -> None:
        for part, at, count in self._pieces(offset, length):
            part.advise(at, count)


class BytesStream:
    """Bytes already in memory (a small decoded member, a data-URI picture)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.size = len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self._data[offset : offset + max(0, length)]

    def advise(self, offset: int, length: int) -> None:
        """Already in memory."""


class FileStream:
    """A regular file of a folder given as evidence, opened read-only on first use and kept
    open for the stream's life (positioned reads: no shared file offset). A stream used in
    another process than the one that opened it (after a fork, or unpickled) opens the file
    again there."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = path
        self.size = os.stat(path).st_size
        self._handle: io.FileIO | None = None
        self._pid = 0

    def _fd(self) -> int:
        if self._handle is None or self._pid != os.getpid():
            self._handle, self._pid = io.FileIO(self._path, "r"), os.getpid()
        return self._handle.fileno()

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset))
        if length == 0:
            return b""
        fd = self._fd()
        data = os.pread(fd, length, offset)
        while 0 < len(data) < length:  # a short read is not yet the end of the file
            more = os.pread(fd, length - len(data), offset + len(data))
            if not more:
                break
            data += more
        return data

    def advise(self, offset: int, length: int) -> None:
        from scanner.evidence.images import advise_file

        try:
            advise_file(self._fd(), offset, length)
        except OSError:
            pass  # a hint only: a file that cannot be opened is reported by read

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_handle": None, "_pid": 0}


class SequentialStream:
    """A stream over a file object that can only be read forwards cheaply (a compressed
    member): reading on from where the last read ended is free, a jump forwards reads
    and drops the bytes between, a jump backwards reopens from the start. The bytes of
    the last read (up to READ_CHUNK) are kept: reading them again (a small member's end,
    looked at after the member was read whole) does not decompress it all again."""

    def __init__(self, reopen: Callable[[], IO[bytes]], size: int) -> None:
        self._reopen = reopen
        self.size = size
        self._handle: IO[bytes] | None = None
        self._at = 0
        self._last_at, self._last = 0, b""

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset))
        if length == 0:
            return b""
        start = offset - self._last_at
        if 0 <= start and start + length <= len(self._last):
            return self._last[start : start + length]
        if self._handle is None or offset < self._at:
            self._handle, self._at = self._reopen(), 0
        while self._at < offset:
            skipped = self._handle.read(min(READ_CHUNK, offset - self._at))
            if not skipped:
                raise EvidenceError(f"member ends at {self._at}, before {offset}")
            self._at += len(skipped)
        data = self._handle.read(length)
        self._at += len(data)
        if len(data) <= READ_CHUNK:
            self._last_at, self._last = offset, data
        return data

    def advise(self, offset: int, length: int) -> None:
        """Nothing to hint: the bytes are computed, not read in place."""


class StreamFile(io.RawIOBase):
    """A read-only, seekable file object over a `Stream` (for zipfile, tarfile, sqlite…)."""

    def __init__(self, stream: Stream) -> None:
        super().__init__()
        self._stream = stream
        self._at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: self._stream.size}[whence]
        if base + offset < 0:
            raise OSError(f"seek to {base + offset}")
        self._at = base + offset
        return self._at

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(self._at, len(buffer))
        buffer[: len(data)] = data
        self._at += len(data)
        return len(data)


def stream_file(stream: Stream) -> IO[bytes]:
    """A buffered file object over `stream`."""
    return io.BufferedReader(StreamFile(stream), buffer_size=1 << 16)
