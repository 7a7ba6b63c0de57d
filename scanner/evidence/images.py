"""Containers: open the media of raw, split raw, EWF, VMDK, VHD(X) and QCOW2 images read-only.

The container format is recognised by content signature, never by file extension.
Every reader exposes `size` and `read(offset, length)`; backend handles never leave here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from scanner.errors import EvidenceError

EWF_SIGNATURES = (b"EVF\x09\x0d\x0a\xff\x00", b"EVF2\x0d\x0a\x81\x00", b"LVF\x09\x0d\x0a\xff\x00")
QCOW_SIGNATURE = b"QFI\xfb"
VMDK_SIGNATURES = (b"KDMV", b"# Disk DescriptorFile")
VHDX_SIGNATURE = b"vhdxfile"
VHD_FOOTER = b"conectix"
ADVISE_STEP = 8 << 20  # bytes per read-ahead request (see advise_file)


class MediaReader(Protocol):
    """Random read access to the bytes of a medium."""

    size: int

    def read(self, offset: int, length: int) -> bytes: ...

    def advise(self, offset: int, length: int) -> None:
        """Hint that these bytes will be read soon (read ahead; never changes a result)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class ContainerInfo:
    """What the container says about itself."""

    kind: str  # raw, split, ewf, vmdk, vhd, vhdx, qcow2
    size: int
    files: tuple[str, ...]
    stored_hashes: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)


def sniff_container(path: Path) -> str:
    """The container kind of `path` from its first bytes (and the VHD footer)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
            if head.startswith(EWF_SIGNATURES):
                return "ewf"
            if head.startswith(QCOW_SIGNATURE):
                return "qcow2"
            if head.startswith(VMDK_SIGNATURES):
                return "vmdk"
            if head.startswith(VHDX_SIGNATURE):
                return "vhdx"
            if head.startswith(VHD_FOOTER):
                return "vhd"
            size = os.fstat(handle.fileno()).st_size
            if size >= 512:
                handle.seek(size - 512)
                if handle.read(8) == VHD_FOOTER:
                    return "vhd"
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return "split" if split_segments(path) else "raw"


def split_segments(path: Path) -> list[Path]:
    """The ordered segments of a split raw image whose first segment is `path`, or []."""
    name = path.name
    for pattern, first, step in (
        (r"^(.*\.)(\d{3})$", ("000", "001"), _next_number),
        (r"^(.*\.)([a-z]{2})$", ("aa",), _next_letters),
    ):
        match = re.match(pattern, name)
        if not match or match.group(2) not in first:
            continue
        segments, suffix = [path], match.group(2)
        while True:
            suffix = step(suffix)
            candidate = path.with_name(match.group(1) + suffix)
            if not candidate.is_file():
                break
            segments.append(candidate)
        return segments if len(segments) > 1 else []
    return []


def _next_number(suffix: str) -> str:
    return f"{int(suffix) + 1:0{len(suffix)}d}"


def _next_letters(suffix: str) -> str:
    first, second = suffix[0], suffix[1]
    if second != "z":
        return first + chr(ord(second) + 1)
    return chr(ord(first) + 1) + "a" if first != "z" else "{{"


class RawReader:
    """One or more raw segment files read as one medium."""

    def __init__(self, paths: list[Path]) -> None:
        self._files = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed in close()
        self._starts: list[int] = []
        total = 0
        for handle in self._files:
            self._starts.append(total)
            total += os.fstat(handle.fileno()).st_size
        self.size = total

    def read(self, offset: int, length: int) -> bytes:
        parts: list[bytes] = []
        end = min(offset + length, self.size)
        while offset < end:
            index = _segment_index(self._starts, offset)
            handle = self._files[index]
            seg_end = self._starts[index + 1] if index + 1 < len(self._starts) else self.size
            handle.seek(offset - self._starts[index])
            chunk = handle.read(min(end, seg_end) - offset)
            if not chunk:
                break
            parts.append(chunk)
            offset += len(chunk)
        return b"".join(parts)

    def advise(self, offset: int, length: int) -> None:
        """Ask the kernel to start reading these bytes now (see `advise_file`)."""
        end = min(offset + length, self.size)
        while offset < end:
            index = _segment_index(self._starts, offset)
            seg_end = self._starts[index + 1] if index + 1 < len(self._starts) else self.size
            count = min(end, seg_end) - offset
            advise_file(self._files[index].fileno(), offset - self._starts[index], count)
            offset += count

    def close(self) -> None:
        for handle in self._files:
            handle.close()


def advise_file(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to read [offset, offset + length) of the open file `fd` into the page
    cache now (POSIX_FADV_WILLNEED), in ADVISE_STEP pieces: it does not honour one request
    for a whole large range. A hint only: errors are ignored."""
    for start in range(offset, offset + length, ADVISE_STEP):
        try:
            count = min(ADVISE_STEP, offset + length - start)
            os.posix_fadvise(fd, start, count, os.POSIX_FADV_WILLNEED)
        except OSError:
            return


def _segment_index(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low


class LibyalReader:
    """A libyal handle (pyewf, pyvmdk, pyvhdi, pyqcow) as a MediaReader."""

    def __init__(self, handle: Any, keep: list[Any]) -> None:
        self._handle = handle
        self._keep = keep  # parents and file objects that must outlive the handle
        self.size = int(handle.get_media_size())

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.size - offset))
        if length == 0:
            return b""
        return bytes(self._handle.read_buffer_at_offset(length, offset))

    def advise(self, offset: int, length: int) -> None:
        """Nothing to hint: the container maps media offsets to its own chunks."""

    def close(self) -> None:
        for item in [self._handle, *self._keep]:
            try:
                item.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass


