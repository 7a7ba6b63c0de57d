"""`dftriage scan --cluster` against a real scheduler and workers on 127.0.0.1 concludes
exactly what the process pool does, also when a worker or the scan itself is killed
mid-scan; a unit that kills its workers is poisoned, as after crashes of the pool."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.commands.test_scan import results
from tests.hashes import file_sha256
from tests.pipeline.daskprocs import (
    EXAMPLE,
    ROOT,
    DaskCluster,
    environment,
    scan,
    scan_command,
    write_pictures,
)
from tests.processes import session_processes

PASSWORD = "pw-never-stored-4711"


def test_a_cluster_scan_of_the_e01_equals_the_pools(
    cluster: DaskCluster, pool_results: dict, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    done = scan(case, [EXAMPLE], "--carve", "--cluster", cluster.address, "--password", PASSWORD)
    assert done.returncode == 0, done.stderr
    assert results(case) == pool_results["e01"]
    # the password went to the workers only: not in the case, its reports or any log
    stored = [p.read_bytes() for p in case.rglob("*") if p.is_file()]
    logs = [cluster.log(name) for name in ("scheduler", "worker-0", "worker-1")]
    assert not [b for b in stored if PASSWORD.encode() in b]
    assert PASSWORD not in done.stderr + done.stdout + "".join(logs)


def test_a_cluster_scan_of_a_folder_and_zip_equals_the_pools(
    cluster: DaskCluster, pool_results: dict, folder_evidence: Path, tmp_path: Path
) -> None:
    done = scan(tmp_path / "case", [folder_evidence], "--cluster", cluster.address, "--json")
    assert done.returncode == 0, done.stderr
    assert results(tmp_path / "case") == pool_results["folder"]
    assert any("zip:member=DCIM/m0.png" in item[0] for item in pool_results["folder"]["items"])


def test_a_local_cluster_scan_equals_the_pools(pool_results: dict, tmp_path: Path) -> None:
    done = scan(tmp_path / "case", [EXAMPLE], "--carve", "--cluster", "local:2")
    assert done.returncode == 0, done.stderr
    assert results(tmp_path / "case") == pool_results["e01"]


def test_workers_read_the_evidence_where_path_map_says(
    cluster: DaskCluster, tmp_path: Path
) -> None:
    """The walk lists LOCAL here; the workers read the same names under REMOTE."""
    local, remote = tmp_path / "local", tmp_path / "remote"
    for folder, colour in ((local, (200, 10, 10)), (remote, (10, 10, 200))):
        folder.mkdir()
        Image.new("RGB", (64, 64), colour).save(folder / "x.bmp")  # the same size
    case = tmp_path / "case"
    done = scan(case, [local], "--cluster", cluster.address, "--path-map", f"{local}={remote}")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(case / "case.sqlite") as db:
        (sha256,), *_ = db.execute("SELECT sha256 FROM blobs").fetchall() or [(None,)]
        (path,) = db.execute("SELECT path FROM evidence").fetchone()
    assert sha256 == file_sha256(remote / "x.bmp")
    assert path == str(local)  # recorded as given


def _done_analyses(case: Path) -> int:
    try:
        with sqlite3.connect(f"file:{case / 'case.sqlite'}?mode=ro", uri=True) as db:
            query = "SELECT COUNT(*) FROM work WHERE unit LIKE 'analyse:%' AND state = 'done'"
            return int(db.execute(query).fetchone()[0])
    except sqlite3.Error:
        return 0


def test_a_worker_killed_mid_scan_changes_nothing(
    pool_results: dict, folder_evidence: Path, tmp_path: Path
) -> None:
    own = DaskCluster(tmp_path / "dask")
    own.folder.mkdir()
    try:
        own.start(2)
        case = tmp_path / "case"
        command = scan_command(case, [folder_evidence], "--cluster", own.address)
        process = subprocess.Popen(
            command, env=environment(), cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 120
        while _done_analyses(case) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        killed = process.poll() is None
        os.kill(own.workers[1].pid, signal.SIGKILL)
        _, stderr = process.communicate(timeout=300)
        assert killed, "the scan ended before a worker was killed; nothing was tested"
        assert own.workers[1].wait() == -signal.SIGKILL
        assert process.returncode == 0, stderr
        assert _done_analyses(case) > 10  # the scan went on after the kill
        assert results(case) == pool_results["folder"]
    finally:
        own.stop()


def test_the_scan_killed_then_resumed_equals_the_pools(
    cluster: DaskCluster, pool_results: dict, folder_evidence: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    command = scan_command(case, [folder_evidence], "--cluster", cluster.address)
    # killed when 10, 45 and 80 of the 131 analyses are done (plus a random moment)
    rng, kills = random.Random(20261207), 0
    for done in (10, 45, 80):
        process = subprocess.Popen(
            command,
            env=environment(),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while _done_analyses(case) < done and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.3))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
    final = subprocess.run(command, capture_output=True, text=True, env=environment(), cwd=ROOT)
    assert final.returncode == 0, final.stderr
    assert kills >= 2, "the scans finished before their kills; nothing was tested"
    assert results(case) == pool_results["folder"]


@pytest.fixture
def poisoned_folder(tmp_path: Path) -> tuple[Path, dict]:
    """A few pictures, the pool's results for them, then poison.jpg added."""
    folder = tmp_path / "evidence"
    write_pictures(folder, 6, 7)
    done = scan(tmp_path / "pool", [folder])
    assert done.returncode == 0, done.stderr
    Image.new("RGB", (50, 40), (1, 2, 3)).save(folder / "poison.jpg")
    return folder, results(tmp_path / "pool")


