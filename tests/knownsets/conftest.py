"""Fixtures for known-set tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A private data home for one test."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder
