"""Test-wide settings: a private data directory, so tests never touch the user's; it is
removed when the test session ends."""

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.browser import browser  # noqa: F401 - the headless Chromium fixture, for every page test

PRIVATE_HOME = (
    None if "DFTRIAGE_HOME" in os.environ else tempfile.mkdtemp(prefix="dftriage-test-home-")
)
if PRIVATE_HOME is not None:
    os.environ["DFTRIAGE_HOME"] = PRIVATE_HOME


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if PRIVATE_HOME is not None:
        shutil.rmtree(PRIVATE_HOME, ignore_errors=True)


@pytest.fixture
def damaged_video(tmp_path: Path) -> Path:
    """An MPEG-4 clip whose container is intact and whose frame data is all zeros."""
    clip = tmp_path / "damaged.mp4"
    source = "testsrc=duration=2:size=160x120:rate=10"
    command = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-c:v", "mpeg4"]
    subprocess.run([*command, str(clip)], check=True)
    data = bytearray(clip.read_bytes())
    at = data.find(b"mdat") - 4
    size = struct.unpack(">I", data[at : at + 4])[0]
    data[at + 8 : at + size] = bytes(size - 8)
    clip.write_bytes(bytes(data))
    return clip
