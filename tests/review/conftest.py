"""Fixtures for review tests: the report tests' small case, and the review app as a process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "report"))

from report_case import Case, fill_case  # noqa: E402

EXAMINER = "Insp. <b>Kim</b>"


@pytest.fixture
def case(tmp_path: Path) -> Iterator[Case]:
    built = fill_case(tmp_path / "case")
    for sha256 in built.pictures:  # thumbnails stored as a scan stores them
        built.db.execute(
            "UPDATE blobs SET thumbnail = ? WHERE sha256 = ?", (built.thumbnail(sha256), sha256)
        )
    built.db.commit()
    yield built
    built.db.close()


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str  # with the token
    origin: str  # http://127.0.0.1:PORT
    token: str


def start_review(folder: Path, *extra: str) -> Server:
    """`dftriage review FOLDER` on a random port, as a child process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner", "review", str(folder), "--examiner", EXAMINER, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+)/\?token=([\w-]+)", line)
    if found is None:
        process.kill()
        raise AssertionError(
            f"no URL printed: {line!r} {process.stderr.read() if process.stderr else ''}"
        )
    return Server(process, found.group(0), found.group(1), found.group(2))


def stop(server: Server) -> None:
    os.kill(server.process.pid, signal.SIGTERM)
    server.process.wait(timeout=10)


@pytest.fixture
def server(case: Case) -> Iterator[Server]:
    started = start_review(case.folder)
    yield started
    stop(started)
