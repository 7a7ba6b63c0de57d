"""File systems through The Sleuth Kit: bounded walks, file streams and unallocated space."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytsk3

from scanner.errors import EvidenceError
from scanner.evidence.ranges import merge_ranges
from scanner.evidence.tsk_volumes import TskImage
from scanner.lib.registry import Registry
from scanner.types import Times

log = logging.getLogger(__name__)

FILE_SYSTEMS: Registry[tuple[Any, ...]] = Registry("file system")  # name -> TSK types
for _name, _types, _description in (
    ("ntfs", (pytsk3.TSK_FS_TYPE_NTFS,), "NTFS (named data streams too)"),
    ("fat12", (pytsk3.TSK_FS_TYPE_FAT12,), "FAT12"),
    ("fat16", (pytsk3.TSK_FS_TYPE_FAT16,), "FAT16"),
    ("fat32", (pytsk3.TSK_FS_TYPE_FAT32,), "FAT32"),
    ("exfat", (pytsk3.TSK_FS_TYPE_EXFAT,), "exFAT"),
    ("ext2", (pytsk3.TSK_FS_TYPE_EXT2,), "ext2"),
    ("ext3", (pytsk3.TSK_FS_TYPE_EXT3,), "ext3"),
    ("ext4", (pytsk3.TSK_FS_TYPE_EXT4,), "ext4"),
    ("hfs+", (pytsk3.TSK_FS_TYPE_HFS,), "HFS+"),
    ("iso9660", (pytsk3.TSK_FS_TYPE_ISO9660,), "ISO 9660 (optical discs)"),
    ("ufs1", (pytsk3.TSK_FS_TYPE_FFS1, pytsk3.TSK_FS_TYPE_FFS1B), "UFS1 (FFS1, FFS1B)"),
    ("ufs2", (pytsk3.TSK_FS_TYPE_FFS2,), "UFS2 (FFS2)"),
    ("yaffs2", (pytsk3.TSK_FS_TYPE_YAFFS2,), "YAFFS2 (flash memory of older phones)"),
):
    FILE_SYSTEMS.add(_name, _types, f"{_description}; read by The Sleuth Kit")
FS_NAMES = {kind: name for name, kinds in FILE_SYSTEMS.items() for kind in kinds}
DIRECTORY_TYPES = (pytsk3.TSK_FS_META_TYPE_DIR, pytsk3.TSK_FS_META_TYPE_VIRT_DIR)
SPARSE_SYSTEM_STREAMS = ("$Bad",)  # NTFS $BadClus:$Bad spans the volume and holds no data
DATA_TYPES = (
    pytsk3.TSK_FS_ATTR_TYPE_DEFAULT,
    pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA,
    pytsk3.TSK_FS_ATTR_TYPE_HFS_DATA,
)


@dataclass(frozen=True)
class WalkLimits:
    """Bounds on one file-system walk: corrupt metadata must not trap the scan."""

    max_entries: int = 5_000_000
    max_depth: int = 128
    max_seconds: float = 1800.0


@dataclass(frozen=True)
class TskEntry:
    """One file (or one named data stream of it) as found by the walk."""

    path: str
    inode: int
    size: int
    deleted: bool
    times: Times
    attr_type: int | None = None  # None: the default data
    attr_id: int | None = None
    stream: str = ""

    @property
    def location(self) -> str:
        if self.attr_type is None:
            return f"inode={self.inode}"
        return f"inode={self.inode},attr={self.attr_type}-{self.attr_id}"


@dataclass
class WalkReport:
    """What a walk saw besides files: counts, allocated blocks, and why it stopped early."""

    allocated: int = 0
    deleted: int = 0
    name_only: int = 0
    warning: str = ""
    allocated_runs: list[tuple[int, int]] | None = None


class TskFileSystem:
    """A file system at `offset` in a TSK image."""

    def __init__(self, image: TskImage, offset: int) -> None:
        self._image = image
        try:
            self._fs = pytsk3.FS_Info(image, offset=offset)
        except (OSError, RuntimeError) as exc:
            raise EvidenceError(f"no file system at offset {offset}: {_tsk_reason(exc)}") from exc
        info = self._fs.info
        self.offset = offset
        self.kind = FS_NAMES.get(info.ftype, f"type-{int(info.ftype)}")
        self.block_size = int(info.block_size)
        self.block_count = int(info.block_count)
        self.first_block = int(info.first_block)

    def walk(self, report: WalkReport, limits: WalkLimits = WalkLimits()) -> Iterator[TskEntry]:
        """Every regular file, allocated and deleted, depth-first; stops at `limits`."""
        runs: list[tuple[int, int]] = []
        report.allocated_runs = runs
        started, seen_dirs, entries = time.monotonic(), set(), 0
        try:
            root = self._fs.open_dir(path="/")
        except (OSError, RuntimeError) as exc:
            report.warning = (
                f"{self.kind} root directory unreadable ({_tsk_reason(exc)}): no files listed; "
                "all its blocks count as unallocated and are carved"
            )
            return
        stack: list[tuple[pytsk3.Directory, str, int]] = [(root, "", 0)]
        while stack:
            directory, parent, depth = stack.pop()
            for entry in _safe_iter(directory):
                entries += 1
                if entries > limits.max_entries or time.monotonic() - started > limits.max_seconds:
                    report.warning = (
                        f"{self.kind} walk stopped after {entries - 1} entries "
                        f"and {time.monotonic() - started:.0f} s; the rest is carved as unallocated"
                    )
                    return
                name = entry.info.name.name.decode("utf-8", "backslashreplace")
                if name in (".", ".."):
                    continue
                path = f"{parent}/{name}"
                name_flags = int(entry.info.name.flags)
                entry = self._with_meta(entry)
                if entry is None:
                    report.name_only += 1
                    continue
                meta = entry.info.meta
                deleted = bool(
                    name_flags & pytsk3.TSK_FS_NAME_FLAG_UNALLOC
                    or meta.flags & pytsk3.TSK_FS_META_FLAG_UNALLOC
                )
                if not deleted:
                    runs.extend(_runs(entry))
                    if len(runs) > 200_000:
                        runs[:] = merge_ranges(runs)
                if meta.type in DIRECTORY_TYPES:
                    key = (int(meta.addr), deleted)
                    if key not in seen_dirs and depth < limits.max_depth:
                        seen_dirs.add(key)
                        sub = _open_subdir(entry)
                        if sub is not None:
                            stack.append((sub, path, depth + 1))
                    elif depth >= limits.max_depth:
                        report.warning = (
                            f"{path}: deeper than {limits.max_depth} levels, not walked"
                        )
                    continue
                if meta.type != pytsk3.TSK_FS_META_TYPE_REG:
                    continue
                if deleted:
                    report.deleted += 1
                else:
                    report.allocated += 1
                yield from self._entries(entry, path, deleted)
        runs[:] = merge_ranges(runs)

    def _with_meta(self, entry: pytsk3.File) -> pytsk3.File | None:
        """The entry with its metadata; orphans are listed by name and opened by inode."""
        if entry.info.meta is not None:
            return entry
        address = int(entry.info.name.meta_addr)
        if address == 0:
            return None
        try:
            found = self._fs.open_meta(inode=address)
        except (OSError, RuntimeError):
            return None
        return found if found.info.meta is not None else None

    def _entries(self, entry: pytsk3.File, path: str, deleted: bool) -> Iterator[TskEntry]:
        meta = entry.info.meta
        times = Times(
            _time(meta.mtime),
            _time(meta.atime),
            _time(meta.ctime),
            _time(getattr(meta, "crtime", 0)),
        )
        inode = int(meta.addr)
        if self.kind != "ntfs":
            yield TskEntry(path, inode, int(meta.size), deleted, times)
            return
        for attr in _safe_iter(entry):
            if attr.info.type != pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA:
                continue
            stream = attr.info.name.decode("utf-8", "backslashreplace") if attr.info.name else ""
            if stream in SPARSE_SYSTEM_STREAMS:
                continue
            yield TskEntry(
                f"{path}:{stream}" if stream else path,
                inode,
                int(attr.info.size),
                deleted,
                times,
                int(attr.info.type),
                int(attr.info.id),
                stream,
            )

    def open(self, inode: int, attr_type: int | None, attr_id: int | None) -> TskStream:
        try:
            handle = self._fs.open_meta(inode=inode)
        except (OSError, RuntimeError) as exc:
            raise EvidenceError(f"cannot open inode {inode}: {_tsk_reason(exc)}") from exc
        return TskStream(handle, attr_type, attr_id, self._advise_blocks, self._image)

    def lookup(self, path: str) -> int | None:
        """The inode of the allocated regular file at `path` ("/a/b"), or None."""
        try:
            found = self._fs.open(path=path)
        except (OSError, RuntimeError):
            return None
        meta = found.info.meta
        if meta is None or meta.type != pytsk3.TSK_FS_META_TYPE_REG:
            return None
        return int(meta.addr)

    def _advise_blocks(self, block: int, count: int) -> None:
        self._image.advise(self.offset + block * self.block_size, count * self.block_size)

    def unallocated(self, report: WalkReport) -> list[tuple[int, int]]:
        """Byte ranges (relative to the medium) of blocks no allocated file uses."""
        allocated = merge_ranges(report.allocated_runs or [])
        free: list[tuple[int, int]] = []
        cursor = self.first_block
        for start, count in allocated + [(self.block_count, 0)]:
            if start > cursor:
                free.append((cursor, start - cursor))
            cursor = max(cursor, start + count)
        scale = self.block_size
        return [(self.offset + start * scale, count * scale) for start, count in free if count > 0]


class TskStream:
    """Random reads from one file's data."""

    def __init__(
        self,
        handle: pytsk3.File,
        attr_type: int | None,
        attr_id: int | None,
        advise_blocks: Callable[[int, int], None],
        image: TskImage,
    ) -> None:
        self._handle = handle
        self._attr = (attr_type, attr_id)
        self._advise_blocks = advise_blocks
        self._image = image  # to tell whether a read met a sector the container cannot deliver
        self._block_size = int(handle.info.fs_info.block_size)
        meta = handle.info.meta
        self.size = int(meta.size) if meta is not None else 0
        if attr_type is not None:
            for attr in handle:
                if int(attr.info.type) == attr_type and int(attr.info.id) == attr_id:
                    self.size = int(attr.info.size)

    def advise(self, offset: int, length: int) -> None:
        """Hint the medium to read ahead the blocks behind [offset, offset + length) of the
        data (its runs as TSK lists them; compressed or resident data gets no hint)."""
        first, last = offset // self._block_size, -(-(offset + length) // self._block_size)
        for run in self._data_runs():
            low, high = max(first, run.offset), min(last, run.offset + run.len)
            if low < high:
                self._advise_blocks(run.addr + low - run.offset, high - low)

    def _data_runs(self) -> Iterator[pytsk3.TSK_FS_ATTR_RUN]:
        attr_type, attr_id = self._attr
        for attr in _safe_iter(self._handle):
            info = attr.info
            if attr_type is None:
                if int(info.type) not in DATA_TYPES or info.name:
                    continue
            elif (int(info.type), int(info.id)) != (attr_type, attr_id):
                continue
            if info.flags & (pytsk3.TSK_FS_ATTR_RES | pytsk3.TSK_FS_ATTR_COMP):
                return
            for run in _safe_iter(attr):
                if not run.flags & (
                    pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE | pytsk3.TSK_FS_ATTR_RUN_FLAG_FILLER
                ):
                    yield run
            return

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset))
        if length == 0:
            return b""
        known = self._image.zero_reads
        try:
            if self._attr[0] is None:
                data = bytes(self._handle.read_random(offset, length))
            else:
                data = bytes(self._handle.read_random(offset, length, *self._attr))
        except (OSError, RuntimeError) as exc:
            raise EvidenceError(f"read failed at {offset}: {_tsk_reason(exc)}") from exc
        if self._image.zero_reads > known:
            medium, reason = self._image.last_zero
            raise EvidenceError(
                f"read failed at {offset}: the container cannot deliver the sector at medium "
                f"offset {medium} ({reason})"
            )
        return data


