"""How the scan sends files to its workers: in batches, a retried file alone."""

from __future__ import annotations

from pathlib import Path

from scanner.config import ScanConfig
from scanner.pipeline.engine import BATCH_ITEMS, Scan
from scanner.pipeline.progress import Progress
from scanner.pipeline.tasks import ItemTask
from scanner.types import Locator


def item(index: int, size: int = 100) -> ItemTask:
    locator = Locator((("folder", "/evidence"), ("file", f"file{index}")))
    return ItemTask(1, locator, f"/f{index}", size, False)


def scan_in(case: Path) -> Scan:
    config = ScanConfig()
    return Scan(case, [], config, "dftriage scan", Progress())


def test_small_files_go_in_batches_and_a_crashed_one_alone(tmp_path: Path) -> None:
    scan = scan_in(tmp_path / "case")
    scan.db.claim(item(7).unit)  # in progress when an earlier run died
    tasks = [item(i) for i in range(BATCH_ITEMS + 10)]
    batches = [work.task for work in scan._hashing(tasks, "files")]
    assert batches[0] == (item(7),)
    assert [len(b) for b in batches[1:]] == [BATCH_ITEMS, 9]
    assert sorted(t.path for b in batches for t in b) == sorted(t.path for t in tasks)


def test_done_files_are_not_sent_again(tmp_path: Path) -> None:
    scan = scan_in(tmp_path / "case")
    scan.db.claim(item(1).unit)
    scan.db.done(item(1).unit)
    batches = [work.task for work in scan._hashing([item(0), item(1), item(2)], "files")]
    assert batches == [(item(0), item(2))]


def test_large_files_close_a_batch_early(tmp_path: Path) -> None:
    scan = scan_in(tmp_path / "case")
    big = [item(i, size=5 << 20) for i in range(5)]
    assert [len(work.task) for work in scan._hashing(big, "files")] == [2, 2, 1]
