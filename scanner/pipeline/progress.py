"""Progress of a scan: rich bars on a terminal, JSON lines with `--json`, or nothing."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress


class Progress:
    """Counts work per stage and shows it where someone is watching."""

    def __init__(self, enabled: bool = False, json_events: bool = False) -> None:
        self.counts: dict[str, int] = {}
        self._json = json_events
        self._bars: RichProgress | None = None
        self._tasks: dict[str, Any] = {}
        if enabled and not json_events:
            self._bars = RichProgress(
                TextColumn("{task.description:>8}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=False,
            )
            self._bars.start()

    def expect(self, stage: str, total: int) -> None:
        """The number of units a stage will do, when it is known (shows an ETA)."""
        if self._bars is not None:
            self._task(stage, total)
        self.event("stage", stage=stage, total=total)

    def _task(self, stage: str, total: int | None = None) -> Any:
        if stage not in self._tasks:
            self._tasks[stage] = self._bars.add_task(stage, total=total)  # type: ignore[union-attr]
        elif total is not None:
            self._bars.update(self._tasks[stage], total=total)  # type: ignore[union-attr]
        return self._tasks[stage]

    def advance(self, stage: str, amount: int = 1) -> None:
        self.counts[stage] = self.counts.get(stage, 0) + amount
        if self._bars is not None:
            self._bars.advance(self._task(stage), amount)
        elif self._json and self.counts[stage] % 100 == 1:
            self.event("progress", stage=stage, done=self.counts[stage])

    def event(self, kind: str, **fields: Any) -> None:
        if self._json:
            print(
                json.dumps({"event": kind, **fields}, sort_keys=True), file=sys.stdout, flush=True
            )

    def close(self) -> None:
        if self._bars is not None:
            self._bars.stop()