def _runs(entry: pytsk3.File) -> Iterator[tuple[int, int]]:
    for attr in _safe_iter(entry):
        if attr.info.flags & pytsk3.TSK_FS_ATTR_RES:
            continue
        for run in _safe_iter(attr):
            if run.flags & (
                pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE | pytsk3.TSK_FS_ATTR_RUN_FLAG_FILLER
            ):
                continue
            if run.len > 0:
                yield int(run.addr), int(run.len)


def _safe_iter(obj: object) -> Iterator:  # type: ignore[type-arg]
    """Iterate a pytsk3 object; corrupt metadata ends the iteration instead of the scan."""
    try:
        yield from obj  # type: ignore[misc]
    except (OSError, RuntimeError) as exc:
        log.warning("stopped reading metadata: %s", _tsk_reason(exc))


def _open_subdir(entry: pytsk3.File) -> pytsk3.Directory | None:
    try:
        return entry.as_directory()
    except (OSError, RuntimeError) as exc:
        log.warning("cannot open directory: %s", _tsk_reason(exc))
        return None


def _time(value: int) -> float | None:
    return float(value) if value else None


def _tsk_reason(exc: Exception) -> str:
    """TSK's message on one line: its lines joined (a reason can end in a line of its own
    closing parenthesis), without pytsk3's "Name_Con: (tsk3.cpp:NNN)" prefix."""
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    text = re.sub(r"^\w+: \(tsk3\.cpp:\d+\) ", "", text).replace(" )", ")")
    return text or type(exc).__name__
