"""The streaming carving engine: chunks with an overlap margin, signature scan, worker processes.

Each extent is cut into fixed-size chunks. A worker reads one chunk plus a margin as long as
the longest signature, so a magic number on a chunk boundary is found exactly once (by the
chunk its file starts in, as bulk_extractor does with page + margin). Carvers then walk the
structure from each hit, reading past the chunk when a file is longer; memory stays bounded
by the chunk size whatever the extent size.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import struct
import zlib
from collections import deque
from collections.abc import Callable, Collection, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass

from scanner.carve import builtin  # noqa: F401  (fills the registry)
from scanner.carve.end_claims import EndClaims
from scanner.carve.partial_cuts import PartialCuts
from scanner.carve.reassemble import reassemble
from scanner.carve.registry import CARVERS, Carver, Found, all_kinds
from scanner.carve.signatures import SignatureScanner
from scanner.carve.window import MediaReader, Window
from scanner.lib.processes import exit_with
from scanner.types import Extent

log = logging.getLogger(__name__)

CHUNK_SIZE = 8 << 20
IN_FLIGHT = 8  # queued chunks per worker, so one slow chunk does not idle the others
MAX_FRAMES = 100_000  # video frame ranges kept before those behind the scan are forgotten
CARVER_ERRORS = (ValueError, IndexError, OverflowError, struct.error, zlib.error, RecursionError)


@dataclass(frozen=True)
class CarvedFile:
    """One recovered file: kind, byte runs in media coordinates (file order) and provenance."""

    kind: str
    runs: tuple[tuple[int, int], ...]
    complete: bool
    valid_length: int
    extent: Extent

    def __post_init__(self) -> None:
        if not self.runs:
            raise ValueError("expected at least one byte run, got none")
        if self.valid_length != sum(length for _, length in self.runs):
            raise ValueError(f"valid_length {self.valid_length} != sum of run lengths {self.runs}")

    @property
    def offset(self) -> int:
        return self.runs[0][0]

    def runs_text(self) -> str:
        """Runs as in a carve locator step: ``0x3000+81920,0x9000+4096``."""
        return ",".join(f"{offset:#x}+{length}" for offset, length in self.runs)


@dataclass(frozen=True)
class _Task:
    extent_start: int
    extent_end: int
    chunk_start: int
    chunk_end: int
    kinds: frozenset[str]


@dataclass(frozen=True)
class _EndMarker:
    """Not a carver: where the last fragments of broken files may end (see reassemble)."""

    name: str
    signatures: tuple[tuple[bytes, int], ...]


JPEG_EOI, PNG_IEND = "end:jpg", "end:png"
END_MARKERS = {
    "jpg": _EndMarker(JPEG_EOI, ((b"\xff\xd9", 0),)),
    "png": _EndMarker(PNG_IEND, ((b"IEND\xaeB`\x82", 0),)),
}


@dataclass
class _Chunk:
    """One chunk's files, and the JPEG EOIs and PNG IEND types starting in it."""

    found: list[Found]
    eois: list[int]
    iends: list[int]


def _selected(kinds: Collection[str] | None) -> frozenset[str]:
    known = set(all_kinds())
    if kinds is None:
        return frozenset(known)
    wanted = {kind.strip().lower() for kind in kinds if kind.strip()}
    unknown = wanted - known
    if unknown:
        raise ValueError(f"unknown file types {sorted(unknown)}; known: {sorted(known)}")
    return frozenset(wanted)


def _margin(carvers: Iterable[Carver]) -> int:
    return max((len(magic) + at for c in carvers for magic, at in c.signatures), default=0)


def scan_chunk(reader: MediaReader, task: _Task) -> _Chunk:
    """Every file starting in the task's chunk, sorted by start offset, and its end markers."""
    carvers = [c for c in CARVERS.values() if task.kinds.intersection(c.kinds)]
    length = min(task.chunk_end + _margin(carvers), task.extent_end) - task.chunk_start
    window = Window(reader, task.extent_start, task.extent_end)
    buffer = window.read(task.chunk_start, length)
    window.buffer, window.buffer_offset = buffer, task.chunk_start
    limit = task.chunk_end - task.chunk_start
    found: list[Found] = []
    markers = [END_MARKERS[kind] for kind in sorted(task.kinds) if kind in END_MARKERS]
    hits = _scanner(task.kinds, [*carvers, *markers]).starts(buffer, limit)
    for carver in carvers:
        for start in sorted(hits.get(carver.name, ())):
            try:
                item = carver.carve(window, task.chunk_start + start)
            except CARVER_ERRORS as exc:  # hostile bytes must not stop the scan
                log.debug("%s carver at %d: %r", carver.name, task.chunk_start + start, exc)
                item = None
            if item is not None and item.kind in task.kinds:
                found.append(item)
    found.sort(key=lambda item: (item.start, item.kind))
    eois = sorted(task.chunk_start + pos for pos in hits.get(JPEG_EOI, ()))
    iends = sorted(task.chunk_start + pos for pos in hits.get(PNG_IEND, ()))
    return _Chunk(found, eois, iends)


_scanners: dict[frozenset[str], SignatureScanner] = {}


def _scanner(kinds: frozenset[str], carvers: list[Carver | _EndMarker]) -> SignatureScanner:
    if kinds not in _scanners:
        _scanners[kinds] = SignatureScanner(carvers)
    return _scanners[kinds]


