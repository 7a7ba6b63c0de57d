"""Once an extent is carved: broken JPEGs, PNGs and GIFs paired with last fragments anywhere
in it.

Workers report, besides files, where JPEG EOI markers, PNG IEND chunks and GIF ends (an
image's terminator and the trailer) are. An end no
whole file covers is an orphan: the last fragment of something (`Ends`, found once per
extent; the last fragment of a JPEG the workers' local search paired counts as one, its
claim is settled here). Each broken file marked `repair` (a baseline JPEG or a PNG whose
local search found nothing, a JPEG cut inside its header, a GIF whose image data stops
decoding) is tried against the orphans alone, nearest first in both directions
(jpeg_pairs, jpeg_headers, png_pairs, gif_pairs), each in a
task of its own so that the caller's workers share them (`pair_job`).

Back here, a JPEG last fragment claimed by several files (pairs from these tasks or from
the local search) goes to one of them (tail_claims) and is taken; then, in offset order,
a JPEG that lost looks again without the tails taken (a local pair that lost falls back
to its valid prefix first), and a PNG or GIF whose tail overlaps one taken is searched
again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scanner.carve import gif_pairs, jpeg_pairs, jpeg_triples, png_pairs, tail_claims
from scanner.carve.jpeg_headers import header_head, pair_header
from scanner.carve.jpeg_pairs import Orphans, Spans
from scanner.carve.registry import DAMAGE, Failure, Found
from scanner.carve.window import MediaReader, Window

log = logging.getLogger(__name__)
Pairs = Callable[[list[Found]], Iterable[Found | None]]
Offsets = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Ends:
    """What pairing needs of one extent: the byte ranges whole files hold, and the JPEG
    EOIs, PNG IEND and IDAT chunk types and GIF ends (the `00` of `00 3B`) none of them
    covers (sorted; arrays, which a task carries to a worker far faster than tuples of
    tens of thousands of ints)."""

    start: int
    end: int
    spans: tuple[tuple[int, int], ...]
    eois: Offsets
    iends: Offsets
    idats: Offsets
    gif_ends: Offsets

    @classmethod
    def of(
        cls,
        window: Window,
        items: list[Found],
        eois: list[int],
        iends: list[int],
        idats: list[int],
        gif_ends: list[int],
    ) -> Ends:
        # what whole files hold (a partial prefix may have decoded on through others' bytes);
        # the last fragments of local JPEG pairs are claims to be settled, not held yet
        spans = sorted((o, o + n) for item in items if item.complete for o, n in _held(item))
        orphans = (_uncovered(spans, points) for points in (eois, iends, idats, gif_ends))
        return cls(window.start, window.end, tuple(spans), *orphans)


def _local_pair(item: Found) -> bool:
    return item.kind == "jpg" and len(item.runs) > 1


def _held(item: Found) -> tuple[tuple[int, int], ...]:
    return item.runs[:-1] if _local_pair(item) else item.runs


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
    three_pieces: bool  # JPEGs in three pieces are looked for too


class _Shared:
    """What this process's pairing tasks of one extent find that depends only on the
    media, the extent and the spans of whole files (all the same for these tasks, as
    each pairs one file against the same ends): the run starts of orphan EOIs and the
    ways a GIF tail ending at an orphan GIF end can start."""

    def __init__(self) -> None:
        self.reader: MediaReader | None = None
        self.key: tuple[int, int, tuple[tuple[int, int], ...]] = (0, 0, ())
        self.runs: dict[int, int] = {}
        self.gif_links: dict[int, list[tuple[int, int, gif_pairs.Chain]]] = {}

    def of(self, reader: MediaReader, ends: Ends) -> _Shared:
        key = (ends.start, ends.end, ends.spans)
        if reader is not self.reader or key != self.key:
            self.reader, self.key, self.runs, self.gif_links = reader, key, {}, {}
        return self


_shared = _Shared()


def pair_job(reader: MediaReader, job: PairJob) -> tuple[Found | None, Failure | None]:
    """The file of `job` reassembled, or None; runs in a worker process."""
    window = Window(reader, job.ends.start, job.ends.end)
    pairer = Pairer(window, job.ends, job.three_pieces, _shared.of(reader, job.ends))
    try:
        return pairer.pair(job.item), None
    except Exception as exc:
        if job.strict:
            raise
        return None, Failure(f"{job.item.kind} pairing", job.item.start, repr(exc))


class Pairer:
    """Pairs broken files of one extent with orphan ends no file has taken yet."""

    def __init__(
        self, window: Window, ends: Ends, three_pieces: bool, shared: _Shared | None = None
    ) -> None:
        """`shared`: what other tasks of the extent found (only while no tail is taken:
        taking one changes the spans)."""
        self.window, self.iends, self.idats = window, ends.iends.tolist(), ends.idats.tolist()
        self.gif_ends = ends.gif_ends.tolist()
        self.three_pieces = three_pieces
        self.spans = Spans(list(ends.spans))
        runs = None if shared is None else shared.runs
        self.orphans = Orphans(window, ends.eois.tolist(), self.spans, runs)
        self.gif_links = {} if shared is None else shared.gif_links
        self.taken: list[tuple[int, int]] = []

    def pair(self, item: Found) -> Found | None:
        """`item` reassembled with a tail ending at an orphan end, None when none fits or
        the bytes are too damaged to tell."""
        fallback = dataclasses.replace(item, repair=False)
        try:
            if item.kind == "jpg":
                head = header_head(self.window, item.start)
                if head is not None:
                    return pair_header(self.window, head, self.orphans)
                judge = jpeg_pairs.judge_for(self.window, item.start)
                if judge is None:
                    return None
                paired = jpeg_pairs.pair_anywhere(
                    self.window, item.start, self.orphans, judge, fallback
                )
                if paired is None and self.three_pieces:
                    paired = jpeg_triples.pair_three(
                        self.window, item.start, self.orphans, fallback
                    )
                return paired
            if item.kind == "png":
                tails = png_pairs.Tails(self.window, self.iends, self.idats, self.spans)
                return png_pairs.pair_anywhere(self.window, item.start, tails, fallback)
            if item.kind == "gif":
                ends = gif_pairs.Tails(self.window, self.gif_ends, self.spans, self.gif_links)
                return gif_pairs.pair_anywhere(self.window, item.start, ends, fallback)
        except DAMAGE as exc:  # hostile bytes must not stop the scan
            log.debug("reassembling %s at %d: %r", item.kind, item.start, exc)
        return None

    def take(self, paired: Found) -> None:
        """Claim the tail of a reassembled file: no other file may end with it."""
        offset, length = paired.runs[-1]
        self.spans.add(offset, offset + length)
        self.taken.append((offset, offset + length))
        self.gif_links = {}  # found with the spans before

    def overlaps(self, paired: Found) -> bool:
        """Whether the tail of `paired` overlaps one taken already."""
        offset, length = paired.runs[-1]
        return any(lo < offset + length and offset < hi for lo, hi in self.taken)


def reassemble(
    window: Window, items: list[Found], ends: Ends, pairs: Pairs, three_pieces: bool
) -> list[Found]:
    """`items` (one extent's files) with the broken ones that pair replaced, in offset
    order; `pairs` gives, for a list of broken files, each one paired (or None) against
    `ends` alone, in that order (on workers or here)."""
    if not needs_pairing(items):
        return items
    repairs = [index for index, item in enumerate(items) if item.repair]
    guesses = dict(zip(repairs, pairs([items[index] for index in repairs]), strict=True))
    pairer = Pairer(window, ends, three_pieces)
    won = _owners(window, items, guesses)
    for index in sorted(won):
        pairer.take(guesses.get(index) or items[index])
    out = []
    for index, item in enumerate(items):
        if _local_pair(item) and index not in won:
            if item.fallback is None:
                continue
            item = item.fallback  # its valid prefix, which may look for a pair again
        if item.repair:
            paired = _settled(pairer, index, item, guesses, won)
            if paired is None and item.kind == "jpg" and header_head(window, item.start):
                continue  # a header without its scan is no picture
            item = paired or dataclasses.replace(item, repair=False)
        out.append(item)
    return out


def needs_pairing(items: list[Found]) -> bool:
    """Whether an extent's files need the above: a broken file to pair, or a last fragment
    two local JPEG pairs both claim."""
    ends = [item.end for item in items if _local_pair(item)]
    return any(item.repair for item in items) or len(ends) != len(set(ends))


def _owners(window: Window, items: list[Found], guesses: dict[int, Found | None]) -> set[int]:
    """Indexes of the JPEGs (reassembled by the tasks or by the local search) that own the
    last fragment they claim; an EOI claimed once is its claimant's."""
    claims: dict[int, list[tuple[int, Found]]] = {}  # EOI end -> (index, pair) ending there
    local = [(index, item) for index, item in enumerate(items) if _local_pair(item)]
    for index, pair in [*guesses.items(), *local]:
        if pair is not None and pair.kind == "jpg":
            claims.setdefault(pair.end, []).append((index, pair))
    return {tail_claims.owner(window, _fewest_pieces(claimed)) for claimed in claims.values()}


def _fewest_pieces(claims: list[tuple[int, Found]]) -> list[tuple[int, Found]]:
    """The claims with the fewest runs: a pair explains a last fragment before a file in
    three pieces does (whose middle is one more coincidence)."""
    fewest = min(len(pair.runs) for _, pair in claims)
    return [(index, pair) for index, pair in claims if len(pair.runs) == fewest]


def _settled(
    pairer: Pairer, index: int, item: Found, guesses: dict[int, Found | None], won: set[int]
) -> Found | None:
    """The broken file at `index` paired, once the claims before it are settled."""
    guess = guesses.get(index)
    if item.kind == "jpg":
        if index in won:
            return guess  # taken already
        if index in guesses and guess is None:
            return None  # nothing fitted among all the orphans; fewer are left now
    elif guess is None or not pairer.overlaps(guess):
        if guess is not None:
            pairer.take(guess)
        return guess
    paired = pairer.pair(item)  # it lost its tail, or a PNG tail overlaps one taken
    if paired is not None:
        pairer.take(paired)
    return paired
