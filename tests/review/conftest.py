"""Fixtures for review tests: the report tests' small case, and the review app as a process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report.report_case import Case, fill_case
from tests.review.review_app import Server, start_review, stop


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


@pytest.fixture
def server(case: Case) -> Iterator[Server]:
    started = start_review(case.folder)
    yield started
    stop(started)
