"""The cluster's unit for a batch of files: hashed, and its new pictures analysed, in one
task, with the results of the pool's separate hash and analysis tasks; the scan stores an
analysis that came with its item, and queues one for a new blob that came without."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from scanner.config import ScanConfig
from scanner.evidence import open_evidence
from scanner.pipeline.cluster import ANALYSED, hash_and_analyse
from scanner.pipeline.engine import Scan, _item_task
from scanner.pipeline.progress import Progress
from scanner.pipeline.tasks import BlobTask, ItemResult, ItemTask
from scanner.pipeline.worker import analyse_blob, hash_items
from scanner.types import FileItem
from tests.pipeline.daskprocs import write_pictures

CONFIG = ScanConfig().with_overrides(models=["face-detect"])
SETTINGS = CONFIG.as_dict()


@pytest.fixture
def tasks(tmp_path: Path) -> tuple[ItemTask, ...]:
    """Six JPEGs, a copy of the first (sorted first), a zip and a text file."""
    folder = tmp_path / "evidence"
    write_pictures(folder, 6, 41)
    source = open_evidence(folder)
    walked = sorted((e for e in source.walk() if isinstance(e, FileItem)), key=lambda e: e.path)
    return tuple(_item_task(source, 1, item) for item in walked)


@pytest.fixture(autouse=True)
def fresh_worker() -> None:
    ANALYSED.clear()  # as the worker plugin does when a scan starts


def first_media(results: list[ItemResult]) -> dict[str, ItemResult]:
    found: dict[str, ItemResult] = {}
    for result in results:
        if result.is_media:
            found.setdefault(result.sha256, result)
    return found


def test_a_batch_hashed_and_analysed_in_one_task_equals_the_pools(
    tasks: tuple[ItemTask, ...],
) -> None:
    fused = hash_and_analyse(SETTINGS, tasks)
    hashed = hash_items(tasks)
    assert [replace(result, analysis=None) for result in fused] == hashed
    analysed = [result for result in fused if result.analysis is not None]
    # each distinct picture once, with the first item showing it (copy/p000.jpg, not p000.jpg)
    assert [r.task for r in analysed] == [r.task for r in first_media(hashed).values()]
    assert len(analysed) == 6 and analysed[0].task.path.endswith("copy/p000.jpg")
    for result in analysed:
        task = result.task
        blob = BlobTask(result.sha256, result.media_type, task.size, task.locator, SETTINGS)
        assert result.analysis == analyse_blob(blob)
        assert result.analysis.facts and result.analysis.thumbnail
    # pictures this worker analysed already come back without (their first result counts)
    assert [r for r in hash_and_analyse(SETTINGS, tasks) if r.analysis is not None] == []


def test_the_scan_stores_an_analysis_that_came_and_queues_one_that_did_not(
    tasks: tuple[ItemTask, ...], tmp_path: Path
) -> None:
    fused = hash_and_analyse(SETTINGS, tasks)
    bare = [replace(result, analysis=None) for result in fused]
    stored = {}
    for name, results in (("with", fused), ("without", bare)):
        scan = Scan(tmp_path / name, [], CONFIG, "scan", Progress())
        scan.db.begin()
        for task in tasks:
            scan.db.claim(task.unit)
        scan._store_items(results)
        scan.db.commit()
        rows = scan.db.rows("SELECT sha256, pdq, thumbnail FROM blobs ORDER BY sha256")
        work = scan.db.rows("SELECT unit, state FROM work WHERE unit LIKE 'analyse:%'")
        stored[name] = ([tuple(row) for row in rows], sorted(map(tuple, work)))
        queued = [work.task for work in scan._follow_ups]
        if name == "without":
            assert sorted(t.sha256 for t in queued) == sorted(first_media(bare))
            assert all(pdq is None for _, pdq, _ in stored[name][0])
        else:
            assert queued == []
            assert all(pdq and thumbnail for _, pdq, thumbnail in stored[name][0])
            assert {state for _, state in stored[name][1]} == {"done"}
        scan.db.close()
    assert len(stored["with"][0]) == len(stored["without"][0]) == 6
