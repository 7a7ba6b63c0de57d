"""JPEG: marker segments and entropy-coded data walked to EOI; broken baseline files are
checked MCU by MCU and, when split in two, reassembled by bifragment gap carving."""

from __future__ import annotations

import dataclasses
from functools import partial

from scanner.carve.jpeg_fragments import SECTOR, bifragment, first_foreign_sector, seam_judge
from scanner.carve.jpeg_headers import header_head
from scanner.carve.jpeg_huffman import HuffmanCheck
from scanner.carve.jpeg_structure import Walk, walk
from scanner.carve.libjpeg_check import range_decodes_cleanly
from scanner.carve.registry import Found, register
from scanner.carve.window import Window

MAX_DECODE = 32 << 20  # larger JPEGs are not decoded: reported partial (all bytes kept)


@register
class JpegCarver:
    name = "jpeg"
    kinds = ("jpg",)
    signatures = ((b"\xff\xd8\xff", 0),)

    def carve(self, window: Window, start: int) -> Found | None:
        result = walk(window, start)
        if result is None:  # perhaps cut inside its header: the rest is looked for later
            head = header_head(window, start)
            if head is None:
                return None
            return Found("jpg", ((start, head.splits[0][0] - start),), False, repair=True)
        layout = result.layout
        if result.complete and result.end - start <= MAX_DECODE:
            foreign = first_foreign_sector(window, layout.scan_start, result.end)
            if foreign == result.end and range_decodes_cleanly(window, start, result.end):
                return Found("jpg", ((start, result.end - start),), True)
        return self._repair(window, start, result)

    def _repair(self, window: Window, start: int, result: Walk) -> Found | None:
        """Two fragments when they can be found, else the prefix that decodes."""
        layout, stop = result.layout, result.end
        checker = HuffmanCheck.for_layout(layout)
        scan_start = layout.scan_start
        if checker is None or not scan_start or stop - scan_start > MAX_DECODE:
            lo = scan_start or start
            valid = stop if result.complete else _sector_start(window, stop, lo)
            return _prefix(start, first_foreign_sector(window, lo, valid))
        decoded, points = checker.check_points(window.read(scan_start, stop + 2 - scan_start))
        if decoded.ok and window.read(scan_start + decoded.end, 2) == b"\xff\xd9":
            end = scan_start + decoded.end + 2
            return Found("jpg", ((start, end - start),), True)
        bad = scan_start + decoded.end
        valid = first_foreign_sector(window, scan_start, _sector_start(window, bad, scan_start))
        prefix = _prefix(start, valid)
        judge = partial(seam_judge, window, start, layout)
        if prefix is not None:  # the second fragment may be further off, before the header,
            prefix = dataclasses.replace(prefix, repair=True)  # or not the one found here
        pair = bifragment(window, checker, scan_start, points, bad, judge)
        if pair is None:
            return prefix
        split, cont, end = pair
        return Found("jpg", ((start, split - start), (cont, end - cont)), True, prefix)


def _sector_start(window: Window, bad: int, lo: int) -> int:
    """Where the data that is this file's ends, given that decoding broke at `bad`: the start
    of that sector (a file is overwritten or split in whole sectors, and another file's or
    old bytes can go on decoding for a while after the seam), not before `lo`; `bad` itself
    when the window ends there."""
    return bad if bad >= window.end else max(bad // SECTOR * SECTOR, lo)


def _prefix(start: int, stop: int) -> Found | None:
    if stop <= start:
        return None
    return Found("jpg", ((start, stop - start),), False)
