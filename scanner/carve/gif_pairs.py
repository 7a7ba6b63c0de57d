"""Two-fragment GIFs, in either order and at any gap in the extent.

A GIF breaks where its image's LZW data stops decoding (gif_carver): its first fragment
ends at a sector boundary a little before the first code that does not belong (or after
where the code table last filled). Its last fragment ends with the image's terminator
and the trailer, `00 3B`, at an *orphan* (no carved file covers it). Walking back from
there through the chain of sub-blocks gives the tail's first whole sub-block; the tail
starts at the sector boundary at most 255 bytes before it, and the bytes in between
must be the rest of the sub-block the head was in at its split: the chain keeps its
phase across the seam. Encoders write sub-blocks of 255 bytes but the last, which is
what the walk back follows (a GIF written otherwise is not reassembled). In an
animation the head may break in an earlier frame: from the first sub-block of an image
the walk goes on back over its LZW code size, local colour table, image descriptor and
graphic control extension to the terminator of the image before, and so on frame by
frame. A candidate is accepted only when the broken image's LZW data, head and tail
joined, decodes to exactly its pixels (gif_lzw) and the joined bytes walk as a whole
GIF to the trailer, every later image decoding too.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from scanner.carve.gif_carver import image_data, walk
from scanner.carve.gif_lzw import lzw_error
from scanner.carve.jpeg_fragments import SECTOR
from scanner.carve.jpeg_pairs import Spans
from scanner.carve.registry import Found
from scanner.carve.window import Window

FULL = 255  # the size of every sub-block but an image's last, as encoders write them
STRIDE = FULL + 1
MAX_SPLITS = 64  # sector boundaries tried as the head's end, nearest the break first
MAX_TAILS = 256  # orphan ends that give a candidate, tried per broken GIF, nearest first
MAX_SEEN = 8192  # orphan ends looked at per broken GIF
MAX_GIF = 64 << 20  # a reassembled GIF longer than this is not looked for
LINKS = 3  # sub-blocks, from the first one the walk back found, tried as the tail's first
BACK_BLOCK = 16 << 10  # bytes read at a time walking back
MAX_FRAMES = 4096  # images walked back over from an orphan end
IMAGE = 0x2C
CONTROL = b"\x21\xf9\x04"  # a graphic control extension's first bytes
BEFORE_DATA = 768 + 10 + 8 + 1  # largest colour table, descriptor, control extension, terminator
# LAST[i]: the size a last sub-block whose size byte is i bytes into the FULL bytes from
# STRIDE before a terminator must have to end exactly at it
LAST = np.arange(FULL, 0, -1).astype(np.uint8)


class Chain(NamedTuple):
    """The sub-blocks of one image in a tail: the size bytes of the first whole one and
    of the last, and the image's terminator."""

    first: int
    last: int
    terminator: int


@dataclass(frozen=True)
class Head:
    """A broken GIF's first fragment: where each possible split leaves its image."""

    start: int
    code_size: int
    pixels: int
    payload: bytes  # the image's sub-block payloads joined, as the head's chain runs on
    splits: dict[int, list[tuple[int, int]]]  # bytes left of the sub-block at a split ->
    # (split, payload bytes before it), nearest the break first


def head_of(window: Window, start: int) -> Head | None:
    """The splits of the GIF at `start` whose image data stops decoding, None when it
    does not break in an image or that image is too large to decode."""
    image = walk(window, start)[1]
    found = None if image is None else image_data(window, image)
    if found is None:
        return None
    code_size, pixels, payload, starts = found
    error = lzw_error(payload, code_size, pixels)
    if error is None or not starts:
        return None
    bad, sure = (_media(starts, index) for index in error)
    ends = [index for index, _ in starts[1:]] + [len(payload)]
    splits: dict[int, list[tuple[int, int]]] = {}
    lowest = max(starts[0][1] - 1, sure - SECTOR)  # the head holds the LZW code size
    top = bad // SECTOR * SECTOR
    for split in range(top, max(lowest - 1, top - MAX_SPLITS * SECTOR), -SECTOR):
        if split == starts[0][1] - 1:  # the tail starts with the image's first sub-block
            splits.setdefault(0, []).append((split, 0))
            continue
        block = bisect.bisect_right(starts, split, key=lambda s: s[1]) - 1
        index, media = starts[block]
        size = ends[block] - index
        left = media + size - split
        if 0 <= left <= FULL and split >= media:
            splits.setdefault(left, []).append((split, index + split - media))
    return Head(start, code_size, pixels, payload, splits) if splits else None


