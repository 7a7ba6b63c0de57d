"""Shared fixtures for the inference tests: a private home with the ../shared models."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hashes import file_sha256
from tests.inference.inference_support import MODELS, SHARED_MODELS


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private $DFTRIAGE_HOME holding every ../shared model that is present."""
    from scanner.inference.catalog import add_model

    root = tmp_path_factory.mktemp("dftriage-home")
    for relative, sha in SHARED_MODELS.values():
        path = MODELS / relative
        if path.is_file() and file_sha256(path) == sha:
            add_model(path, home=root)
    return root


@pytest.fixture(autouse=True)
def _private_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never touch the examiner's real data directory from a test."""
    monkeypatch.setenv("DFTRIAGE_HOME", str(tmp_path / "default-home"))
