"""One end marker, one file.

Two files of a kind cannot end at the same byte. When they seem to, at least one was
reassembled from fragments and took a continuation that is not its own: Huffman-coded
data resynchronises, so the head of one JPEG decodes on from a sector inside another's
last fragment and can end at that file's EOI with the right number of MCUs. The run that
reaches the end marker from furthest back owns it (the data between the two continuation
starts decodes as part of it); a reassembled file that loses is reported as what it is
without the fragment (its `fallback`: the valid prefix, partial). A tie between two
reassembled files goes to the one whose head is nearer, as gaps are usually small.

Files arrive chunk by chunk in offset order; a reassembled one is held back until every
file that starts before its end has been seen, so the output stays in offset order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from scanner.carve.registry import Found


def _rank(item: Found) -> tuple[int, int]:
    """Smaller wins: the last run starting furthest back, then the nearest head."""
    return item.runs[-1][0], -item.start


class EndClaims:
    """Settles files claiming the same end, per extent (call `flush` at its end)."""

    def __init__(self) -> None:
        self._held: deque[Found] = deque()
        self._best: dict[tuple[str, int], tuple[int, int]] = {}  # (kind, end) -> best rank

    def add(self, found: Iterable[Found], seen_to: int) -> list[Found]:
        """Take files in offset order, given that every file starting before `seen_to` has
        now been added; return those that are settled, in offset order."""
        for item in found:
            key = (item.kind, item.end)
            best = self._best.get(key)
            if best is None or _rank(item) < best:
                self._best[key] = _rank(item)
            self._held.append(item)
        out = []
        while self._held and (len(self._held[0].runs) == 1 or self._held[0].end <= seen_to):
            out.append(self._settle(self._held.popleft()))
        if not self._held:  # no later file can end at or before seen_to
            self._best = {key: rank for key, rank in self._best.items() if key[1] > seen_to}
        return [item for item in out if item is not None]

    def flush(self) -> list[Found]:
        """Settle every file held (the extent is done)."""
        out = [self._settle(item) for item in self._held]
        self._held.clear()
        self._best.clear()
        return [item for item in out if item is not None]

    def _settle(self, item: Found) -> Found | None:
        if len(item.runs) == 1 or self._best[item.kind, item.end] == _rank(item):
            return item
        return item.fallback