def _media(starts: list[tuple[int, int]], index: int) -> int:
    """Media offset of byte `index` of the payload whose sub-blocks start at `starts`."""
    block = max(0, bisect.bisect_right(starts, index, key=lambda s: s[0]) - 1)
    return starts[block][1] + index - starts[block][0]


class Tails:
    """The orphan ends (offset of the `00` of `00 3B`) of an extent and, found on demand
    and kept, where a tail ending at each could start."""

    def __init__(
        self,
        window: Window,
        ends: list[int],
        spans: Spans,
        links: dict[int, list[tuple[int, int, Chain]]] | None = None,
    ):
        """`ends`: sorted; `links`: those found already with these spans (see `links`)."""
        self.window, self.ends, self.spans = window, ends, spans
        self._links = {} if links is None else links

    def nearest(self, top: int, start: int) -> Iterator[int]:
        """Orphan ends, nearest the head first: after `top` or before `start`."""
        after = bisect.bisect_right(self.ends, top)
        before = bisect.bisect_left(self.ends, start) - 1
        while after < len(self.ends) or before >= 0:
            ahead = self.ends[after] - top if after < len(self.ends) else None
            if before < 0 or (ahead is not None and ahead <= start - self.ends[before]):
                end, after = self.ends[after], after + 1
            else:
                end, before = self.ends[before], before - 1
            if not self.spans.covers(end):
                yield end

    def links(self, end: int) -> list[tuple[int, int, Chain]]:
        """(bytes of a sub-block the tail must finish, tail start, the chain of the image
        the tail starts in, from its first whole sub-block) of each way a tail ending at
        `end` can start: at a sector boundary with no file from there to `end`, at most
        255 bytes before one of the first LINKS size bytes of an image's chain (or just
        before its terminator), the images walked back over from `end`."""
        if end not in self._links:
            floor = max(self.window.start, self.spans.floor(end + 2), end + 2 - MAX_GIF)
            found = []
            terminators = [end]
            for _ in range(MAX_FRAMES):
                if not terminators:
                    break
                term = terminators.pop()
                chains = self._chains(term, floor)
                for first, last in [*chains, (term, term)]:
                    top = min(last, first + (LINKS - 1) * STRIDE)
                    for link in range(first, top + 1, STRIDE):
                        cont = link // SECTOR * SECTOR
                        if cont >= floor:
                            found.append((link - cont, cont, Chain(link, last, term)))
                terminators += [t for chain in chains if (t := self._before(*chain, floor))]
            self._links[end] = found
        return self._links[end]

    def _chains(self, end: int, floor: int) -> list[tuple[int, int]]:
        """(first, last) size bytes of each chain of full sub-blocks and a last one that
        ends at the terminator at `end` (the first ones every STRIDE bytes up to last)."""
        before = self.window.read(end - STRIDE, FULL)
        found = []
        if len(before) == FULL:
            for index in np.flatnonzero(np.frombuffer(before, np.uint8) == LAST):
                last = end - STRIDE + int(index)
                if last >= floor:
                    found.append((self._first(last, floor), last))
        return found

    def _before(self, first: int, last: int, floor: int) -> int | None:
        """The terminator of the image before the one whose chain of sub-blocks runs from
        `first` to `last` (the walk back may have gone past its first sub-block over a
        data byte of 255), before its LZW code size, colour table, descriptor and
        graphic control extension; None when those are not there."""
        for pos in range(first, last + 1, STRIDE):
            code_size = self.window.u8(pos - 1) if pos > floor else None
            if code_size is not None and 2 <= code_size <= 8:
                found = self._descriptor(pos - 1, floor)
                if found is not None:
                    return found
        return None

    def _descriptor(self, at: int, floor: int) -> int | None:
        """The terminator before the image descriptor (and graphic control extension)
        of the image whose LZW code size is the byte at `at`, or None."""
        lo = max(floor, at - BEFORE_DATA)
        data = self.window.read(lo, at - lo)
        for table in (0, *(3 << bits for bits in range(1, 9))):
            start = len(data) - table - 10
            if start < 1 or data[start] != IMAGE:
                continue
            packed = data[start + 9]
            if table != (3 << ((packed & 7) + 1) if packed & 0x80 else 0):
                continue
            if start >= 9 and data[start - 8 : start - 5] == CONTROL and data[start - 1] == 0:
                start -= 8  # the image's graphic control extension
            if start >= 1 and data[start - 1] == 0:
                return lo + start - 1
        return None

    def _first(self, pos: int, floor: int) -> int:
        """Back from the size byte at `pos` while a full sub-block ends there."""
        while pos - STRIDE >= floor:
            lo = max(floor, pos - BACK_BLOCK)
            data = self.window.read(lo, pos - lo)
            step = pos - STRIDE
            while step >= lo and data[step - lo] == FULL:
                step -= STRIDE
            pos = step + STRIDE
            if step >= lo:
                return pos
        return pos


