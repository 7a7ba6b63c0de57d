"""Evidence sources: a disk image, a folder or a single file, opened read-only.

A Source lists files (allocated and deleted), the extents to carve, and reads any
item back by its locator. Locators look like
``ewf:case.E01 > part:dos:2@1048576 > ext4:inode=14`` and are the resume key.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scanner.errors import EvidenceError
from scanner.evidence.containers import (
    CONTAINERS,
    SNIFF_BYTES,
    ContainerOptions,
    expand,
    sniff,
)
from scanner.evidence.images import (
    ContainerInfo,
    MediaReader,
    open_container,
    open_media,
)
from scanner.evidence.itunes_backup import ItunesBackupSource, is_itunes_backup
from scanner.evidence.streams import (
    FileStream,
    RangeStream,
    RunsStream,
    Stream,
)
from scanner.evidence.tsk_filesystem import TskFileSystem, TskStream, WalkLimits, WalkReport
from scanner.evidence.tsk_volumes import Partition, TskImage, VolumeLayout, read_layout
from scanner.types import Extent, ExtentKind, FileItem, ItemError, Locator, Times

log = logging.getLogger(__name__)

CARVED_RUN = re.compile(r"0x([0-9a-f]+)\+(\d+)")


@dataclass(frozen=True)
class FileSystemInfo:
    """What `dftriage info` shows of one volume."""

    partition: Partition
    kind: str | None  # None: no recognisable file system
    block_size: int = 0
    allocated: int = 0
    deleted: int = 0
    unallocated_bytes: int = 0
    warning: str = ""


NO_PARTITION_FILES = re.compile(r"microsoft reserved|bios boot", re.IGNORECASE)
NO_PARTITION_FILES_MAX = 128 << 20
NO_FILE_SYSTEM = (
    "no file system recognised (encrypted, damaged or unsupported): its files cannot be"
    " listed; carving (--carve) still reads it"
)


@dataclass
class DiskSource:
    """A disk image in any supported container."""

    path: Path
    reader: MediaReader
    container: ContainerInfo
    limits: WalkLimits = field(default_factory=WalkLimits)
    _layout: VolumeLayout | None = None
    _filesystems: dict[int, TskFileSystem | None] = field(default_factory=dict)
    _reports: dict[int, WalkReport] = field(default_factory=dict)
    _unrecognised: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.image = TskImage(self.reader)
        self.locator = Locator(((self.container.kind, str(self.path.resolve())),))

    @property
    def media_opener(self) -> functools.partial[MediaReader]:
        return functools.partial(open_media, str(self.path))

    @property
    def layout(self) -> VolumeLayout:
        if self._layout is None:
            self._layout = read_layout(self.image, self.reader.size)
        return self._layout

    def filesystem(self, partition: Partition) -> TskFileSystem | None:
        if partition.offset not in self._filesystems:
            try:
                self._filesystems[partition.offset] = TskFileSystem(self.image, partition.offset)
            except EvidenceError as exc:
                log.info("%s: %s", self.locator.child(*partition.step), exc)
                self._filesystems[partition.offset] = None
                self._unrecognised[partition.offset] = str(exc)
        return self._filesystems[partition.offset]

    def walk(self) -> Iterator[FileItem | ItemError]:
        """Every file of every file system; warnings become ItemError records."""
        if self.is_plain_file:
            yield FileItem(
                self.locator.child("file", "whole"), "/" + self.path.name, self.reader.size, False
            )
            return
        for partition in self.layout.partitions:
            fs = self.filesystem(partition)
            base = self.locator.child(*partition.step)
            if fs is None:
                if not _holds_no_files(partition):
                    reason = self._unrecognised.get(partition.offset, "unknown")
                    kind = f"{partition.description}: " if partition.description else ""
                    yield ItemError(str(base), "walk", f"{kind}{NO_FILE_SYSTEM} ({reason})")
                continue
            report = self._reports.setdefault(partition.offset, WalkReport())
            for entry in fs.walk(report, self.limits):
                yield FileItem(
                    locator=base.child(fs.kind, entry.location),
                    path=entry.path,
                    size=entry.size,
                    deleted=entry.deleted,
                    inode=entry.inode,
                    times=entry.times,
                    stream=entry.stream,
                )
            if report.warning:
                yield ItemError(str(base.child(fs.kind, "walk")), "walk", report.warning)
        if self.image.unreadable:
            yield ItemError(str(self.locator), "walk", unreadable_summary(self.image.unreadable))

    @property
    def is_plain_file(self) -> bool:
        """A raw file with neither partitions nor a file system: a lone file given as evidence."""
        whole = self.layout.partitions[0]
        return self.container.kind == "raw" and whole.index < 0 and self.filesystem(whole) is None

    def extents(self) -> Iterator[Extent]:
        """Unpartitioned gaps, volumes without a file system, and unallocated blocks."""
        for offset, length in self.layout.gaps:
            yield Extent(
                self.locator.child("gap", f"{offset}+{length}"),
                offset,
                length,
                ExtentKind.UNPARTITIONED,
            )
        for partition in self.layout.partitions:
            base = self.locator.child(*partition.step)
            fs = self.filesystem(partition)
            if fs is None:
                yield Extent(base, partition.offset, partition.length, ExtentKind.UNKNOWN_VOLUME)
                continue
            report = self._walk_report(partition, fs)
            for offset, length in fs.unallocated(report):
                length = min(length, partition.end - offset)
                if length > 0:
                    locator = base.child(fs.kind, f"unalloc={offset - partition.offset}+{length}")
                    yield Extent(locator, offset, length, ExtentKind.UNALLOCATED)

    def _walk_report(self, partition: Partition, fs: TskFileSystem) -> WalkReport:
        report = self._reports.get(partition.offset)
        if report is None or report.allocated_runs is None:
            report = WalkReport()
            for _ in fs.walk(report, self.limits):
                pass
            self._reports[partition.offset] = report
        return report

    def filesystems(self) -> list[FileSystemInfo]:
        infos = []
        for partition in self.layout.partitions:
            fs = self.filesystem(partition)
            if fs is None:
                infos.append(FileSystemInfo(partition, None))
                continue
            report = self._walk_report(partition, fs)
            free = sum(length for _, length in fs.unallocated(report))
            infos.append(
                FileSystemInfo(
                    partition,
                    fs.kind,
                    fs.block_size,
                    report.allocated,
                    report.deleted,
                    free,
                    report.warning,
                )
            )
        return infos

    def open_item(self, locator: Locator) -> Stream:
        """The data of a file (or carved runs) named by `locator`."""
        steps = dict(locator.steps[1:2])
        if "carve" in steps:
            return self.media_runs(_carved_runs(steps["carve"]))
        if steps.get("file") == "whole":
            return self.media_range(0, self.reader.size)
        if "vol" not in steps and "part" not in steps:
            raise EvidenceError(f"{locator}: not a file locator of {self.path.name}")
        offset = int(locator.steps[1][1].rsplit("@", 1)[1]) if "part" in steps else 0
        fs = self._filesystems.get(offset) or self.filesystem(_partition_at(self.layout, offset))
        if fs is None or len(locator.steps) < 3:
            raise EvidenceError(f"{locator}: no file system at offset {offset}")
        inode, attr_type, attr_id = _parse_inode(locator.steps[2][1])
        stream: TskStream = fs.open(inode, attr_type, attr_id)
        return stream

    def find_path(self, volume: Locator, path: str) -> str | None:
        """The step value (`inode=N`) of the regular file at `path` in the file system of
        the volume `volume` names (a sibling of a cache file), or None."""
        steps = dict(volume.steps[1:2])
        if "vol" not in steps and "part" not in steps:
            return None
        offset = int(volume.steps[1][1].rsplit("@", 1)[1]) if "part" in steps else 0
        try:
            fs = self._filesystems.get(offset) or self.filesystem(
                _partition_at(self.layout, offset)
            )
        except EvidenceError:
            return None
        inode = fs.lookup(path) if fs is not None else None
        return None if inode is None else f"inode={inode}"

    def media_range(self, offset: int, length: int) -> Stream:
        return RangeStream(self.reader, offset, length)

    def media_runs(self, runs: tuple[tuple[int, int], ...]) -> Stream:
        """Byte runs of the medium read as one stream (a carved item's content)."""
        for offset, length in runs:
            if offset + length > self.reader.size:
                raise EvidenceError(f"carved run 0x{offset:x}+{length} ends past the medium")
        return RunsStream([self.media_range(offset, length) for offset, length in runs])

    def close(self) -> None:
        self.reader.close()


def _partition_at(layout: VolumeLayout, offset: int) -> Partition:
    for partition in layout.partitions:
        if partition.offset == offset:
            return partition
    raise EvidenceError(f"no partition at offset {offset}")


def _carved_runs(value: str) -> tuple[tuple[int, int], ...]:
    """The byte runs of a carve step value, e.g. ``jpg:runs=0x3000+81920,0x9000+4096``."""
    runs = tuple((int(o, 16), int(n)) for o, n in CARVED_RUN.findall(value.partition("runs=")[2]))
    if not runs:
        raise EvidenceError(f"carve step without byte runs: {value[:80]!r}")
    return runs


def _parse_inode(value: str) -> tuple[int, int | None, int | None]:
    fields = dict(part.split("=", 1) for part in value.split(","))
    attr_type = attr_id = None
    if "attr" in fields:
        attr_type, attr_id = (int(x) for x in fields["attr"].split("-"))
    return int(fields["inode"]), attr_type, attr_id


@dataclass
class FolderSource:
    """A folder walked as a live file system (no deleted files, no unallocated space)."""

    path: Path
    limits: WalkLimits = field(default_factory=WalkLimits)

    def __post_init__(self) -> None:
        self.root = self.path.resolve()
        self.locator = Locator((("folder", str(self.root)),))
        self.container = ContainerInfo("folder", 0, (str(self.path),))

    def walk(self) -> Iterator[FileItem | ItemError]:
        count = 0
        for dirpath, dirnames, filenames in os.walk(self.root, onerror=None, followlinks=False):
            dirnames.sort()
            depth = len(Path(dirpath).relative_to(self.root).parts)
            if depth >= self.limits.max_depth:
                dirnames.clear()
            for name in sorted(filenames):
                full = Path(dirpath) / name
                relative = full.relative_to(self.root).as_posix()
                count += 1
                if count > self.limits.max_entries:
                    yield ItemError(str(self.locator), "walk", "entry limit reached")
                    return
                try:
                    info = full.lstat()
                except OSError as exc:
                    yield ItemError(str(self.locator.child("file", relative)), "walk", str(exc))
                    continue
                if not stat.S_ISREG(info.st_mode):
                    continue
                yield FileItem(
                    locator=self.locator.child("file", relative),
                    path="/" + relative,
                    size=info.st_size,
                    deleted=False,
                    inode=info.st_ino,
                    times=Times(info.st_mtime, info.st_atime, info.st_ctime, None),
                )

    def extents(self) -> Iterator[Extent]:
        return iter(())

    def open_item(self, locator: Locator) -> Stream:
        relative = dict(locator.steps).get("file", "")
        full = (self.root / relative).resolve()
        if self.root not in full.parents:
            raise EvidenceError(f"{locator}: outside the evidence folder")
        return FileStream(full)

    def find_path(self, folder: Locator, path: str) -> str | None:
        """The step value (the relative path) of the regular file at `path` in the folder."""
        candidate = self.root / path.lstrip("/")
        try:
            full = candidate.resolve()
            if candidate.is_symlink() or self.root not in full.parents or not full.is_file():
                return None
        except OSError:
            return None
        return full.relative_to(self.root).as_posix()

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class ContainerSource:
    """An archive or extraction given as evidence (a phone's zip or tar, a UFDR, an .ab),
    walked as a file system: every member with its path inside, size and times."""

    path: Path
    kind: str
    options: ContainerOptions = field(default_factory=ContainerOptions)

    def __post_init__(self) -> None:
        self.stream = FileStream(self.path)
        self.locator = Locator((("file", str(self.path.resolve())),))
        self.container = ContainerInfo(
            self.kind, self.stream.size, (str(self.path),), metadata=self._metadata()
        )

    def _metadata(self) -> dict[str, str]:
        """What the container says of the device (a UFDR's Device Info…); {} if it cannot
        be opened (the walk says why)."""
        try:
            return CONTAINERS[self.kind](self.stream, self.options).metadata()
        except Exception:  # noqa: BLE001 - hostile evidence; reported by walk()
            log.debug("%s: no container metadata", self.path, exc_info=True)
            return {}

    def walk(self) -> Iterator[FileItem | ItemError]:
        top = FileItem(self.locator, "", self.stream.size, False)
        expansion = expand(self.kind, self.stream, top, self.options, seconds=0)
        yield from expansion.problems
        yield from expansion.children

    def extents(self) -> Iterator[Extent]:
        return iter(())

    def open_item(self, locator: Locator) -> Stream:
        if locator != self.locator:
            raise EvidenceError(f"{locator}: not the evidence file {self.path.name}")
        return self.stream

    def close(self) -> None:
        """Nothing held open."""


def open_evidence(
    path: str | os.PathLike[str],
    limits: WalkLimits | None = None,
    options: ContainerOptions | None = None,
) -> Source:
    """Open evidence read-only: a folder (an iTunes/Finder backup if it holds Manifest.db),
    an archive or extraction, or any supported image (a lone file that is neither is read
    as raw media). `options` carries the container limits and the user's password."""
    path = Path(path)
    limits = limits or WalkLimits()
    if path.is_dir():
        if is_itunes_backup(path):
            return ItunesBackupSource(path, options or ContainerOptions(), limits)
        return FolderSource(path, limits)
    reader, container = open_container(path)
    disk = DiskSource(path, reader, container, limits)
    if container.kind == "raw" and disk.is_plain_file:
        stream = disk.media_range(0, reader.size)
        kind = sniff(stream.read(0, SNIFF_BYTES), stream)
        if kind is not None:
            disk.close()
            return ContainerSource(path, kind, options or ContainerOptions())
    return disk


Source = DiskSource | FolderSource | ContainerSource | ItunesBackupSource


def _holds_no_files(partition: Partition) -> bool:
    """Small partitions that never hold a file system: GPT's Microsoft reserved partition
    (on every Windows disk) and GRUB's BIOS boot partition. Carving still reads them."""
    return partition.length <= NO_PARTITION_FILES_MAX and bool(
        NO_PARTITION_FILES.search(partition.description)
    )


def unreadable_summary(unreadable: dict[int, tuple[int, str]]) -> str:
    """One line on the sectors a container could not deliver to the file-system walk."""
    count = sum(length for length, _ in unreadable.values())
    offset = min(unreadable)
    return (
        f"{count} bytes in {len(unreadable)} sector(s) unreadable in the container, read as "
        f"zeros by the file-system walk (first at offset {offset}: {unreadable[offset][1]})"
    )
