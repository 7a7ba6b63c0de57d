"""Once an extent is carved: broken JPEGs and PNGs paired with second fragments anywhere in it.

Workers report, besides files, where JPEG EOI markers and PNG IEND chunks are. An end no
carved file covers is an orphan: the last fragment of something. Each broken file marked
`repair` (a baseline JPEG or a PNG whose local search found nothing) is tried against
the orphans, nearest first in both directions (see jpeg_pairs, png_pairs); one that pairs
replaces its partial prefix, and its tail is no longer anyone else's (JPEG tails wanted
by several heads are settled first, below).
"""

from __future__ import annotations

import dataclasses
import logging

from scanner.carve import jpeg_pairs, png_pairs, tail_claims
from scanner.carve.jpeg_headers import header_head, pair_header
from scanner.carve.jpeg_pairs import Orphans, Spans
from scanner.carve.registry import Found
from scanner.carve.window import Window

log = logging.getLogger(__name__)
ERRORS = (ValueError, IndexError, OverflowError, MemoryError)


def reassemble(
    window: Window, items: list[Found], eois: list[int], iends: list[int]
) -> list[Found]:
    """`items` (one extent's files) with the broken ones that pair replaced, in offset order.

    Every broken JPEG looks for its pair on its own first; a last fragment wanted by
    several (pairs found here, or by the workers' local search) goes to the one with the
    smoothest seam (see tail_claims), and the others look again without it (a local pair
    that loses falls back to its valid prefix and looks again too)."""
    if not any(item.repair for item in items):
        return items
    local = {i: item for i, item in enumerate(items) if item.kind == "jpg" and len(item.runs) > 1}
    # what whole files hold (a partial prefix may have decoded on through others' bytes);
    # the last fragments of local pairs are claims to be settled, not held yet
    held = [
        (o, o + n)
        for i, item in enumerate(items)
        if item.complete
        for o, n in (item.runs[:-1] if i in local else item.runs)
    ]
    spans = Spans(held)
    orphans = Orphans(window, eois, spans)
    proposed = {
        i: _safe_pair(window, item, orphans, iends)
        for i, item in enumerate(items)
        if item.repair and item.kind == "jpg"
    }
    claims: dict[int, list[tuple[int, Found]]] = {}  # end -> (index, pair) ending there
    for index, pair in [*proposed.items(), *local.items()]:
        if pair is not None:
            claims.setdefault(pair.end, []).append((index, pair))
    won = {tail_claims.owner(window, claimed) for claimed in claims.values()}
    for index in won:
        spans.add(*_last_run(proposed.get(index) or items[index]))
    out = []
    for index, item in enumerate(items):
        if index in local and index not in won:
            if item.fallback is None:
                continue
            item = item.fallback
        if item.repair:
            paired = proposed.get(index) if index in won else None
            if paired is None and (index not in proposed or proposed[index] is not None):
                paired = _safe_pair(window, item, orphans, iends)  # nothing taken, or lost
                if paired is not None and item.kind == "jpg":  # png_pairs adds its own
                    spans.add(*_last_run(paired))
            if paired is None and item.kind == "jpg" and header_head(window, item.start):
                continue  # a header without its scan is no picture
            item = paired or dataclasses.replace(item, repair=False)
        out.append(item)
    return out


def _last_run(item: Found) -> tuple[int, int]:
    offset, length = item.runs[-1]
    return offset, offset + length


def _safe_pair(window: Window, item: Found, orphans: Orphans, iends: list[int]) -> Found | None:
    fallback = dataclasses.replace(item, repair=False)
    try:
        return _pair(window, item, orphans, iends, fallback)
    except ERRORS as exc:  # hostile bytes must not stop the scan
        log.debug("reassembling %s at %d: %r", item.kind, item.start, exc)
        return None


def _pair(
    window: Window, item: Found, orphans: Orphans, iends: list[int], fallback: Found
) -> Found | None:
    if item.kind == "jpg":
        head = header_head(window, item.start)
        if head is not None:
            return pair_header(window, head, orphans)
        judge = jpeg_pairs.judge_for(window, item.start)
        if judge is None:
            return None
        return jpeg_pairs.pair_anywhere(window, item.start, orphans, judge, fallback)
    if item.kind == "png":
        free = [e for e in iends if not orphans.spans.covers(e)]
        return png_pairs.pair_anywhere(window, item.start, free, orphans.spans, fallback)
    return None
