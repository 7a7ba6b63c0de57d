"""A file cut short by the end of the window runs only until the next file of its kind.

An incomplete file whose size field points past the end of the window (the extent) runs to
that end, over bytes nobody checked (`Found.open_end`). When another file of the same kind
starts inside that span, the bytes from there on belong to that file, not to the first one
(PhotoRec ends a file at the next header the same way). Files whose whole span was checked
(a JPEG's valid prefix holding its own EXIF thumbnail) are left as they are. Without this
rule a run of headers whose size fields all point past the end of the extent (damaged or
hostile media) made every header a file running to that end: 16,384 files and 2.1 GB of
output from 256 KiB of RIFF headers.

Files arrive in offset order; an open-ended one is held back, with the files after it so
that the output stays in offset order, until every file starting before its end has been
seen.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable

from scanner.carve.registry import Found


class PartialCuts:
    """Cuts open-ended files at the next file of their kind, per extent (`flush` at its end)."""

    def __init__(self) -> None:
        self._held: deque[Found] = deque()
        self._first = 0  # position of _held[0] among all files added
        self._latest: dict[str, int] = {}  # kind -> position of its latest open-ended file

    def add(self, found: Iterable[Found], seen_to: int) -> list[Found]:
        """Take files in offset order, given that every file starting before `seen_to` has
        now been added; return those that are settled, in offset order."""
        for item in found:
            position = self._latest.get(item.kind, -1) - self._first
            if position >= 0:
                held = self._held[position]
                if held.start < item.start < held.end:
                    runs = ((held.start, item.start - held.start),)
                    self._held[position] = dataclasses.replace(held, runs=runs)
            if item.open_end:
                self._latest[item.kind] = self._first + len(self._held)
            self._held.append(item)
        out = []
        while self._held and not (self._held[0].open_end and self._held[0].end > seen_to):
            out.append(self._held.popleft())
            self._first += 1
        return out

    def flush(self) -> list[Found]:
        """Every file held (the extent is done)."""
        out = list(self._held)
        self._first += len(out)
        self._held.clear()
        return out
