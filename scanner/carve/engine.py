"""The streaming carving engine: chunks with an overlap margin, signature scan, on the
caller's executor.

Each extent is cut into fixed-size chunks. A worker reads one chunk plus a margin as long as
the longest signature, so a magic number on a chunk boundary is found exactly once (by the
chunk its file starts in, as bulk_extractor does with page + margin). Carvers then walk the
structure from each hit, reading past the chunk when a file is longer; memory stays bounded
by the chunk size whatever the extent size. Once an extent is done, its broken files are
paired with fragments from anywhere in it (see reassemble), one task each. The engine
starts no process: the tasks run on the executor its caller gives (`Runner`).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Generator, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import TypeVar

from scanner.carve import builtin  # noqa: F401  (fills the registry)
from scanner.carve.end_claims import EndClaims
from scanner.carve.partial_cuts import PartialCuts
from scanner.carve.reassemble import Ends, PairJob, needs_pairing, pair_job, reassemble
from scanner.carve.registry import DAMAGE, Carver, Failure, Found, all_kinds, registered
from scanner.carve.signatures import SignatureScanner
from scanner.carve.window import MediaReader, Window
from scanner.lib.processes import exit_with, worker_context
from scanner.types import Extent

log = logging.getLogger(__name__)

CHUNK_SIZE = 8 << 20
IN_FLIGHT = 8  # queued chunks per worker, so one slow chunk does not idle the others
MAX_FRAMES = 100_000  # video frame ranges kept before those behind the scan are forgotten


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
    extent: Extent
    chunk_start: int
    chunk_end: int
    kinds: frozenset[str]
    strict: bool  # a programming error in a carver raises (else it becomes a Failure)


@dataclass(frozen=True)
class _EndMarker:
    """Not a carver: where the last fragments of broken files may end (see reassemble)."""

    name: str
    signatures: tuple[tuple[bytes, int], ...]


EOI = _EndMarker("marker:eoi", ((b"\xff\xd9", 0),))
IEND = _EndMarker("marker:iend", ((b"IEND\xaeB`\x82", 0),))
IDAT = _EndMarker("marker:idat", ((b"IDAT", 0),))
GIF_END = _EndMarker("marker:gif-end", ((b"\x00\x3b", 0),))  # a terminator and the trailer
MARKERS = {"jpg": (EOI,), "png": (IEND, IDAT), "gif": (GIF_END,)}


@dataclass
class _Chunk:
    """One chunk's files, where the markers of MARKERS start in it (by marker name, sorted),
    and the carvers that failed on a programming error."""

    found: list[Found]
    marks: dict[str, list[int]]
    failures: list[Failure]


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
    carvers = [c for c in registered() if task.kinds.intersection(c.kinds)]
    extent = task.extent
    length = min(task.chunk_end + _margin(carvers), extent.end) - task.chunk_start
    window = Window(reader, extent.offset, extent.end)
    buffer = window.read(task.chunk_start, length)
    window.buffer, window.buffer_offset = buffer, task.chunk_start
    limit = task.chunk_end - task.chunk_start
    found: list[Found] = []
    failures: list[Failure] = []
    markers = [m for kind in sorted(task.kinds) for m in MARKERS.get(kind, ())]
    hits = _scanner(task.kinds, [*carvers, *markers]).starts(buffer, limit)
    for carver in carvers:
        for start in sorted(hits.get(carver.name, ())):
            offset = task.chunk_start + start
            try:
                item = carver.carve(window, offset)
            except DAMAGE as exc:  # what damaged bytes raise: the carver found no file
                log.debug("%s carver at %d: %r", carver.name, offset, exc)
                item = None
            except Exception as exc:  # a bug of ours: reported, never taken for damage
                if task.strict:
                    raise
                failures.append(Failure(carver.name, offset, repr(exc)))
                item = None
            if item is not None and item.kind in task.kinds:
                found.append(item)
    found.sort(key=lambda item: (item.start, item.kind))
    marks = {
        m.name: sorted(task.chunk_start + pos for pos in hits.get(m.name, ())) for m in markers
    }
    return _Chunk(found, marks, failures)


_scanners: dict[frozenset[str], SignatureScanner] = {}


def _scanner(kinds: frozenset[str], carvers: list[Carver | _EndMarker]) -> SignatureScanner:
    if kinds not in _scanners:
        _scanners[kinds] = SignatureScanner(carvers)
    return _scanners[kinds]


def _tasks(
    extents: Iterable[Extent], kinds: frozenset[str], chunk_size: int, strict: bool
) -> Iterator[_Task]:
    for extent in extents:
        for chunk_start in range(extent.offset, extent.end, chunk_size):
            chunk_end = min(chunk_start + chunk_size, extent.end)
            yield _Task(extent, chunk_start, chunk_end, kinds, strict)


def process_pool(workers: int, context: BaseContext | None = None) -> ProcessPoolExecutor:
    """A pool of `workers` processes for a caller that has none of its own; they end with
    the caller. They start from the forkserver unless `context` says otherwise (the
    `carve` command forks them: it runs no other thread, and its imports are theirs)."""
    context = context or worker_context(["scanner.carve.engine"])
    return ProcessPoolExecutor(workers, context, exit_with, (os.getpid(),))


def carve(
    open_reader: Callable[[], MediaReader],
    extents: Iterable[Extent],
    types: Collection[str] | None = None,
    executor: Executor | None = None,
    *,
    slots: int = 1,
    chunk_size: int = CHUNK_SIZE,
    on_error: Callable[[Failure, Extent], None] | None = None,
    three_pieces: bool = False,
) -> Iterator[CarvedFile]:
    """Carve every file of the given types from the extents, in extent and offset order.

    `open_reader` is a picklable zero-argument callable; the chunks and the pairing of
    broken files run on the caller's `executor` (its worker processes open their own
    reader with it; `slots`: how many tasks it runs at once), or in this process when
    there is none. `types` are kinds such as 'jpg' or 'mp4' (None: all). Memory per task
    is about one `chunk_size`. Two files never share an end (see end_claims); a file cut
    short runs only until the next file of its kind (see partial_cuts). A programming
    error in a carver raises, or, with `on_error`, is given to it and the carving goes
    on. `three_pieces` also reassembles JPEGs in three pieces (see jpeg_triples). Raises
    ValueError for an unknown type.
    """
    if chunk_size < 4096:
        raise ValueError(f"chunk_size must be at least 4096, got {chunk_size}")
    tasks = _tasks(extents, _selected(types), chunk_size, strict=on_error is None)
    runner = Runner(open_reader, executor, slots)
    claims, cuts = EndClaims(), PartialCuts()
    frames = VideoFrames()
    current: Extent | None = None
    held = _Held(runner, on_error, three_pieces)
    try:
        for task, chunk in runner.map(scan_chunk, tasks):
            extent = task.extent
            if current is not None and extent is not current:
                yield from _wrap(held.finish(_flush(claims, cuts), current), current)
                frames = VideoFrames()
            current = extent
            for failure in chunk.failures:
                if on_error is not None:
                    on_error(failure, extent)
            found = frames.drop(chunk.found, task.chunk_start)
            settled = claims.add(found, task.chunk_end)
            held.add(cuts.add(settled, task.chunk_end), chunk)
        if current is not None:
            yield from _wrap(held.finish(_flush(claims, cuts), current), current)
    finally:
        runner.close()


class _Held:
    """An extent's files, held until it is done, when broken ones are paired with second
    fragments from anywhere in it (see reassemble), on the runner's executor."""

    def __init__(
        self,
        runner: Runner,
        on_error: Callable[[Failure, Extent], None] | None,
        three_pieces: bool,
    ):
        self.runner, self.on_error, self.three_pieces = runner, on_error, three_pieces
        self.found: list[Found] = []
        self.marks: dict[str, list[int]] = defaultdict(list)

    def add(self, found: list[Found], chunk: _Chunk) -> None:
        self.found.extend(found)
        for name, offsets in chunk.marks.items():
            self.marks[name].extend(offsets)

    def finish(self, last: list[Found], extent: Extent) -> list[Found]:
        found, marks = self.found + last, self.marks
        self.found, self.marks = [], defaultdict(list)
        if not needs_pairing(found):
            return found
        window = Window(self.runner.reader(), extent.offset, extent.end)
        ends = Ends.of(window, found, *(marks[m.name] for m in (EOI, IEND, IDAT, GIF_END)))

        def pairs(items: list[Found]) -> Iterator[Found | None]:
            strict = self.on_error is None
            jobs = (PairJob(ends, item, strict, self.three_pieces) for item in items)
            for _, (paired, failure) in self.runner.map(pair_job, jobs):
                if failure is not None and self.on_error is not None:
                    self.on_error(failure, extent)
                yield paired

        return reassemble(window, found, ends, pairs, self.three_pieces)


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


T = TypeVar("T")
R = TypeVar("R")


class Runner:
    """Runs `function(reader, task)` for a stream of tasks, results in task order: on the
    executor (at most IN_FLIGHT tasks a slot queued, each worker process opening the media
    once) or, without one, in this process."""

    def __init__(
        self, open_reader: Callable[[], MediaReader], executor: Executor | None, slots: int
    ) -> None:
        self.open_reader, self.executor = open_reader, executor
        self.limit = IN_FLIGHT * max(1, slots)
        self._reader: MediaReader | None = None
        self._key = uuid.uuid4().hex  # which reader a worker keeps open: this runner's

    def reader(self) -> MediaReader:
        """This process's reader, opened on first use."""
        if self._reader is None:
            self._reader = self.open_reader()
        return self._reader

    def map(
        self, function: Callable[[MediaReader, T], R], tasks: Iterable[T]
    ) -> Generator[tuple[T, R], None, None]:
        """(task, its result) for each task, in order."""
        if self.executor is None:
            for task in tasks:
                yield task, function(self.reader(), task)
            return
        pending: deque[tuple[T, Future[R]]] = deque()
        try:
            for task in tasks:
                pending.append(
                    (
                        task,
                        self.executor.submit(
                            _in_worker, function, self._key, self.open_reader, task
                        ),
                    )
                )
                if len(pending) >= self.limit:
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
        finally:  # also when the consumer stops early: queued tasks are dropped
            for _, future in pending:
                future.cancel()

    def close(self) -> None:
        _close(self._reader)
        self._reader = None


def _close(reader: MediaReader | None) -> None:
    close = getattr(reader, "close", None)
    if close is not None:
        close()


_worker_readers: dict[str, MediaReader] = {}


def _in_worker(
    function: Callable[[MediaReader, T], R],
    key: str,
    open_reader: Callable[[], MediaReader],
    task: T,
) -> R:
    """`function` on this worker process's reader of the runner `key` (opened with
    `open_reader`; the last one used is kept open: tasks of one carving come one after
    another)."""
    if key not in _worker_readers:
        for old in _worker_readers.values():
            _close(old)
        _worker_readers.clear()
        _worker_readers[key] = open_reader()
    return function(_worker_readers[key], task)


def _wrap(found: list[Found], extent: Extent) -> Iterator[CarvedFile]:
    for item in found:
        yield CarvedFile(item.kind, item.runs, item.complete, item.length, extent)