def test_a_unit_that_kills_its_workers_is_poisoned(
    poisoned_folder: tuple[Path, dict], tmp_path: Path
) -> None:
    folder, expected = poisoned_folder
    own = DaskCluster(tmp_path / "dask")
    own.folder.mkdir()
    preload = str(Path(__file__).with_name("crash_preload.py"))
    try:
        own.start(2, "--preload", preload)  # with nannies: a dead worker is restarted
        case = tmp_path / "case"
        done = scan(case, [folder], "--cluster", own.address)
        assert done.returncode == 1, done.stderr  # an error row: the poisoned unit
        assert results(case) == expected
        with sqlite3.connect(case / "case.sqlite") as db:
            errors = db.execute("SELECT locator, stage, reason FROM errors").fetchall()
            work = db.execute(
                "SELECT state, attempts FROM work WHERE unit LIKE '%poison.jpg'"
            ).fetchall()
        assert [(stage, reason) for _, stage, reason in errors] == [
            ("resume", "in progress at 2 crashes; skipped as poisoned")
        ]
        assert "poison.jpg" in errors[0][0] and work == [("poisoned", 2)]
    finally:
        own.stop()


def test_a_picture_whose_analysis_kills_its_workers_poisons_only_its_analysis(
    poisoned_folder: tuple[Path, dict], tmp_path: Path
) -> None:
    """Hashed and analysed in one task on a cluster: the batch is retried file by file,
    hashing only, and the analysis of poison.jpg alone is poisoned; the file is recorded."""
    folder, expected = poisoned_folder
    poison = file_sha256(folder / "poison.jpg")
    own = DaskCluster(tmp_path / "dask")
    own.folder.mkdir()
    preload = str(Path(__file__).with_name("crash_analysis_preload.py"))
    try:
        own.start(2, "--preload", preload)
        case = tmp_path / "case"
        done = scan(case, [folder], "--cluster", own.address)
        assert done.returncode == 1, done.stderr
        found = results(case)
        assert [i for i in found["items"] if not i[1].endswith("poison.jpg")] == expected["items"]
        assert [b for b in found["blobs"] if b[0] != poison] == expected["blobs"]
        assert [b[4:] for b in found["blobs"] if b[0] == poison] == [(None, None)]  # no PDQ
        with sqlite3.connect(case / "case.sqlite") as db:
            errors = db.execute("SELECT locator, stage, reason FROM errors").fetchall()
            work = db.execute(
                "SELECT unit, state, attempts FROM work WHERE unit LIKE ? OR unit LIKE ?",
                (f"analyse:{poison}", "%poison.jpg"),
            ).fetchall()
        assert errors == [
            (f"analyse:{poison}", "resume", "in progress at 2 crashes; skipped as poisoned")
        ]
        assert sorted((unit.startswith("analyse:"), state) for unit, state, _ in work) == [
            (False, "done"),
            (True, "poisoned"),
        ]
    finally:
        own.stop()


def test_local_cluster_workers_end_when_the_scan_is_killed(
    folder_evidence: Path, tmp_path: Path
) -> None:
    command = scan_command(tmp_path / "case", [folder_evidence], "--cluster", "local:2")
    process = subprocess.Popen(
        command,
        env=environment(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while _done_analyses(tmp_path / "case") < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    others = session_processes(process.pid) - {process.pid}
    os.kill(process.pid, signal.SIGKILL)
    if process.wait() != -signal.SIGKILL:
        pytest.fail("the scan ended before it was killed; nothing was tested")
    assert len(others) >= 2  # at least the two Dask workers
    deadline = time.monotonic() + 60
    while session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = session_processes(process.pid)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"{len(left)} processes outlived the killed scan"
