"""Work done in worker processes: read an item and hash it; analyse a blob.

A task carries a `Locator` (and what is already known of the item); the worker's
resolver reopens its bytes, caching opened evidence and parsed containers per process.
Workers return plain results; only the pipeline's single writer touches the case
database. An item that is a container (an archive, a compressed stream…) comes back with
its members as new items to read.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any

import magic

from scanner.errors import ScannerError
from scanner.evidence.containers import SNIFF_BYTES, ContainerOptions, expand, sniff
from scanner.evidence.containers.ufdr_hashes import verify_stated
from scanner.evidence.resolver import Resolver
from scanner.evidence.streams import (
    READ_CHUNK,
    BytesStream,
    SequentialStream,
    Stream,
    read_all,
    read_chunks,
)
from scanner.hashing.crypto import CryptoHashes, hash_chunks
from scanner.media.sniff import confirm
from scanner.pipeline.tasks import MEDIA_PREFIXES, BlobTask, ItemResult, ItemTask
from scanner.types import BlobAnalysis, FileItem, ItemError, Locator

log = logging.getLogger(__name__)

MAX_PICTURE_BYTES = 512 << 20
IN_MEMORY_BYTES = 32 << 20  # a compressed member up to this size is decompressed once
TDEF = b"TDEF"  # Telegram Desktop's encrypted cache and media files start so
TDEF_REASON = (
    "Telegram Desktop encrypted file (TDEF): its content cannot be read without the"
    " account's local key"
)

AnalyserKey = tuple[tuple[str, ...], int, tuple[tuple[str, str], ...], str]


@dataclass
class WorkerContext:
    """What a worker process keeps between tasks: its resolver (opened evidence, parsed
    containers), the container limits of the scan and the loaded model analysers."""

    options: ContainerOptions = field(default_factory=ContainerOptions)
    resolver: Resolver = field(default_factory=Resolver)
    analysers: dict[AnalyserKey, Any] = field(default_factory=dict)

    def configure(self, options: ContainerOptions, roots: Mapping[str, str] | None = None) -> None:
        """New options and evidence roots; loaded model analysers are kept (once per process)."""
        self.resolver.close()
        self.options, self.resolver = options, Resolver(options, roots)


CONTEXT = WorkerContext()


def init_worker(
    scan_pid: int,
    options: ContainerOptions | None = None,
    roots: Mapping[str, str] | None = None,
) -> None:
    """Runs once in each worker process (a pool's, or a Dask worker's through its plugin);
    it ends with the scan process `scan_pid` (0: a remote worker, which outlives scans).
    `roots` maps evidence paths as recorded to where this process sees them."""
    import cv2

    from scanner.lib.processes import exit_with

    if scan_pid:
        exit_with(scan_pid)
    CONTEXT.configure(options or ContainerOptions(), roots)
    cv2.setNumThreads(1)
    # Pillow warns on stderr about hostile EXIF ("Tag data larger than file"), naming no
    # file; what matters about a picture is in its own error row.
    warnings.filterwarnings("ignore", category=UserWarning, module="PIL")


def item_chunks(locator: Locator) -> Iterator[bytes]:
    """The content of an item in chunks of READ_CHUNK bytes."""
    yield from read_chunks(CONTEXT.resolver.open_stream(locator))


def hash_item(task: ItemTask, stream: Stream | None = None) -> ItemResult:
    """Identify an item by content (libmagic) and, if it is media, hash it in one read;
    a container is hashed too and its members listed."""
    try:
        if stream is None:
            stream = CONTEXT.resolver.open_stream(task.locator)
        stream = _in_memory(task, stream)
        chunks = read_chunks(stream)
        head = next(chunks, b"")
        if head.startswith(TDEF):
            return ItemResult(task, "application/x-tdef", error=TDEF_REASON)
        container = sniff(head[:SNIFF_BYTES], stream) if head else None
        if container is None:
            media_type = (
                confirm(magic.from_buffer(head[:READ_CHUNK], mime=True), head)
                if head
                else "application/x-empty"
            )
            if not media_type.startswith(MEDIA_PREFIXES):
                return ItemResult(task, media_type)
        stream.advise(len(head), stream.size - len(head))  # the rest, in one request
        # one thread: the pool already keeps every core busy
        hashes = hash_chunks(chain([head], chunks), parallel=False)
        task, problems = _stated_checked(task, hashes)
        if container is not None:
            result = _expanded(task, stream, container, hashes.sha256)
            return replace(result, problems=problems + result.problems)
        return ItemResult(
            task, media_type, hashes.md5, hashes.sha1, hashes.sha256, problems=problems
        )
    except (ScannerError, OSError, ValueError, EOFError) as exc:
        return ItemResult(task, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - no single input may stop a scan
        log.exception("unexpected failure reading %s", task.locator)
        return ItemResult(task, error=f"unexpected {type(exc).__name__}: {exc}")


def _stated_checked(task: ItemTask, hashes: CryptoHashes) -> tuple[ItemTask, tuple[ItemError, ...]]:
    """The task with the verdict on the hashes its extraction's report states (a UFDR's
    report.xml), and the warning if the content read differs from them."""
    computed = {"md5": hashes.md5, "sha1": hashes.sha1, "sha256": hashes.sha256}
    origin, reason = verify_stated(task.locator, task.origin, computed)
    if origin is task.origin:
        return task, ()
    task = replace(task, origin=dict(origin))
    return task, (ItemError(str(task.locator), "verify", reason),) if reason else ()


def _in_memory(task: ItemTask, stream: Stream) -> Stream:
    """A compressed member (readable forwards only) of up to IN_MEMORY_BYTES, decompressed
    once into memory: its head, its end (which some containers' signatures are) and its
    digests then cost one decompression instead of two or three. One that cannot be read
    whole is read again the usual way, which reports what is wrong as it always has."""
    if not isinstance(stream, SequentialStream) or stream.size > IN_MEMORY_BYTES:
        return stream
    try:
        return BytesStream(read_all(stream, IN_MEMORY_BYTES))
    except Exception:  # noqa: BLE001 - reported by the usual reading, on a fresh stream
        return CONTEXT.resolver.open_stream(task.locator)


def _expanded(task: ItemTask, stream: Stream, kind: str, sha256: str) -> ItemResult:
    """A container's members (bounded by the scan's limits) as the item's children."""
    result = ItemResult(task, f"container/{kind}", sha256=sha256, container=kind)
    if sha256 in task.enclosing:
        reason = f"{kind}: the same content as a container it was found in: not opened again"
        return replace(result, problems=(ItemError(str(task.locator), "expand", reason),))
    item = FileItem(task.locator, task.path, task.size, task.deleted)
    siblings = CONTEXT.resolver.siblings(task.locator, task.path)
    expansion = expand(kind, stream, item, CONTEXT.options, siblings=siblings)
    return replace(result, children=tuple(expansion.children), problems=tuple(expansion.problems))


