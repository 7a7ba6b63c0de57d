"""The review app as a child process, for the browser tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

EXAMINER = "Insp. <b>Kim</b>"


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