def _tasks(
    extents: Iterable[Extent], kinds: frozenset[str], chunk_size: int
) -> Iterator[tuple[Extent, _Task]]:
    for extent in extents:
        for chunk_start in range(extent.offset, extent.end, chunk_size):
            chunk_end = min(chunk_start + chunk_size, extent.end)
            yield extent, _Task(extent.offset, extent.end, chunk_start, chunk_end, kinds)


_worker_reader: MediaReader | None = None


def _init_worker(open_reader: Callable[[], MediaReader]) -> None:
    global _worker_reader
    exit_with(os.getppid())  # forked by the carving process: end with it
    _worker_reader = open_reader()


def _run_task(task: _Task) -> _Chunk:
    if _worker_reader is None:
        raise RuntimeError("carve worker started without a reader")
    return scan_chunk(_worker_reader, task)


def carve(
    open_reader: Callable[[], MediaReader],
    extents: Iterable[Extent],
    types: Collection[str] | None = None,
    workers: int = 2,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[CarvedFile]:
    """Carve every file of the given types from the extents, in extent and offset order.

    `open_reader` is a picklable zero-argument callable; each worker process opens its own
    reader with it. `types` are kinds such as 'jpg' or 'mp4' (None: all). Memory per worker
    is about one `chunk_size`. Two files never share an end (see end_claims); a file cut
    short runs only until the next file of its kind (see partial_cuts). Raises
    ValueError for an unknown type.
    """
    if chunk_size < 4096:
        raise ValueError(f"chunk_size must be at least 4096, got {chunk_size}")
    tasks = _tasks(extents, _selected(types), chunk_size)
    claims, cuts = EndClaims(), PartialCuts()
    frames = VideoFrames()
    current: Extent | None = None
    held = _Held(open_reader)
    with closing(_results(open_reader, tasks, workers)) as results:
        for extent, task, chunk in results:
            if current is not None and extent is not current:
                yield from _wrap(held.finish(_flush(claims, cuts), current), current)
                frames = VideoFrames()
            current = extent
            found = frames.drop(chunk.found, task.chunk_start)
            settled = claims.add(found, task.chunk_end)
            held.add(cuts.add(settled, task.chunk_end), chunk)
    if current is not None:
        yield from _wrap(held.finish(_flush(claims, cuts), current), current)


class _Held:
    """An extent's files, held until it is done, when broken ones are paired with second
    fragments from anywhere in it (see reassemble)."""

    def __init__(self, open_reader: Callable[[], MediaReader]) -> None:
        self.open_reader = open_reader
        self.reader: MediaReader | None = None
        self.found: list[Found] = []
        self.eois: list[int] = []
        self.iends: list[int] = []

    def add(self, found: list[Found], chunk: _Chunk) -> None:
        self.found.extend(found)
        self.eois.extend(chunk.eois)
        self.iends.extend(chunk.iends)

    def finish(self, last: list[Found], extent: Extent) -> list[Found]:
        found, eois, iends = self.found + last, self.eois, self.iends
        self.found, self.eois, self.iends = [], [], []
        if not any(item.repair for item in found):
            return found
        if self.reader is None:
            self.reader = self.open_reader()
        return reassemble(Window(self.reader, extent.offset, extent.end), found, eois, iends)


def _flush(claims: EndClaims, cuts: PartialCuts) -> list[Found]:
    """The files still held at the end of an extent."""
    return cuts.add(claims.flush(), 0) + cuts.flush()


class VideoFrames:
    """The frames of the complete videos found so far in an extent (see `samples`): a
    file carved at exactly a frame's bytes is that frame, not a file of its own."""

    def __init__(self) -> None:
        self._ranges: set[tuple[int, int]] = set()

    def drop(self, found: list[Found], chunk_start: int) -> list[Found]:
        """`found` (one chunk's files, in offset order) without the frames of its videos or
        of earlier ones."""
        if len(self._ranges) > MAX_FRAMES:  # files of later chunks start at chunk_start on
            self._ranges = {r for r in self._ranges if r[0] >= chunk_start}
        for item in found:
            self._ranges.update(item.samples)
        if not self._ranges:
            return found
        return [item for item in found if len(item.runs) > 1 or item.runs[0] not in self._ranges]


def _results(
    open_reader: Callable[[], MediaReader],
    tasks: Iterator[tuple[Extent, _Task]],
    workers: int,
) -> Generator[tuple[Extent, _Task, _Chunk], None, None]:
    """Each chunk's files, chunk after chunk, from this process or from worker processes."""
    if workers <= 1:
        reader = open_reader()
        for extent, task in tasks:
            yield extent, task, scan_chunk(reader, task)
        return
    # fork: workers inherit the imported carvers; each opens its own reader in _init_worker
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, context, _init_worker, (open_reader,))
    try:
        pending: deque[tuple[Extent, _Task, Future[_Chunk]]] = deque()
        for extent, task in tasks:
            pending.append((extent, task, pool.submit(_run_task, task)))
            if len(pending) >= IN_FLIGHT * workers:
                done_extent, done_task, future = pending.popleft()
                yield done_extent, done_task, future.result()
        while pending:
            done_extent, done_task, future = pending.popleft()
            yield done_extent, done_task, future.result()
    finally:  # also when the consumer stops early: queued chunks are dropped
        pool.shutdown(wait=True, cancel_futures=True)


def _wrap(found: list[Found], extent: Extent) -> Iterator[CarvedFile]:
    for item in found:
        yield CarvedFile(item.kind, item.runs, item.complete, item.length, extent)
