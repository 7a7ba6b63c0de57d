"""`dftriage scan` end to end on the bundled example E01: every planted picture and video is
found with the right hashes and locations; a scan killed with SIGKILL and resumed ends with
exactly the results of an uninterrupted one."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import session_processes

DATA = Path(__file__).parents[1] / "data"
EXAMPLE = DATA / "example.E01"
TRUTH = json.loads((DATA / "ground_truth.json").read_text())["images"]["example.E01"]
MEDIA_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".mp4", ".bmp")


def scan_command(case: Path, *extra: str) -> list[str]:
    """`dftriage scan` of the example E01 into `case`, without models."""
    command = [sys.executable, "-m", "scanner", "scan", str(EXAMPLE), "--case", str(case)]
    return [*command, "--no-models", *extra]


def scan(case: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(scan_command(case, *extra), capture_output=True, text=True, timeout=600)


def results(case: Path) -> dict[str, list[tuple]]:
    """Everything a scan concludes, in a comparable form."""
    with sqlite3.connect(case / "case.sqlite") as db:
        return {
            "items": sorted(
                db.execute("SELECT locator, path, deleted, carved, sha256, media_type FROM items")
            ),
            "blobs": sorted(db.execute("SELECT sha256, md5, sha1, size, pdq, phash FROM blobs")),
            "matches": sorted(
                db.execute("SELECT sha256, face_idx, set_name, method, entry_id FROM matches")
            ),
            "findings": sorted(db.execute("SELECT sha256, rule, priority FROM findings")),
        }


@pytest.fixture(scope="module")
def reference_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = tmp_path_factory.mktemp("case")
    done = scan(case, "--carve")
    assert done.returncode in (0, 1), done.stderr
    assert "report:" in done.stdout
    return case


def test_every_planted_media_file_is_reported(reference_case: Path) -> None:
    report = json.loads((reference_case / "report.json").read_text())
    by_sha = {blob["sha256"]: blob for blob in report["blobs"]}
    planted = [f for f in TRUTH["files"] if f["path"].lower().endswith(MEDIA_SUFFIXES)]
    assert planted
    for expected in planted:
        blob = by_sha.get(expected["sha256"])
        assert blob is not None, f"{expected['path']} not reported"
        assert blob["md5"] == expected["md5"]
        paths = {(loc["path"], loc["deleted"]) for loc in blob["locations"]}
        assert (expected.get("listed_path", expected["path"]), expected["deleted"]) in paths
    assert all(blob["media_type"].startswith(("image/", "video/")) for blob in report["blobs"])


def test_the_reports_say_the_run_finished(reference_case: Path) -> None:
    run = json.loads((reference_case / "report.json").read_text())["runs"][-1]
    assert run["status"] == "finished" and run["finished"] >= run["started"]
    graph = json.loads((reference_case / "case.jsonld").read_text())["@graph"]
    actions = [
        node for node in graph if node.get("@type") == "case-investigation:InvestigativeAction"
    ]
    assert actions and all(a["uco-action:actionStatus"] == "Complete/Finish" for a in actions)
    assert all("uco-action:endTime" in action for action in actions)


def test_carving_target_is_recovered_with_byte_runs(reference_case: Path) -> None:
    report = json.loads((reference_case / "report.json").read_text())
    by_sha = {blob["sha256"]: blob for blob in report["blobs"]}
    for target in TRUTH["carve_targets"]:
        blob = by_sha.get(target["sha256"])
        assert blob is not None, f"carving target at {target['offset']} not recovered"
        carved = [loc for loc in blob["locations"] if loc["carved"]]
        assert carved and carved[0]["runs"][0][0] == target["offset"]


def test_rerun_on_a_finished_case_changes_nothing(reference_case: Path) -> None:
    before = results(reference_case)
    again = scan(reference_case, "--carve")
    assert again.returncode in (0, 1), again.stderr
    assert results(reference_case) == before


def test_sigkill_at_random_points_then_resume_gives_identical_results(
    reference_case: Path, tmp_path: Path
) -> None:
    expected = results(reference_case)
    case = tmp_path / "case"
    rng = random.Random(20261125)
    command = scan_command(case, "--carve", "--workers", "1")
    kills = 0
    for delay in sorted(rng.uniform(0.3, 3.0) for _ in range(4)):
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        time.sleep(delay)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
    final = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert final.returncode in (0, 1), final.stderr
    assert kills >= 1, "the scan finished before any kill; nothing was tested"
    assert results(case) == expected


def test_each_blob_is_analysed_once_while_the_walk_goes_on(tmp_path: Path) -> None:
    from PIL import Image

    evidence = tmp_path / "evidence"
    for folder in ("a", "b", "c", "d"):
        (evidence / folder).mkdir(parents=True)
        Image.new("RGB", (300, 200), (200, 30, 60)).save(evidence / folder / "same.jpg")
    Image.new("RGB", (120, 90), (10, 200, 90)).save(evidence / "other.png")
    case = tmp_path / "case"
    command = [sys.executable, "-m", "scanner", "scan", str(evidence), "--case", str(case)]
    done = subprocess.run(
        [*command, "--no-models", "--json"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    # every analysis ran during the walk: nothing was left for the stage after it
    assert not [e for e in events if e["event"] == "stage" and e.get("stage") == "analyse"]
    with sqlite3.connect(case / "case.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 5
        blobs = db.execute("SELECT sha256, pdq, width FROM blobs ORDER BY width").fetchall()
        units = db.execute(
            "SELECT unit, state, attempts FROM work WHERE unit LIKE 'analyse:%' ORDER BY unit"
        ).fetchall()
    assert [(width, pdq is not None) for _, pdq, width in blobs] == [(120, True), (300, True)]
    assert sorted(units) == sorted((f"analyse:{sha}", "done", 1) for sha, _, _ in blobs)


def test_workers_end_when_the_scan_process_is_killed(tmp_path: Path) -> None:
    """SIGKILL (or the OOM killer) on the scan's own process only: its worker processes,
    the forkserver and the resource tracker exit too, instead of waiting for work forever."""
    process = subprocess.Popen(
        scan_command(tmp_path / "case", "--carve", "--workers", "2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while len(session_processes(process.pid)) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)  # the scan, the resource tracker, the forkserver and 2 workers
    others = session_processes(process.pid) - {process.pid}
    os.kill(process.pid, signal.SIGKILL)
    if process.wait() != -signal.SIGKILL:
        pytest.fail("the scan ended before it was killed; nothing was tested")
    assert len(others) >= 4
    deadline = time.monotonic() + 60
    while session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = session_processes(process.pid)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} processes outlived the killed scan"
