"""TIFF: IFD walk; the file ends where the last IFD, value or strip/tile it points to ends.

Uncompressed 8-bit RGB(A) strips are checked like BMP rows (see payload_checks): a sector
that does not continue the rows next to it ends the file's valid part."""

from __future__ import annotations

import struct

from scanner.carve.payload_checks import bmp_end
from scanner.carve.registry import Found, register
from scanner.carve.window import Window

TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
CHILD_IFDS = {330, 34665, 34853, 40965}
DATA_PAIRS = ((273, 279), (324, 325), (513, 514))
MAX_ENTRIES = 1000
MAX_IFDS = 64
MAX_VALUES = 1 << 20
MAX_SIZE = 4 << 30


class _Tiff:
    """One TIFF being walked: its byte order, the IFDs seen and the furthest byte referenced."""

    def __init__(self, window: Window, start: int, order: str) -> None:
        self.window, self.start, self.order = window, start, order
        self.end = 8
        self.seen: set[int] = set()
        self.image: dict[int, list[int]] = {}  # the first IFD's tags

    def values(self, typ: int, count: int, field: bytes) -> list[int] | None:
        size = TYPE_SIZES[typ] * count
        if size <= 4:
            raw = field[:size]
        else:
            offset = struct.unpack(self.order + "I", field)[0]
            raw = self.window.read(self.start + offset, size)
            if len(raw) < size:
                return None
            self.end = max(self.end, offset + size)
        if typ not in (3, 4, 13) or count > MAX_VALUES:
            return []
        code = {3: "H", 4: "I", 13: "I"}[typ]
        return list(struct.unpack(f"{self.order}{count}{code}", raw))

    def ifd(self, offset: int, first: bool) -> int | None:
        """Walk one IFD; returns the next IFD offset (0 at the end), None when malformed."""
        if offset in self.seen or len(self.seen) >= MAX_IFDS or offset < 8:
            return None
        self.seen.add(offset)
        head = self.window.read(self.start + offset, 2)
        count = struct.unpack(self.order + "H", head)[0] if len(head) == 2 else 0
        if not 1 <= count <= MAX_ENTRIES:
            return None
        body = self.window.read(self.start + offset + 2, count * 12 + 4)
        if len(body) < count * 12 + 4:
            return None
        self.end = max(self.end, offset + 2 + count * 12 + 4)
        tags: dict[int, list[int]] = {}
        previous = -1
        for index in range(count):
            tag, typ, n = struct.unpack(self.order + "HHI", body[index * 12 : index * 12 + 8])
            if typ not in TYPE_SIZES or (first and tag <= previous):
                return None
            previous = tag
            values = self.values(typ, n, body[index * 12 + 8 : index * 12 + 12])
            if values is None:
                return None
            tags[tag] = values
        if first and not self._has_image(tags):
            return None
        if first:
            self.image = tags
        self._data(tags)
        for tag in CHILD_IFDS & tags.keys():
            for child in tags[tag][:16]:
                self.ifd(child, False)
        following: int = struct.unpack(self.order + "I", body[-4:])[0]
        return following

    def _has_image(self, tags: dict[int, list[int]]) -> bool:
        sized = all(tags.get(t) and tags[t][0] > 0 for t in (256, 257))
        return sized and any(a in tags and b in tags for a, b in DATA_PAIRS[:2])

    def _data(self, tags: dict[int, list[int]]) -> None:
        for offsets_tag, counts_tag in DATA_PAIRS:
            offsets, counts = tags.get(offsets_tag, []), tags.get(counts_tag, [])
            for offset, count in zip(offsets, counts, strict=False):
                if count:
                    self.end = max(self.end, offset + count)


@register
class TiffCarver:
    name = "tiff"
    kinds = ("tiff",)
    signatures = ((b"II*\x00", 0), (b"MM\x00*", 0))

    def carve(self, window: Window, start: int) -> Found | None:
        head = window.read(start, 8)
        if len(head) < 8:
            return None
        tiff = _Tiff(window, start, "<" if head[:2] == b"II" else ">")
        offset: int | None = struct.unpack(tiff.order + "I", head[4:])[0]
        first = True
        while offset:
            offset = tiff.ifd(offset, first)
            if offset is None and first:
                return None
            first = False
        if tiff.end > MAX_SIZE:
            return None
        available = min(tiff.end, window.end - start)
        complete = available == tiff.end
        if complete:
            stop = _strips_end(window, start, tiff.image)
            if stop is not None:
                return Found("tiff", ((start, stop - start),), False)
        return Found("tiff", ((start, available),), complete, open_end=not complete)


def _strips_end(window: Window, start: int, tags: dict[int, list[int]]) -> int | None:
    """Where uncompressed chunky 8-bit RGB(A) strips stop continuing row after row, None
    when they do to their end (or are not such strips)."""

    def get(tag: int, default: int) -> list[int]:
        return tags.get(tag) or [default]

    if get(259, 1)[0] != 1 or get(284, 1)[0] != 1 or get(277, 1)[0] not in (3, 4):
        return None
    if any(bits != 8 for bits in get(258, 8)) or not tags.get(273) or not tags.get(279):
        return None
    offsets, counts = tags[273], tags[279]
    low, high = min(offsets), max(o + c for o, c in zip(offsets, counts, strict=False))
    if high - low != sum(counts):  # not one contiguous run of strips
        return None
    stride = get(256, 0)[0] * get(277, 1)[0]
    stop = bmp_end(window, start, start + high, start + low, stride)
    return stop if stop < start + high else None
