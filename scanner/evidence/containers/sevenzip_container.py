"""7-Zip archives, by `py7zr`, never extracted to disk.

Members are opened by name (`7z:member=DCIM/a.jpg`; a later member with a name already
seen is `member=NAME@INDEX`, its index in the archive's file list). A member of a solid
block can only be decompressed from the block's start: py7zr pushes the decompressed
bytes of the member (after decompressing and checking those before it) into a writer,
which a reader thread hands over in 1 MiB pieces. Small members are decompressed whole
into memory once; larger ones are read through a bounded queue (memory stays bounded
whatever the member's size) and a jump backwards decompresses again from the block's
start. Encrypted archives need `options.password`.
"""

from __future__ import annotations

import io
import lzma
import queue
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import py7zr
from py7zr.exceptions import ArchiveError, PasswordRequired
from py7zr.io import Py7zIO, WriterFactory
from py7zr.py7zr import MemIO, Worker  # type: ignore[attr-defined]

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    member_value,
    printable,
)
from scanner.evidence.streams import BytesStream, SequentialStream, Stream, stream_file
from scanner.types import Times

SIGNATURE = b"7z\xbc\xaf\x27\x1c"
IN_MEMORY = 64 << 20  # members up to this size are decompressed whole, once
PIECE = 1 << 20
QUEUED = 8  # pieces waiting for the reader at most
BASIS = "utc (7z file time)"
DAMAGE = (ArchiveError, lzma.LZMAError, zlib.error, EOFError, OSError, ValueError, KeyError)


class SevenZipContainer(Container):
    kind: ClassVar[str] = "7z"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head.startswith(SIGNATURE)

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream
        self._password = options.password
        self._limit = options.bomb_limit(stream.size)
        self._parsed = self._archive()
        self._lock = threading.Lock()  # one extraction at a time: py7zr keeps state in folders
        self._current: _MemberReader | None = None
        self._files: dict[str, tuple[int, Any]] = {}
        for index, entry in enumerate(self._parsed.files):
            if entry.is_directory or entry.is_socket:
                continue
            value = f"member={printable(entry.filename)}"
            if value in self._files:
                value = f"{value}@{index}"
            self._files[value] = (index, entry)

    def _archive(self) -> py7zr.SevenZipFile:
        try:
            return py7zr.SevenZipFile(stream_file(self._stream), password=self._password)
        except PasswordRequired:
            raise EvidenceError(
                "7z: the archive's file list is encrypted: a password is needed (--password)"
            ) from None
        except DAMAGE as exc:
            if self._password is not None:
                raise EvidenceError(
                    f"7z: cannot read the file list with the given password (wrong password?): {exc}"
                ) from exc
            raise EvidenceError(f"not a readable 7z: {exc}") from exc

    def members(self) -> Iterator[Member | Problem]:
        for value, (_, entry) in self._files.items():
            yield Member(value, printable(entry.filename), entry.uncompressed, _times(entry))

    def open(self, value: str) -> Stream:
        found = self._files.get(value)
        if found is None:
            raise EvidenceError(f"no 7z member {member_value(value)[:200]!r}")
        index, entry = found
        if entry.emptystream:
            return BytesStream(b"")
        if entry.uncompressed <= IN_MEMORY:
            with self._reader(index, entry.filename) as reader:
                return BytesStream(reader.read())
        return SequentialStream(
            lambda: io.BufferedReader(self._reader(index, entry.filename), PIECE),
            entry.uncompressed,
        )

    def _reader(self, index: int, name: str) -> _MemberReader:
        """A reader of one member; an earlier reader still running is stopped first."""
        if self._current is not None:
            self._current.close()
        self._current = _MemberReader(
            lambda factory: self._extract(index, factory), printable(name)[:200], self._password
        )
        return self._current

    def _extract(self, index: int, factory: WriterFactory) -> None:
        """Decompress member `index` into `factory`'s writer, with a fresh py7zr worker on
        the header parsed once (a parse per member is quadratic in the member count)."""
        archive = self._parsed
        with self._lock:
            worker = Worker(archive.files, archive.afterheader, archive.header)
            for folder in _folders(archive):
                folder.decompressor = None
            worker.max_extract_size = self._limit
            target = archive.files[index]
            worker.register_filelike(target.id, MemIO(target.filename, factory))
            worker.extract(stream_file(self._stream), None, parallel=False)


class _MemberReader(io.RawIOBase):
    """The bytes py7zr writes for one member, read from a thread through a bounded queue."""

    def __init__(
        self, extract: Callable[[WriterFactory], None], name: str, password: str | None
    ) -> None:
        super().__init__()
        self._name, self._keyed = name, password is not None
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(QUEUED)
        self._stop = threading.Event()
        self._rest = b""
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(extract,), daemon=True)
        self._thread.start()

    def _run(self, extract: Callable[[WriterFactory], None]) -> None:
        try:
            extract(_Factory(self._put))
            self._put(None)
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            try:
                self._put(exc)
            except _Stopped:
                pass

    def _put(self, item: bytes | BaseException | None) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._rest and not self._done:
            item = self._queue.get()
            if item is None:
                self._done = True
            elif isinstance(item, BaseException):
                self._done = True
                raise self._error(item)
            else:
                self._rest = item
        count = min(len(buffer), len(self._rest))
        buffer[:count] = self._rest[:count]
        self._rest = self._rest[count:]
        return count

    def _error(self, exc: BaseException) -> EvidenceError:
        if isinstance(exc, PasswordRequired):
            return EvidenceError(
                f"7z member {self._name!r} is encrypted: a password is needed (--password)"
            )
        if self._keyed:
            return EvidenceError(
                f"7z member {self._name!r}: cannot decrypt or decompress with the given"
                f" password (wrong password?): {type(exc).__name__}: {exc}"
            )
        return EvidenceError(f"7z member {self._name!r}: damaged: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._stop.set()
        super().close()


class _Stopped(Exception):
    """The reader went away: stop decompressing."""


class _Factory(WriterFactory):
    def __init__(self, put: Callable[[bytes], None]) -> None:
        self._put = put

    def create(self, filename: str) -> Py7zIO:
        return _Writer(self._put)


class _Writer(Py7zIO):
    """Hands what py7zr decompresses to the reader in pieces (py7zr's blocks can be 100 MB)."""

    def __init__(self, put: Callable[[bytes], None]) -> None:
        self._put = put
        self._size = 0

    def write(self, s: bytes | bytearray) -> int:
        view = memoryview(s)
        for at in range(0, len(view), PIECE):
            self._put(bytes(view[at : at + PIECE]))
        self._size += len(view)
        return len(view)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        """Nothing buffered here."""

    def size(self) -> int:
        return self._size


def _folders(archive: py7zr.SevenZipFile) -> list[Any]:
    streams = archive.header.main_streams
    return list(streams.unpackinfo.folders) if streams is not None else []


def _times(entry: Any) -> Times:
    stamp = entry.lastwritetime
    return Times(modified=float(stamp.totimestamp()), basis=BASIS) if stamp else Times()


CONTAINERS.add("7z", SevenZipContainer, "7-Zip archive (py7zr; solid blocks decompressed as read)")
