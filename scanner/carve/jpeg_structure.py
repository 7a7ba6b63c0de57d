"""JPEG marker-segment walk: header tables, scans, and where the entropy-coded data ends."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scanner.carve.window import Window

EOI, SOS, DHT, DQT, DRI, DNL, COM = 0xD9, 0xDA, 0xC4, 0xDB, 0xDD, 0xDC, 0xFE
SOF_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
HUFFMAN_SEQUENTIAL = {0xC0, 0xC1}
HEADER_MARKERS = {DQT, DHT, DRI, COM, 0xCC} | set(range(0xE0, 0xF0)) | SOF_MARKERS
AFTER_SCAN = {EOI, SOS, DHT, DQT, DRI, DNL, COM} | set(range(0xE0, 0xF0))
MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
STEP = 1 << 20
MAX_SCANS = 256


@dataclass
class Layout:
    """What the header says about the picture and its first scan."""

    sof: int = 0
    width: int = 0
    height: int = 0
    components: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (h, v)
    dc_tables: dict[int, bytes] = field(default_factory=dict)  # id -> 16 counts + symbols
    ac_tables: dict[int, bytes] = field(default_factory=dict)
    restart: int = 0
    scan: tuple[tuple[int, int, int], ...] = ()  # (component id, dc table, ac table)
    scan_start: int = 0
    scans: int = 0
    dqt: bool = False


@dataclass(frozen=True)
class Walk:
    """Outcome of the walk: `end` after EOI when complete, else where the structure broke."""

    layout: Layout
    complete: bool
    end: int


def find_scan_end(window: Window, pos: int) -> int:
    """Position of the first marker (other than RSTn and stuffing) at or after `pos`."""
    while True:
        data = window.read(pos, STEP + 1)
        if len(data) < 2:
            return window.end
        match = MARKER_IN_SCAN.search(data)
        if match:
            return pos + match.start()
        pos += len(data) - 1


def _tables(layout: Layout, marker: int, body: bytes) -> bool:
    """Record DHT/SOF/DRI/SOS contents; False when a segment is malformed."""
    if marker == DHT:
        pos = 0
        while pos + 17 <= len(body):
            tc, th = body[pos] >> 4, body[pos] & 15
            count = sum(body[pos + 1 : pos + 17])
            if tc > 1 or th > 3 or pos + 17 + count > len(body) or count > 256:
                return False
            (layout.ac_tables if tc else layout.dc_tables)[th] = body[pos + 1 : pos + 17 + count]
            pos += 17 + count
        return pos == len(body)
    if marker in SOF_MARKERS:
        return _frame(layout, marker, body)
    if marker == DRI:
        layout.restart = int.from_bytes(body[:2], "big") if len(body) == 2 else -1
        return len(body) == 2
    if marker == SOS:
        return _scan(layout, body)
    layout.dqt |= marker == DQT
    return True


def _frame(layout: Layout, marker: int, body: bytes) -> bool:
    if layout.sof or len(body) < 6:
        return False
    count = body[5]
    if body[0] not in (8, 12, 16) or not 1 <= count <= 4 or len(body) != 6 + 3 * count:
        return False
    layout.sof = marker
    layout.height = int.from_bytes(body[1:3], "big")
    layout.width = int.from_bytes(body[3:5], "big")
    for index in range(count):
        cid, hv = body[6 + 3 * index], body[7 + 3 * index]
        if not (1 <= hv >> 4 <= 4 and 1 <= hv & 15 <= 4):
            return False
        layout.components[cid] = (hv >> 4, hv & 15)
    return layout.width > 0


def _scan(layout: Layout, body: bytes) -> bool:
    if not layout.sof or not body or len(body) != 4 + 2 * body[0] or not 1 <= body[0] <= 4:
        return False
    scan = tuple(
        (body[1 + 2 * i], body[2 + 2 * i] >> 4, body[2 + 2 * i] & 15) for i in range(body[0])
    )
    if any(cid not in layout.components for cid, _, _ in scan):
        return False
    if layout.scans == 0:
        layout.scan = scan
    layout.scans += 1
    return True


def walk(window: Window, start: int) -> Walk | None:
    """Walk from SOI; None when the bytes are not a JPEG header with at least one scan."""
    layout = Layout()
    pos = start + 2
    allowed = HEADER_MARKERS | {SOS}
    while True:
        head = window.read(pos, 4)
        while head[:2] == b"\xff\xff":
            pos += 1
            head = window.read(pos, 4)
        if len(head) < 2 or head[0] != 0xFF or head[1] not in allowed:
            break
        marker = head[1]
        if marker == EOI:
            return Walk(layout, True, pos + 2) if layout.scans else None
        length = int.from_bytes(head[2:4], "big")
        if len(head) < 4 or length < 2:
            break
        body = window.read(pos + 4, length - 2)
        if len(body) < length - 2 or not _tables(layout, marker, body):
            break
        pos += 2 + length
        if marker == SOS:
            if layout.scans == 1:
                layout.scan_start = pos
            if layout.scans > MAX_SCANS:
                break
            pos = find_scan_end(window, pos)
            allowed = AFTER_SCAN
    if not layout.scans or not layout.dqt:
        return None
    return Walk(layout, False, pos)
