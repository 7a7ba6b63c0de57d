"""The scan: walk → carve → dedupe by SHA-256 → analyse → match → triage → report.

Workers (a process pool, or a Dask cluster: `cluster`) read and compute; this module is
the single writer of the case database. A blob seen for the first time is analysed while the walk goes on: its
analysis joins the same bounded queue of work, ahead of further reading, so both
cores stay busy and memory stays bounded (on a cluster it comes back with the hashing
task that found the blob, and is stored only if the blob is new). Walk, carve and analyse are recorded unit
by unit, so a scan killed at any moment resumes where it stopped (blobs left without
analysis are analysed after the walk); match and triage are recomputed from the
stored results on every run (they are cheap), so new sets or rules apply at once.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner import __version__
from scanner.case import queries
from scanner.case.database import CaseDatabase
from scanner.case.writer import (
    replace_attributions,
    replace_findings,
    replace_matches,
    store_analysis,
)
from scanner.config import ScanConfig
from scanner.evidence import DiskSource, Source, WalkLimits, open_evidence
from scanner.evidence.containers import ContainerOptions
from scanner.evidence.containers.cache_paths import path_origin
from scanner.evidence.itunes_backup import derive_backup_keys
from scanner.lib.processes import worker_context
from scanner.match.engine import match_all
from scanner.pipeline import WORKER_MODULES
from scanner.pipeline.pool import Work, WorkPool
from scanner.pipeline.progress import Progress
from scanner.pipeline.tasks import BlobTask, ItemResult, ItemTask
from scanner.pipeline.worker import (
    analyse_blob,
    hash_items,
    init_worker,
    load_analyser,
)
from scanner.report.content import ContentSource
from scanner.triage import load_rules
from scanner.types import BlobAnalysis, Extent, FileItem, Finding, ItemError, Locator

if TYPE_CHECKING:
    from scanner.carve import Failure
    from scanner.pipeline.cluster import ClusterSpec

log = logging.getLogger(__name__)

BATCH_ITEMS = 64  # files hashed per worker task
BATCH_BYTES = 8 << 20  # or fewer, to keep a task's reading short


@dataclass
class ScanSummary:
    case: Path
    items: int = 0
    blobs: int = 0
    errors: int = 0
    reports: list[str] = field(default_factory=list)


class Scan:
    """One `dftriage scan` run over some evidence into a case folder."""

    def __init__(
        self,
        case: Path,
        evidence: list[Path],
        config: ScanConfig,
        command: str,
        progress: Progress,
        password: str | None = None,
        cluster: ClusterSpec | None = None,
    ) -> None:
        self.case = case
        self.cluster = cluster
        self.evidence = evidence
        self.config = config
        self.progress = progress
        self.rules = load_rules(Path(config.rules) if config.rules else None)
        self.models = self._check_models()
        self.db = CaseDatabase(case)
        self.settings = config.as_dict()  # what every blob task carries to the workers
        # the password is given to the workers, never stored with the run
        options = ContainerOptions.from_settings(self.settings, password)
        self.options = derive_backup_keys(evidence, options)  # once, not in every worker
        self.run_id = self.db.start_run(command, __version__, self.settings)
        self.workers = config.workers or os.cpu_count() or 1
        # unit sizes: files (or bytes) hashed per task, blobs analysed per task
        self.batch_items, self.batch_bytes, self.batch_blobs = BATCH_ITEMS, BATCH_BYTES, 1
        self._analyse_blobs: Any = None  # the batch function of a cluster
        self._hash_batch: Callable[[tuple[ItemTask, ...]], list[ItemResult]] = hash_items
        self._follow_ups: deque[Work] = deque()
        self._members: deque[ItemTask] = deque()  # members of containers, not claimed yet
        self._open_members: dict[str, int] = {}  # expansion unit -> members not finished
        self._expanding: dict[str, ItemTask] = {}  # expansion unit -> its container's task

    def run(self) -> ScanSummary:
        with self._executor() as (executor, slots, lost):
            self.pool = WorkPool(executor, slots, self.db, self.progress, lost, self._lost)
            for path in self.evidence:
                self._scan_evidence(path)
            if self.config.analyse:
                with self._timed("analyse"):
                    self._analyse()
            with self._timed("match and triage"):
                self.db.begin()
                matches, sets = match_all(queries.match_inputs(self.db), self.config)
                replace_matches(self.db, matches)
                self._triage(self.rules)
                self.db.update_run(self.run_id, models=self.models, sets=sets)
                # finished before the reports are written, so that they say so
                self.db.update_run(self.run_id, finished=_now(), status="finished")
                self.db.commit()
            summary = self._summary()
            with self._timed("report"):
                # cluster workers may not see the case folder: reports are written here
                summary.reports = self._write_reports(None if self.cluster else executor)
        self.db.close()
        return summary

    @contextmanager
    def _executor(self) -> Iterator[tuple[Executor, int, tuple[type[BaseException], ...]]]:
        """The process pool (the default) or a Dask cluster's executor; its task slots; the
        exceptions that mean a unit killed its workers."""
        if self.cluster is None:
            initargs = (os.getpid(), self.options)
            context = worker_context(WORKER_MODULES)
            with ProcessPoolExecutor(self.workers, context, init_worker, initargs) as executor:
                yield executor, self.workers, ()
            return
        from scanner.pipeline import cluster as dask

        self.batch_items, self.batch_bytes = dask.BATCH_ITEMS, dask.BATCH_BYTES
        self.batch_blobs, self._analyse_blobs = dask.BATCH_BLOBS, dask.analyse_blobs
        if self.config.analyse:  # a batch's new pictures analysed in its own task
            self._hash_batch = partial(dask.hash_and_analyse, self.settings)
        with dask.cluster_executor(self.cluster, self.options) as (executor, slots):
            yield executor, slots, dask.LOST_UNIT

    @contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        """Log (and emit as a JSON event) how long a stage took."""
        started = time.monotonic()
        yield
        seconds = round(time.monotonic() - started, 3)
        log.info("%s took %.1f s", stage, seconds)
        self.progress.event("timing", stage=stage, seconds=seconds)

    def _scan_evidence(self, path: Path) -> None:
        limits = WalkLimits(self.config.walk_max_entries, 128, self.config.walk_max_seconds)
        source = open_evidence(path, limits, self.options)
        evidence_id = self._register(path, source)
        if self.config.files:
            with self._timed(f"files of {path.name}"):
                tasks = self._file_tasks(source, evidence_id)
                self._drain(self._hashing(tasks, "files"))
        if self.config.carve:
            with self._timed(f"carving of {path.name}"):
                self._carve(source, evidence_id)
        if not queries.media_items(self.db, evidence_id):
            reason = "no pictures or videos found in it (see the other rows for what failed)"
            self.db.add_error(str(source.locator), "walk", reason)
            self.db.commit()
        self.db.set_fingerprint(evidence_id, "after", _fingerprint(source))
        source.close()

    def _analyse(self) -> None:
        """Blobs whose analysis did not happen during the walk (resumed or re-run cases)."""
        pending = list(queries.blobs_to_analyse(self.db))
        if pending:
            self.progress.expect("analyse", len(pending) + self.progress.counts.get("analyse", 0))
        tasks = (self._blob_task(row) for row in pending)
        claimed = (t for t in tasks if self.db.claim(f"analyse:{t.sha256}"))
        self._drain(self._analysis(t) for t in claimed)

    def _write_reports(self, pool: Executor | None) -> list[str]:
        """Every report; the slowest are written by the worker processes of `pool`, if any."""
        from scanner.report.writers import write_reports

        content = ContentSource(self.db, self.options)
        export = content.chunks if self.config.export else None
        written = write_reports(
            self.db,
            self.case,
            thumbnails=content.thumbnail,
            export=export,
            references=content.reference_thumbnail,
            pool=pool,
        )
        return [path.name for path in written]

    # evidence -----------------------------------------------------------------------
    def _register(self, path: Path, source: Source) -> int:
        info = source.container
        evidence_id = self.db.add_evidence(
            str(path.resolve()),
            path.name,
            info.kind,
            info.size,
            list(info.files),
            info.stored_hashes,
            info.metadata,
        )
        self.db.set_fingerprint(evidence_id, "before", _fingerprint(source))
        return evidence_id

    def _file_tasks(self, source: Source, evidence_id: int) -> Iterator[ItemTask]:
        walked = (
            e
            for e in source.walk()
            if isinstance(e, ItemError) or self.config.deleted or not e.deleted
        )
        for entry in walked:
            if isinstance(entry, ItemError):
                self.db.add_error(entry.locator, entry.stage, entry.reason)
                continue
            task = _item_task(source, evidence_id, entry)
            if task.size > 0:
                yield task

    def _carve(self, source: Source, evidence_id: int) -> None:
        from scanner.carve.engine import carve

        if not isinstance(source, DiskSource):
            return  # a folder has no unallocated space
        types = set(self.config.carve_types) if self.config.carve_types else None
        with self._carve_executor() as executor:
            for extent in source.extents():
                unit = f"carve:{evidence_id}:{extent.locator}@{extent.offset}+{extent.length}"
                if not self.db.claim(unit):
                    continue
                found = carve(
                    source.media_opener,
                    [extent],
                    types,
                    executor,
                    slots=self.workers,
                    on_error=self._carver_failed,
                )
                tasks = (_carved_task(source, evidence_id, extent, item) for item in found)
                self._drain(self._hashing(tasks, "carve"))
                self.db.done(unit)
                self.db.commit()

    @contextmanager
    def _carve_executor(self) -> Iterator[Executor]:
        """The scan's own pool carves. A cluster's workers may not see the evidence at the
        path this process opens: with one, a local pool started from the forkserver does."""
        if self.cluster is None:
            yield self.pool.executor
            return
        from scanner.carve.engine import process_pool

        with process_pool(self.workers) as pool:
            yield pool

    def _carver_failed(self, failure: Failure, extent: Extent) -> None:
        """A programming error in a carver: an error row, and the carving goes on."""
        reason = f"{failure.carver} at offset {failure.offset}: {failure.error}"
        self.db.add_error(str(extent.locator), "carve", f"{reason} (a bug in dftriage)")

    # the single writer ----------------------------------------------------------------
    def _hashing(self, tasks: Iterable[ItemTask], stage: str) -> Iterator[Work]:
        """The items not done yet, claimed and sent in batches: the many small files of a
        device cost one round trip per batch, not per file. An item retried after a crash
        goes alone, so a file that kills a worker cannot poison its neighbours."""
        batch: list[ItemTask] = []
        size = 0
        for task in tasks:
            attempt = self.db.claim(task.unit)
            if attempt > 1 or (attempt == 0 and self._unfinished_expansion(task)):
                yield self._alone(task, stage)
            elif attempt == 0:
                self._finished(task)  # done before a restart, or poisoned
            else:
                batch.append(task)
                size += task.size
                if len(batch) >= self.batch_items or size >= self.batch_bytes:
                    yield Work(self._hash_batch, tuple(batch), self._store_items, stage, len(batch))
                    batch, size = [], 0
        if batch:
            yield Work(self._hash_batch, tuple(batch), self._store_items, stage, len(batch))

    def _alone(self, task: ItemTask, stage: str) -> Work:
        """An item retried after a crash: hashed alone, its analysis a unit of its own."""
        return Work(hash_items, (task,), self._store_items, stage, 1, alone=True)

    def _lost(self, work: Work) -> None:
        """A unit whose task killed the workers that ran it (Dask's KilledWorker), recorded
        like a crash: claimed again and retried alone, poisoned at the second time."""
        if work.stage == "analyse":  # one blob, or a batch of them
            for blob in (work.task,) if work.function is analyse_blob else work.task:
                if self.db.claim(f"analyse:{blob.sha256}"):
                    retry = Work(analyse_blob, blob, self._store_blob, work.stage, alone=True)
                    self._follow_ups.append(retry)
                else:
                    self.progress.advance(work.stage, 1)
            return
        for task in work.task:
            if self.db.claim(task.unit):
                self._follow_ups.append(self._alone(task, work.stage))
            else:
                self.progress.advance(work.stage, 1)
                self._finished(task)

    def _unfinished_expansion(self, task: ItemTask) -> bool:
        """True for a container read before a restart whose members were not all read: it
        is listed again (members already done are skipped)."""
        return self.db.unit_state(_expansion_unit(task))[0] == "started"

    def _analysis(self, task: BlobTask) -> Work:
        return Work(analyse_blob, task, self._store_blob, "analyse")

    def _drain(self, works: Iterable[Work]) -> None:
        """Run `works` through the pool; follow-up work queued by a store (a new blob's
        analysis, a container's members) goes ahead of new reads."""
        incoming = iter(works)
        self.pool.drain(lambda: self._next_work(incoming))

    def _next_work(self, incoming: Iterator[Work]) -> Work | None:
        """Follow-ups first (a new blob's analysis), then containers' members (claimed a
        batch at a time, as they are sent), then new reads."""
        while not self._follow_ups and self._members:
            count = min(self.batch_items, len(self._members))
            batch = [self._members.popleft() for _ in range(count)]
            self._follow_ups.extend(self._hashing(batch, "files"))
        source: Iterator[Work] | None = None
        work: Work | None = None
        if self._follow_ups:
            work = self._follow_ups.popleft()
        else:
            work, source = next(incoming, None), incoming
        if work is None or work.function is not analyse_blob or work.alone:
            return work
        return self._blob_batch(work, source)

    def _blob_batch(self, first: Work, incoming: Iterator[Work] | None) -> Work:
        """On a cluster, `first` (an analysis) with the analyses queued right behind it in
        the follow-ups, or in `incoming` when it came from there, in one task."""
        tasks = [first.task]
        while len(tasks) < self.batch_blobs:
            if self._follow_ups and self._follow_ups[0].function is analyse_blob:
                if self._follow_ups[0].alone:
                    break
                tasks.append(self._follow_ups.popleft().task)
            elif incoming is not None and not self._follow_ups:
                more = next(incoming, None)
                if more is None:
                    break
                if more.function is not analyse_blob or more.alone:
                    self._follow_ups.appendleft(more)  # next, as it would have been
                    break
                tasks.append(more.task)
            else:
                break
        if len(tasks) == 1:
            return first
        return Work(self._analyse_blobs, tuple(tasks), self._store_blobs, "analyse", len(tasks))

    def _store_items(self, results: list[ItemResult]) -> None:
        for result in results:
            self._store_item(result)

    def _store_item(self, result: ItemResult) -> None:
        task = result.task
        if result.error:
            self.db.add_error(str(task.locator), "read", result.error)
        elif result.is_media:
            size = task.size  # a carved item's size is the sum of its runs
            new = self.db.add_blob(result.sha256, result.md5, result.sha1, size, result.media_type)
            if new and self.config.analyse and self.db.claim(f"analyse:{result.sha256}"):
                self._analysed(result, size)
            self.db.add_item(task.evidence_id, _item_row(task, result))
        for problem in result.problems:
            self.db.add_error(problem.locator, problem.stage, problem.reason)
        self.db.done(task.unit)
        if result.children:
            self._expand(task, result)
        else:
            self._finished(task)

    def _analysed(self, result: ItemResult, size: int) -> None:
        """A new blob's analysis: stored if it came with the item (a cluster's unit), else
        queued ahead of further reading."""
        if result.analysis is not None:
            self._store_blob(result.analysis)
            self.progress.advance("analyse", 1)
            return
        task = result.task
        blob = BlobTask(result.sha256, result.media_type, size, task.locator, self.settings)
        self._follow_ups.append(self._analysis(blob))

    def _expand(self, task: ItemTask, result: ItemResult) -> None:
        """Queue a container's members ahead of further reading; the container counts as
        finished (for a restart) once every member has been read."""
        unit = _expansion_unit(task)
        self.db.start(unit)
        members = [task.child(item, result.sha256, unit) for item in result.children]
        wanted = [m for m in members if self.config.deleted or not m.deleted]
        self._expanding[unit] = task
        self._open_members[unit] = len(wanted)
        self._members.extend(wanted)
        if not wanted:
            self._finish_expansion(unit)

    def _finished(self, task: ItemTask) -> None:
        if task.parent in self._open_members:
            self._open_members[task.parent] -= 1
            if self._open_members[task.parent] == 0:
                self._finish_expansion(task.parent)

    def _finish_expansion(self, unit: str) -> None:
        del self._open_members[unit]
        self.db.done(unit)
        self._finished(self._expanding.pop(unit))

    def _blob_task(self, row: Any) -> BlobTask:
        locator = Locator.from_json(row["locator_json"]).with_root(row["evidence_path"])
        return BlobTask(row["sha256"], row["media_type"], row["size"], locator, self.settings)

    def _store_blobs(self, analyses: list[BlobAnalysis]) -> None:
        for analysis in analyses:
            self._store_blob(analysis)

    def _store_blob(self, analysis: BlobAnalysis) -> None:
        store_analysis(self.db, analysis)
        self.db.done(f"analyse:{analysis.sha256}")

    # after analysis ---------------------------------------------------------------------
    def _check_models(self) -> list[dict[str, Any]]:
        if not self.config.analyse or not self.config.models:
            return []
        analyser = load_analyser(
            tuple(self.config.models),
            self.config.small_face_grid,
            self.config.model_choice,
            self.config.device,
        )
        providers = {ref.name: ref.provider for ref in analyser.models}
        return [
            {
                "task": task,
                "name": m.name,
                "sha256": m.sha256,
                "license": m.license,
                "measured": dict(m.measured),
                "provider": providers.get(m.name, ""),
            }
            for task, m in sorted(analyser.manifests.items())
        ]

    def _triage(self, rules: Any) -> None:
        from scanner.triage.gather import attributions, blob_facts

        records = queries.triage_records(self.db)
        items = (item for group in records.items.values() for item in group)
        replace_attributions(self.db, attributions(items, rules))
        findings = [
            Finding(sha256, found.rule, found.priority, found.category, found.reason)
            for sha256, facts in blob_facts(records, rules)
            for found in rules.evaluate(facts)
        ]
        replace_findings(self.db, findings)

    def _summary(self) -> ScanSummary:
        found = queries.counts(self.db)
        return ScanSummary(self.case, found["items"], found["blobs"], found["errors"])


def _item_task(source: Source, evidence_id: int, item: FileItem) -> ItemTask:
    return ItemTask(
        evidence_id,
        item.locator,
        item.path,
        item.size,
        item.deleted,
        times=item.times,
        origin=item.origin or path_origin(item.path) or {},
    )


def _carved_task(source: Source, evidence_id: int, extent: Extent, carved: Any) -> ItemTask:
    runs = tuple((int(o), int(n)) for o, n in carved.runs)
    value = ",".join(f"0x{o:x}+{n}" for o, n in runs)
    return ItemTask(
        evidence_id,
        source.locator.child("carve", f"{carved.kind}:runs={value}"),
        f"(carved {carved.kind} at 0x{runs[0][0]:x} in {extent.kind.value} space)",
        sum(n for _, n in runs),
        True,
        runs=runs,
        extent_kind=extent.kind.value,
        complete=bool(carved.complete),
    )


def _item_row(task: ItemTask, result: ItemResult) -> dict[str, Any]:
    return {
        "locator": str(task.locator),
        "locator_json": task.locator.to_json(),
        "path": task.path,
        "size": task.size,
        "deleted": task.deleted,
        "carved": task.runs is not None,
        "extent_kind": task.extent_kind,
        "runs": task.runs,
        "complete": task.complete,
        "times": task.times.as_dict(),
        "origin": task.origin,
        "sha256": result.sha256,
        "media_type": result.media_type,
    }


def _expansion_unit(task: ItemTask) -> str:
    return f"expand:{task.unit}"


def _fingerprint(source: Source) -> str:
    """Size and modification time of every container file, to show evidence was not changed."""
    files = []
    for name in source.container.files:
        stat = Path(name).stat()
        files.append({"file": Path(name).name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    return json.dumps(files, sort_keys=True)


def _now() -> str:
    from scanner.case.database import now

    return now()


def default_progress() -> Progress:
    return Progress(enabled=sys.stderr.isatty())