def hash_items(tasks: tuple[ItemTask, ...]) -> list[ItemResult]:
    """`hash_item` over a batch (one round trip for many small files). The first chunk of
    every item is asked for at once, so cold evidence is read while earlier items are
    hashed instead of one item at a time."""
    streams = [_advised(task) for task in tasks]
    return [hash_item(task, stream) for task, stream in zip(tasks, streams, strict=True)]


def _advised(task: ItemTask) -> Stream | None:
    """The item's stream with its first chunk hinted; None if it cannot be opened (the
    read in `hash_item` then records why)."""
    try:
        stream = CONTEXT.resolver.open_stream(task.locator)
        stream.advise(0, READ_CHUNK)
        return stream
    except Exception:  # noqa: BLE001 - reported by hash_item
        return None


def analyse_blob(task: BlobTask) -> BlobAnalysis:
    """Decode a picture (or sample a video) and gather every fact the scan asks for."""
    from scanner.analyse.picture import analyse_picture
    from scanner.analyse.video import analyse_video

    try:
        if task.size > MAX_PICTURE_BYTES and task.media_type.startswith("image/"):
            return BlobAnalysis(task.sha256, errors=(f"picture of {task.size} bytes is too large",))
        if task.media_type.startswith("video/"):
            with _spooled(task) as path:
                return analyse_video(task.sha256, path, _analyser(task))
        data = b"".join(item_chunks(task.locator))
        return analyse_picture(task.sha256, data, _analyser(task), task.settings)
    except (ScannerError, OSError, ValueError) as exc:
        return BlobAnalysis(task.sha256, errors=(str(exc),))
    except Exception as exc:  # noqa: BLE001 - no single input may stop a scan
        log.exception("unexpected failure analysing %s", task.sha256)
        return BlobAnalysis(task.sha256, errors=(f"unexpected {type(exc).__name__}: {exc}",))


class _spooled:
    """A video's content in a private temporary file (decoders want a path); removed after."""

    def __init__(self, task: BlobTask) -> None:
        self._task = task
        self._path = ""

    def __enter__(self) -> str:
        handle, self._path = tempfile.mkstemp(prefix="dftriage-", suffix=".media")
        with os.fdopen(handle, "wb") as out:
            for chunk in item_chunks(self._task.locator):
                out.write(chunk)
        return self._path

    def __exit__(self, *exc: object) -> None:
        os.unlink(self._path)


def _analyser(task: BlobTask) -> Any:
    """The per-process model analyser for the requested tasks (loaded once)."""
    tasks = tuple(task.settings.get("models") or ())
    if not tasks:
        return None
    grid = int(task.settings.get("small_face_grid") or 0)
    choice = tuple(sorted((task.settings.get("model_choice") or {}).items()))
    device = str(task.settings.get("device") or "cpu")
    key = (tasks, grid, choice, device)
    if key not in CONTEXT.analysers:
        CONTEXT.analysers[key] = load_analyser(tasks, grid, dict(choice), device)
    return CONTEXT.analysers[key]


def load_analyser(
    tasks: tuple[str, ...],
    small_face_grid: int,
    model_choice: dict[str, str] | None = None,
    device: str = "cpu",
) -> Any:
    """The model analyser for `tasks` (with the model chosen per task, if any) on `device`,
    with tiled small-face search when the grid is >= 2."""
    from scanner.inference.analyser import PictureAnalyser
    from scanner.inference.tiling import SmallFaces

    return PictureAnalyser.load(
        tasks=tasks, choose=model_choice, small_faces=SmallFaces(small_face_grid), device=device
    )