def pair_anywhere(window: Window, start: int, tails: Tails, fallback: Found) -> Found | None:
    """The GIF at `start` reassembled with a tail ending at one of the orphan ends of
    `tails` (nearest first, at most MAX_TAILS that give a candidate), or None."""
    head = head_of(window, start)
    if head is None:
        return None
    top = max(split for pairs in head.splits.values() for split, _ in pairs)
    tried = 0
    for seen, end in enumerate(tails.nearest(top, start)):
        if seen >= MAX_SEEN or tried >= MAX_TAILS:
            return None
        candidates = list(_candidates(head, tails, end))
        tried += bool(candidates)
        for split, before, cont, chain in candidates:
            found = _joined(window, head, split, before, cont, chain, end)
            if found is not None:
                return Found("gif", found, True, fallback)
    return None


def _candidates(head: Head, tails: Tails, end: int) -> Iterator[tuple[int, int, int, Chain]]:
    """(split, payload before it, tail start, the tail's chain from its first whole
    sub-block) where the tail ending at `end` continues the head's chain in phase."""
    for left, cont, chain in tails.links(end):
        for split, before in head.splits.get(left, ()):
            if cont < split and end + 2 > head.start:
                continue  # the tail would overlap the head
            yield split, before, cont, chain


def _joined(
    window: Window,
    head: Head,
    split: int,
    before: int,
    cont: int,
    chain: Chain,
    end: int,
) -> tuple[tuple[int, int], ...] | None:
    """The runs of head and tail when the image's LZW data, joined, decodes to exactly its
    pixels and the joined bytes are a whole GIF ending at the trailer."""
    tail = window.read(cont, end + 2 - cont)
    link, last, term = chain
    parts = [head.payload[:before], tail[: link - cont]]
    if link < term:
        for pos in range(link - cont, last - cont, STRIDE):
            parts.append(tail[pos + 1 : pos + STRIDE])
        parts.append(tail[last - cont + 1 : term - cont])
    if lzw_error(b"".join(parts), head.code_size, head.pixels) is not None:
        return None
    joined = window.read(head.start, split - head.start) + tail
    whole = walk(Window(_Bytes(joined), 0, len(joined)), 0)[0]
    if whole is None or not whole.complete or whole.length != len(joined):
        return None
    return (head.start, split - head.start), (cont, end + 2 - cont)


class _Bytes:
    """Bytes in memory read as media."""

    def __init__(self, data: bytes) -> None:
        self.data, self.size = data, len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]
