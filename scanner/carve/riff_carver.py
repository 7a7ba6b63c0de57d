"""RIFF (WebP, AVI): the size field, checked by walking the chunk headers it encloses."""

from __future__ import annotations

import struct

from scanner.carve.payload_checks import webp_end
from scanner.carve.registry import Found, register
from scanner.carve.samples import avi_samples
from scanner.carve.window import Window

FORMS = {b"WEBP": "webp", b"AVI ": "avi"}
FIRST_CHUNKS = {b"WEBP": (b"VP8 ", b"VP8L", b"VP8X"), b"AVI ": (b"LIST",)}
MAX_CHUNKS = 1 << 20


def _chunk_id_ok(cid: bytes) -> bool:
    return len(cid) == 4 and all(0x20 <= b < 0x7F for b in cid)


def walk_chunks(window: Window, pos: int, end: int) -> int:
    """Position where the chunk walk over [pos, end) stops (== end when every header is sane)."""
    for _ in range(MAX_CHUNKS):
        if pos >= end:
            return pos
        head = window.read(pos, 8)
        if len(head) < 8 or not _chunk_id_ok(head[:4]):
            return pos
        size = int.from_bytes(head[4:], "little")
        nxt = pos + 8 + size + (size & 1)
        if nxt > end + (size & 1) or min(nxt, end) > window.end:
            return pos
        pos = min(nxt, end)
    return pos


@register
class RiffCarver:
    name = "riff"
    kinds = ("webp", "avi")
    signatures = ((b"RIFF", 0),)

    def carve(self, window: Window, start: int) -> Found | None:
        head = window.read(start, 16)
        if len(head) < 16:
            return None
        size, form = struct.unpack("<I4s", head[4:12])
        if form not in FORMS or head[12:16] not in FIRST_CHUNKS[form] or size < 12:
            return None
        kind = FORMS[form]
        end = start + 8 + size
        stop = walk_chunks(window, start + 12, end)
        if stop < end:
            return self._partial(kind, window, start, stop)
        if form != b"AVI ":  # the payload is decoded: bytes that do not continue it end it
            valid = webp_end(window, start, end, start + 20)
            if valid < end:
                return Found(kind, ((start, valid - start),), False) if valid > start else None
            return Found(kind, ((start, end - start),), True)
        frames = avi_samples(window, start, end)
        end = self._avix(window, end)
        return Found(kind, ((start, end - start),), True, samples=frames)

    def _partial(self, kind: str, window: Window, start: int, stop: int) -> Found | None:
        """The chunks that fit; a chunk cut by the end of the window counts up to that end."""
        head = window.read(stop, 8)
        open_end = (
            len(head) == 8
            and _chunk_id_ok(head[:4])
            and stop + 8 + int.from_bytes(head[4:], "little") > window.end
        )
        if open_end:
            stop = window.end
        if stop <= start + 12:
            return None
        return Found(kind, ((start, stop - start),), False, open_end=open_end)

    def _avix(self, window: Window, end: int) -> int:
        """End of an OpenDML AVI: the 'RIFF AVIX' extensions that follow the first RIFF."""
        while True:
            head = window.read(end, 12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:] != b"AVIX":
                return end
            nxt = end + 8 + int.from_bytes(head[4:8], "little")
            if walk_chunks(window, end + 12, nxt) < nxt:
                return end
            end = nxt