def open_container(path: str | os.PathLike[str]) -> tuple[MediaReader, ContainerInfo]:
    """Open any supported container read-only; errors name the file and the reason."""
    path = Path(path)
    if not path.exists():
        raise EvidenceError(f"{path}: no such file")
    if not os.access(path, os.R_OK):
        raise EvidenceError(f"{path}: permission denied")
    if path.stat().st_size == 0:
        raise EvidenceError(f"{path}: empty file")
    kind = sniff_container(path)
    opener = _OPENERS[kind]
    try:
        reader, info = opener(path)
    except EvidenceError:
        raise
    except (OSError, OverflowError, ValueError) as exc:
        raise EvidenceError(f"{path}: cannot open {kind} image: {_reason(exc)}") from exc
    if reader.size <= 0:
        reader.close()
        raise EvidenceError(f"{path}: the {kind} image holds no media data (damaged headers?)")
    return reader, info


def open_media(path: str | os.PathLike[str]) -> MediaReader:
    """Just the media reader of `path` (picklable as functools.partial(open_media, path))."""
    return open_container(path)[0]


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1].strip() if text else type(exc).__name__


def _open_raw(path: Path) -> tuple[MediaReader, ContainerInfo]:
    reader = RawReader([path])
    return reader, ContainerInfo("raw", reader.size, (str(path),))


def _open_split(path: Path) -> tuple[MediaReader, ContainerInfo]:
    segments = split_segments(path)
    reader = RawReader(segments)
    return reader, ContainerInfo("split", reader.size, tuple(str(s) for s in segments))


def _open_ewf(path: Path) -> tuple[MediaReader, ContainerInfo]:
    import pyewf

    filenames = pyewf.glob(str(path))
    _check_ewf_segments(path, filenames)
    handle = pyewf.handle()
    handle.open(filenames)
    hashes = {k.lower(): str(v).lower() for k, v in (handle.get_hash_values() or {}).items() if v}
    metadata = {k: str(v) for k, v in (handle.get_header_values() or {}).items() if v}
    reader = LibyalReader(handle, [])
    _check_ewf_end(path, reader, filenames)
    info = ContainerInfo("ewf", reader.size, tuple(filenames), hashes, metadata)
    return reader, info


def _check_ewf_end(path: Path, reader: LibyalReader, filenames: list[str]) -> None:
    """The last sector must be readable: otherwise a segment is missing or truncated."""
    try:
        reader.read(max(0, reader.size - 512), 512)
    except OSError as exc:
        last = Path(sorted(filenames)[-1]).name
        expected = (
            f"{last[:-2]}{int(last[-2:]) + 1:02d}" if last[-2:].isdigit() else "the next segment"
        )
        reason = "missing segment" if "missing segment" in str(exc) else "truncated segment"
        raise EvidenceError(
            f"{path}: {reason}: media ends past {last} (expected {expected})"
        ) from exc


def _check_ewf_segments(path: Path, filenames: list[str]) -> None:
    """Name a missing segment (e.g. `.E02`) instead of libewf's generic failure."""
    names = sorted(Path(f).name for f in filenames)
    stem = path.name[:-2]
    for index, name in enumerate(names, start=1):
        expected = f"{stem}{index:02d}"
        if index <= 99 and name != expected:
            raise EvidenceError(f"{path}: missing EWF segment {expected}")


def _open_vmdk(path: Path) -> tuple[MediaReader, ContainerInfo]:
    import pyvmdk

    handle = pyvmdk.handle()
    handle.open(str(path))
    handle.open_extent_data_files()
    reader = LibyalReader(handle, [])
    return reader, ContainerInfo("vmdk", reader.size, (str(path),))


def _open_vhd(path: Path) -> tuple[MediaReader, ContainerInfo]:
    import pyvhdi

    handle = pyvhdi.file()
    handle.open(str(path))
    chain, files, current = [], [str(path)], handle
    while current.get_parent_identifier():
        parent_name = current.get_parent_filename() or ""
        parent_path = path.with_name(re.split(r"[\\/]", parent_name)[-1])
        if not parent_name or not parent_path.is_file():
            raise EvidenceError(f"{path}: missing parent image {parent_name or '(unnamed)'}")
        parent = pyvhdi.file()
        parent.open(str(parent_path))
        current.set_parent(parent)
        chain.append(parent)
        files.append(str(parent_path))
        current = parent
    reader = LibyalReader(handle, chain)
    return reader, ContainerInfo(sniff_container(path), reader.size, tuple(files))


def _open_qcow(path: Path) -> tuple[MediaReader, ContainerInfo]:
    import pyqcow

    handle = pyqcow.file()
    handle.open(str(path))
    if handle.get_backing_filename():
        raise EvidenceError(f"{path}: QCOW2 with a backing file is not supported")
    reader = LibyalReader(handle, [])
    return reader, ContainerInfo("qcow2", reader.size, (str(path),))


_OPENERS = {
    "raw": _open_raw,
    "split": _open_split,
    "ewf": _open_ewf,
    "vmdk": _open_vmdk,
    "vhd": _open_vhd,
    "vhdx": _open_vhd,
    "qcow2": _open_qcow,
}
