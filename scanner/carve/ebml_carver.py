"""Matroska and WebM: EBML header, then the Segment's size (or a walk of its children)."""

from __future__ import annotations

from scanner.carve.registry import Found, register
from scanner.carve.window import Window

EBML_ID = 0x1A45DFA3
SEGMENT_ID = 0x18538067
LEVEL1 = {
    0x114D9B74, 0x1549A966, 0x1654AE6B, 0x1F43B675, 0x1C53BB6B, 0x1941A469, 0x1043A770,
    0x1254C367, 0xEC, 0xBF,
}  # fmt: skip
DOCTYPE_ID = 0x4282
MAX_ELEMENTS = 1 << 20


def read_vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int, bool] | None:
    """(value, length, all-ones) of the EBML variable-length integer at `pos`."""
    if pos >= len(data) or data[pos] == 0:
        return None
    first = data[pos]
    length = 9 - first.bit_length()
    if pos + length > len(data):
        return None
    value = int.from_bytes(data[pos : pos + length], "big")
    payload = value & ((1 << (7 * length)) - 1)
    unknown = payload == (1 << (7 * length)) - 1
    return (value if keep_marker else payload), length, unknown


def element(window: Window, pos: int) -> tuple[int, int, int | None] | None:
    """(id, header length, data size or None for unknown) of the element at `pos`."""
    head = window.read(pos, 12)
    eid = read_vint(head, 0, True)
    if eid is None or eid[1] > 4:
        return None
    size = read_vint(head, eid[1], False)
    if size is None:
        return None
    return eid[0], eid[1] + size[1], None if size[2] else size[0]


def _doctype(header: bytes) -> str | None:
    pos = 0
    while pos < len(header):
        eid = read_vint(header, pos, True)
        size = read_vint(header, pos + eid[1], False) if eid else None
        if eid is None or size is None:
            return None
        body = pos + eid[1] + size[1]
        if eid[0] == DOCTYPE_ID:
            return header[body : body + size[0]].decode("ascii", "replace")
        pos = body + size[0]
    return None


@register
class EbmlCarver:
    name = "ebml"
    kinds = ("mkv", "webm")
    signatures = ((EBML_ID.to_bytes(4, "big"), 0),)

    def carve(self, window: Window, start: int) -> Found | None:
        head = element(window, start)
        if head is None or head[2] is None or head[2] > 256:
            return None
        doctype = _doctype(window.read(start + head[1], head[2]))
        kinds = {"webm": "webm", "matroska": "mkv"}
        if doctype not in kinds:
            return None
        kind = kinds[doctype]
        seg_pos = start + head[1] + head[2]
        segment = element(window, seg_pos)
        if segment is None or segment[0] != SEGMENT_ID:
            return None
        body = seg_pos + segment[1]
        size = segment[2]
        declared_end = None if size is None else body + size
        end = self._walk(window, body, declared_end)
        if declared_end is not None and end == declared_end:
            return Found(kind, ((start, end - start),), True)
        if end <= body:
            return None
        return Found(kind, ((start, end - start),), declared_end is None and end < window.end)

    def _walk(self, window: Window, pos: int, end: int | None) -> int:
        """Where the walk of level-1 elements stops."""
        limit = window.end if end is None else min(end, window.end)
        for _ in range(MAX_ELEMENTS):
            if pos >= limit:
                break
            child = element(window, pos)
            if child is None or child[0] not in LEVEL1 or child[2] is None:
                break
            if pos + child[1] + child[2] > limit:
                break
            pos += child[1] + child[2]
        return pos
