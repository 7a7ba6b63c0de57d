"""Test-wide settings: a private data directory, so tests never touch the user's; it is
removed when the test session ends."""

import os
import shutil
import tempfile

import pytest

PRIVATE_HOME = (
    None if "DFTRIAGE_HOME" in os.environ else tempfile.mkdtemp(prefix="dftriage-test-home-")
)
if PRIVATE_HOME is not None:
    os.environ["DFTRIAGE_HOME"] = PRIVATE_HOME


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if PRIVATE_HOME is not None:
        shutil.rmtree(PRIVATE_HOME, ignore_errors=True)
