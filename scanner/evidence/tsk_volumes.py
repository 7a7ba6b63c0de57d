"""Volume systems (DOS/MBR with extended partitions, GPT, ...) through The Sleuth Kit."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytsk3

from scanner.evidence.images import MediaReader
from scanner.evidence.ranges import merge_ranges

log = logging.getLogger(__name__)


SECTOR = 512


class TskImage(pytsk3.Img_Info):  # type: ignore[misc]
    """A MediaReader presented to pytsk3 as an image.

    A container that cannot deliver some of its data (a VMDK grain or QCOW2 cluster that
    points nowhere) would make TSK give up on the whole volume; like `dd conv=noerror,sync`,
    those sectors are read as zeros instead: `unreadable` maps each such sector's offset to
    (length, reason) for the walk to report, and `zero_reads` counts the reads that were
    filled, so a file read can tell that it met one and fail.
    """

    def __init__(self, reader: MediaReader) -> None:
        self._reader = reader
        self.unreadable: dict[int, tuple[int, str]] = {}
        self.zero_reads = 0
        self.last_zero = (0, "")  # (offset, reason) of the latest sector read as zeros
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def close(self) -> None:
        """The reader is owned and closed by the caller."""

    def read(self, offset: int, size: int) -> bytes:
        try:
            return self._reader.read(offset, size)
        except OSError as exc:
            size = max(0, min(size, self._reader.size - offset))
            if size <= SECTOR:
                self.last_zero = (offset, _reason(exc))
                self.unreadable[offset] = (size, self.last_zero[1])
                self.zero_reads += 1
                return bytes(size)
            half = (size // 2 + SECTOR - 1) // SECTOR * SECTOR  # halves: a bad grain is found
            return self.read(offset, half) + self.read(offset + half, size - half)

    def advise(self, offset: int, length: int) -> None:
        self._reader.advise(offset, length)

    def get_size(self) -> int:
        return self._reader.size


@dataclass(frozen=True)
class Partition:
    """A partition (or the whole medium when there is no partition table)."""

    index: int  # TSK's partition address; -1 for the whole medium
    offset: int  # bytes from the start of the medium
    length: int
    description: str
    scheme: str  # dos, gpt, mac, bsd, sun, none

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def step(self) -> tuple[str, str]:
        if self.index < 0:
            return ("vol", "whole")
        return ("part", f"{self.scheme}:{self.index}@{self.offset}")


@dataclass(frozen=True)
class VolumeLayout:
    """Partitions holding data, and the unpartitioned gaps between and after them."""

    scheme: str
    block_size: int
    partitions: tuple[Partition, ...]
    gaps: tuple[tuple[int, int], ...]  # (offset, length)
    warning: str = ""


_SCHEMES = {
    pytsk3.TSK_VS_TYPE_DOS: "dos",
    pytsk3.TSK_VS_TYPE_GPT: "gpt",
    pytsk3.TSK_VS_TYPE_MAC: "mac",
    pytsk3.TSK_VS_TYPE_BSD: "bsd",
    pytsk3.TSK_VS_TYPE_SUN: "sun",
}


def read_layout(image: TskImage, size: int) -> VolumeLayout:
    """Partitions via TSK; no (or an unreadable) partition table → the whole medium."""
    whole = VolumeLayout("none", 512, (Partition(-1, 0, size, "whole medium", "none"),), ())
    try:
        volume = pytsk3.Volume_Info(image)
    except (OSError, RuntimeError):
        return whole
    scheme = _SCHEMES.get(volume.info.vstype, str(volume.info.vstype))
    block = int(volume.info.block_size)
    partitions, gaps = [], []
    for part in volume:
        offset, length = int(part.start) * block, int(part.len) * block
        if offset >= size or length <= 0:
            continue
        length = min(length, size - offset)
        description = part.desc.decode("utf-8", "replace") if part.desc else ""
        if part.flags & pytsk3.TSK_VS_PART_FLAG_ALLOC:
            partitions.append(Partition(int(part.addr), offset, length, description, scheme))
        elif part.flags & pytsk3.TSK_VS_PART_FLAG_UNALLOC:
            gaps.append((offset, length))
    warning = ""
    if not partitions:
        warning = f"{scheme} partition table lists no partitions; reading the medium as raw"
        log.warning(warning)
        return VolumeLayout("none", 512, whole.partitions, (), warning)
    covered = max(p.end for p in partitions)
    tail = max([covered] + [o + n for o, n in gaps])
    if tail < size:
        gaps.append((tail, size - tail))
    return VolumeLayout(scheme, block, tuple(partitions), tuple(merge_ranges(gaps)), warning)


def _reason(exc: Exception, limit: int = 300) -> str:
    """The error on one line, clipped (libyal chains every layer's message)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
