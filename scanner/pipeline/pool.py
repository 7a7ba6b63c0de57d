"""Bounded in-flight work on an executor, results stored as they come, commits batched.

Workers compute; each result is stored by its `Work.store` in this process, the single
writer of the case. At most `4 × workers` units are in flight, so memory stays bounded
whatever the evidence size; writes are committed every COMMIT_EVERY writes or
COMMIT_SECONDS, whichever comes first (the restart unit of a killed scan). On a Dask
cluster, a unit whose task killed its workers (`lost` exceptions, Dask's KilledWorker)
goes to `on_lost`, which records it like a crash; a pool that breaks, or a cluster that
cancels work, stops the scan with everything finished saved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from scanner.case.database import CaseDatabase
from scanner.errors import ScannerError
from scanner.pipeline.progress import Progress

COMMIT_EVERY = 200
COMMIT_SECONDS = 1.0
IN_FLIGHT_PER_WORKER = 4


@dataclass(frozen=True)
class Work:
    """One unit for the pool: the worker function, its task, and how its result is stored."""

    function: Callable[[Any], Any]
    task: Any
    store: Callable[[Any], None]
    stage: str
    count: int = 1  # units of progress it stands for
    alone: bool = False  # a retry after a crash: never batched with other work


class WorkPool:
    """Runs `Work` on `executor`, storing results through the case's one writer."""

    def __init__(
        self,
        executor: Executor,
        workers: int,
        db: CaseDatabase,
        progress: Progress,
        lost: tuple[type[BaseException], ...] = (),
        on_lost: Callable[[Work], None] | None = None,
    ) -> None:
        self.executor = executor
        self.lost, self.on_lost = lost, on_lost
        self.limit = workers * IN_FLIGHT_PER_WORKER
        self.db = db
        self.progress = progress
        self._pending = 0
        self._last_commit = time.monotonic()

    def drain(self, next_work: Callable[[], Work | None]) -> None:
        """Run work until `next_work` has none left and nothing is in flight."""
        in_flight: dict[Future[Any], Work] = {}
        self.db.begin()
        while True:
            if len(in_flight) >= self.limit:
                self._collect(in_flight)
            work = next_work()
            if work is None:
                if not in_flight:
                    break
                self._collect(in_flight)
                continue
            self.db.begin()
            in_flight[self.executor.submit(work.function, work.task)] = work
            self.tick()
        self.db.commit()

    def _collect(self, in_flight: dict[Future[Any], Work]) -> None:
        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        for future in done:
            work = in_flight.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool as exc:
                self.db.commit()
                raise ScannerError(
                    f"a worker process died during {work.stage} ({exc}); all finished work is "
                    "saved: run the same command again to resume (the item in progress is "
                    "retried once, then skipped as poisoned)"
                ) from exc
            except CancelledError as exc:
                self.db.commit()
                raise ScannerError(
                    f"the cluster cancelled work during {work.stage} (its scheduler is gone?); "
                    "all finished work is saved: run the same command again to resume"
                ) from exc
            except self.lost:
                if self.on_lost is None:
                    raise
                self.on_lost(work)  # queues its retries or records it as poisoned
                self.tick()
                continue
            work.store(result)
            self.progress.advance(work.stage, work.count)
            self.tick()

    def tick(self) -> None:
        """Count a write; commit every COMMIT_EVERY writes or COMMIT_SECONDS."""
        self._pending += 1
        if self._pending >= COMMIT_EVERY or time.monotonic() - self._last_commit > COMMIT_SECONDS:
            self.db.commit()
            self.db.begin()
            self._pending = 0
            self._last_commit = time.monotonic()
