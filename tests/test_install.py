"""The built wheel, installed into a fresh venv outside the checkout, finds everything it
ships: the bundled models are listed and the bundled example scans (issue #18)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LEFTOVERS = shutil.ignore_patterns(".*", "*.egg-info", "build", "dist", "__pycache__", "*.so")
"""Not copied: git, caches and earlier builds (a stale egg-info's file list would be reused)."""


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_wheel_in_a_fresh_venv_lists_models_and_scans_the_example(tmp_path: Path) -> None:
    pytest.importorskip("build")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    source, dist = tmp_path / "source", tmp_path / "dist"
    shutil.copytree(REPO, source, symlinks=True, ignore=LEFTOVERS)
    done = _run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        tmp_path,
        env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(list(dist.glob("dftriage-*.tar.gz"))) == 1
    wheel = next(dist.glob("dftriage-*.whl"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--no-deps", "--force-reinstall", "--no-index"]
    done = _run([*pip, str(wheel)], tmp_path, env)
    assert done.returncode == 0, done.stderr[-3000:]

    work = tmp_path / "work"
    work.mkdir()
    env["DFTRIAGE_HOME"] = str(tmp_path / "home")
    located = _run([str(python), "-c", "import scanner; print(scanner.__file__)"], work, env)
    assert Path(located.stdout.strip()).is_relative_to(venv), located.stdout + located.stderr

    dftriage = str(venv / "bin" / "dftriage")
    listed = _run([dftriage, "models", "list", "--json"], work, env)
    assert listed.returncode == 0, listed.stderr
    present = {row["name"] for row in json.loads(listed.stdout) if row["present"]}
    assert {"mtcnn", "nudenet-320n"} <= present

    scan = _run([dftriage, "example", "--case", str(work / "case"), "--json"], work, env)
    assert scan.returncode == 0, scan.stderr[-3000:]
    finished = json.loads(scan.stdout.splitlines()[-1])
    assert finished["event"] == "finished" and finished["items"] > 0 and finished["errors"] == 0
    report = json.loads((work / "case" / "report.json").read_text())
    assert report["summary"]["findings_by_priority"] == {"1": 2}
    assert (work / "case" / "report.html").is_file()
