"""Fixtures for report tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report.report_case import Case, fill_case


@pytest.fixture
def case(tmp_path: Path) -> Iterator[Case]:
    built = fill_case(tmp_path / "case")
    yield built
    built.db.close()
