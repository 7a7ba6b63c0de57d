"""Once an extent is carved: broken JPEGs and PNGs paired with second fragments anywhere in it.

Workers report, besides files, where JPEG EOI markers and PNG IEND chunks are. An end no
carved file covers is an orphan: the last fragment of something (`Ends`, found once per
extent). Each broken file marked `repair` (a baseline JPEG or a PNG whose local search
found nothing) is tried against the orphans, nearest first in both directions (see
jpeg_pairs, png_pairs), each in a task of its own so that the caller's workers share them
(`pair_job`). The results are then taken in offset order, as one search after the other
would have found them: one that pairs replaces its partial prefix, and a later PNG whose
tail overlaps a tail already taken is searched again here, without it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scanner.carve import jpeg_pairs, png_pairs
from scanner.carve.jpeg_pairs import Orphans, Spans
from scanner.carve.registry import DAMAGE, Failure, Found
from scanner.carve.window import MediaReader, Window

log = logging.getLogger(__name__)
Pairs = Callable[[list[Found]], Iterable[Found | None]]
Offsets = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Ends:
    """What pairing needs of one extent: the byte ranges whole files hold, and the JPEG
    EOIs, PNG IEND and IDAT chunk types none of them covers (sorted; arrays, which a task
    carries to a worker far faster than tuples of tens of thousands of ints)."""

    start: int
    end: int
    spans: tuple[tuple[int, int], ...]
    eois: Offsets
    iends: Offsets
    idats: Offsets

    @classmethod
    def of(
        cls, window: Window, items: list[Found], eois: list[int], iends: list[int], idats: list[int]
    ) -> Ends:
        # what whole files hold; a partial prefix may have decoded on through others' bytes
        spans = sorted((o, o + n) for item in items if item.complete for o, n in item.runs)
        orphans = (_uncovered(spans, points) for points in (eois, iends, idats))
        return cls(window.start, window.end, tuple(spans), *orphans)


def _uncovered(spans: list[tuple[int, int]], ends: list[int]) -> Offsets:
    points = np.unique(np.asarray(ends, np.int64))
    if not spans or not len(points):
        return points
    starts = np.asarray([lo for lo, _ in spans], np.int64)
    reach = np.maximum.accumulate(np.asarray([hi for _, hi in spans], np.int64))
    index = np.searchsorted(starts, points, side="right") - 1
    covered = (index >= 0) & (reach[np.maximum(index, 0)] > points)
    return points[~covered]


@dataclass(frozen=True)
class PairJob:
    """One broken file to pair against its extent's orphan ends."""

    ends: Ends
    item: Found
    strict: bool  # a programming error raises (else it is returned as a Failure)


def pair_job(reader: MediaReader, job: PairJob) -> tuple[Found | None, Failure | None]:
    """The file of `job` reassembled, or None; runs in a worker process."""
    pairer = Pairer(Window(reader, job.ends.start, job.ends.end), job.ends)
    try:
        return pairer.pair(job.item), None
    except Exception as exc:
        if job.strict:
            raise
        return None, Failure(f"{job.item.kind} pairing", job.item.start, repr(exc))


class Pairer:
    """Pairs broken files of one extent with orphan ends no file has taken yet."""

    def __init__(self, window: Window, ends: Ends) -> None:
        self.window, self.iends, self.idats = window, ends.iends.tolist(), ends.idats.tolist()
        self.spans = Spans(list(ends.spans))
        self.orphans = Orphans(window, ends.eois.tolist(), self.spans)
        self.taken: list[tuple[int, int]] = []

    def pair(self, item: Found) -> Found | None:
        """`item` reassembled with a tail ending at an orphan end, None when none fits or
        the bytes are too damaged to tell."""
        fallback = dataclasses.replace(item, repair=False)
        try:
            if item.kind == "jpg":
                judge = jpeg_pairs.judge_for(self.window, item.start)
                if judge is None:
                    return None
                return jpeg_pairs.pair_anywhere(
                    self.window, item.start, self.orphans, judge, fallback
                )
            if item.kind == "png":
                tails = png_pairs.Tails(self.window, self.iends, self.idats, self.spans)
                return png_pairs.pair_anywhere(self.window, item.start, tails, fallback)
        except DAMAGE as exc:  # hostile bytes must not stop the scan
            log.debug("reassembling %s at %d: %r", item.kind, item.start, exc)
        return None

    def take(self, paired: Found) -> None:
        """Claim the tail of a reassembled file: no other file may end with it."""
        offset, length = paired.runs[-1]
        self.spans.add(offset, offset + length)
        self.taken.append((offset, offset + length))

    def clashes(self, paired: Found) -> bool:
        """Whether a search made after the earlier files took their tails could not have
        found `paired`: a PNG tail overlapping one taken (the PNG search skips those). A
        JPEG search does not look at taken tails (see jpeg_pairs): two JPEGs may end with
        the same EOI, at most one of them rightly; which is not decided here."""
        offset, length = paired.runs[-1]
        overlap = any(lo < offset + length and offset < hi for lo, hi in self.taken)
        return paired.kind == "png" and overlap


def reassemble(window: Window, items: list[Found], ends: Ends, pairs: Pairs) -> list[Found]:
    """`items` (one extent's files) with the broken ones that pair replaced, in offset
    order; `pairs` gives, for a list of broken files, each one paired (or None) against
    `ends` alone, in that order (on workers or here)."""
    repairs = [item for item in items if item.repair]
    if not repairs:
        return items
    pairer = Pairer(window, ends)
    guesses = iter(pairs(repairs))
    out = []
    for item in items:
        if item.repair:
            paired = next(guesses)
            if paired is not None and pairer.clashes(paired):
                paired = pairer.pair(item)
            if paired is not None:
                pairer.take(paired)
            item = paired or dataclasses.replace(item, repair=False)
        out.append(item)
    return out
