"""JPEGs split inside their header: the first fragment holds SOI and part of the marker
segments, the second the rest of them, the scan and EOI.

A head like that has no scan to decode, so nothing of it is a picture on its own; it is
recognised by its own structure (on a sector start, SOI, then segments that parse up to
one that runs across a sector boundary, with no marker after it), and each sector
boundary in that segment is a possible split. The second fragment is found from its end:
the run of entropy-coded data back from an orphan EOI stops at the SOS marker, and the
segments of the rest of the header lie in the few sectors before it. A start `cont`
qualifies only when, `r` bytes into it (what the cut segment still lacks), segments chain
exactly to that SOS; the joined file must then walk completely, Huffman-decode every MCU
to EOI and decode without any libjpeg warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from scanner.carve.jpeg_fragments import MAX_TRIES, SECTOR
from scanner.carve.jpeg_huffman import HuffmanCheck
from scanner.carve.jpeg_pairs import Orphans, Spans
from scanner.carve.jpeg_structure import HEADER_MARKERS, SOS, walk
from scanner.carve.libjpeg_check import decodes_cleanly
from scanner.carve.registry import Found
from scanner.carve.window import Window

MAX_HEADER = 128 << 10  # header bytes looked at (EXIF segments are up to 64 KiB)
MAX_REST = 64 << 10  # bytes of header segments looked for before a second fragment's SOS
FIRST_SEGMENTS = (b"\xff\xe0", b"\xff\xe1", b"\xff\xdb")  # APP0 (JFIF), APP1 (Exif), DQT
SOS_MARKER = b"\xff\xda"


@dataclass(frozen=True)
class HeaderHead:
    """A JPEG head cut inside its header: the possible splits, each with the bytes the cut
    segment still lacks after it."""

    start: int
    splits: tuple[tuple[int, int], ...]  # (split, bytes missing after it)


class _Bytes:
    """A MediaReader over bytes (the joined candidate file)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


def header_head(window: Window, start: int) -> HeaderHead | None:
    """The JPEG at `start` as a head cut in its header, None when it is not one (it does
    not start a sector, its header is whole, or it does not look like a JPEG header)."""
    if start % SECTOR or window.read(start + 2, 2) not in FIRST_SEGMENTS:
        return None
    data = window.read(start, MAX_HEADER)
    pos, previous = 2, 2
    while pos + 4 <= len(data):
        if data[pos] == 0xFF and data[pos + 1] == SOS:
            return None
        if data[pos] != 0xFF or data[pos + 1] not in HEADER_MARKERS:
            break
        previous, pos = pos, pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    else:
        return None
    # the segment at `previous` ends at `pos`, where no segment follows: the head ends at a
    # sector boundary after that segment's header and at or before its end
    first = -(-(start + previous + 4) // SECTOR) * SECTOR
    splits = tuple((split, start + pos - split) for split in range(first, start + pos + 1, SECTOR))
    return HeaderHead(start, splits) if splits else None


def pair_header(window: Window, head: HeaderHead, orphans: Orphans) -> Found | None:
    """The JPEG whose header was cut, with a second fragment ending at an orphan EOI."""
    tries = 0
    for eoi in orphans.nearest(head.splits[0][0], head.start):
        run = orphans.run_start(eoi)
        sos = run - 2
        if window.read(sos, 2) != SOS_MARKER or head.start <= sos < head.splits[-1][0]:
            continue
        for split, _, cont in _candidates(window, head, sos, orphans.spans):
            tries += 1
            if tries > MAX_TRIES:
                return None
            joined = window.read(head.start, split - head.start) + window.read(cont, eoi + 2 - cont)
            if _decodes(joined):
                runs = ((head.start, split - head.start), (cont, eoi + 2 - cont))
                return Found("jpg", runs, True)
    return None


def _candidates(
    window: Window, head: HeaderHead, sos: int, spans: Spans
) -> Iterator[tuple[int, int, int]]:
    """(split, missing, continuation start) where the segments `missing` bytes into the
    continuation chain exactly to the SOS marker at `sos`, nearest to it first."""
    low = max(window.start, sos - MAX_REST)
    data = window.read(low, sos - low)
    for cont in range(sos // SECTOR * SECTOR, low - 1, -SECTOR):
        if spans.covers(cont):
            break
        for split, missing in head.splits:
            if cont + missing <= sos and _chains(data, cont + missing - low, sos - low):
                yield split, missing, cont


def _chains(data: bytes, pos: int, end: int) -> bool:
    """Whether marker segments run from `pos` exactly to `end` in `data`."""
    while pos < end:
        if pos + 4 > end or data[pos] != 0xFF or data[pos + 1] not in HEADER_MARKERS:
            return False
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return pos == end


def _decodes(data: bytes) -> bool:
    """Whether `data` is a whole baseline JPEG: walked to EOI, every MCU decoded, no
    libjpeg warning."""
    window = Window(_Bytes(data), 0, len(data))
    result = walk(window, 0)
    if result is None or not result.complete or result.end != len(data):
        return False
    checker = HuffmanCheck.for_layout(result.layout)
    scan_start = result.layout.scan_start
    if checker is not None and scan_start:
        decoded = checker.check(data[scan_start:])
        if not decoded.ok or scan_start + decoded.end != len(data) - 2:
            return False
    return decodes_cleanly(data)
