"""Units of work in the case database: first try, retry after a crash, poisoned, done."""

from __future__ import annotations

from pathlib import Path

from scanner.case.database import CaseDatabase


def test_a_unit_is_retried_once_after_a_crash_then_poisoned(tmp_path: Path) -> None:
    db = CaseDatabase(tmp_path)
    assert db.claim("item:1:a") == 1
    assert db.claim("item:1:a") == 2  # found started: the run that claimed it died
    assert db.claim("item:1:a") == 0  # died again: poisoned, never tried again
    assert db.unit_state("item:1:a") == ("poisoned", 2)
    assert db.claim("item:1:a") == 0
    reasons = [row["reason"] for row in db.rows("SELECT reason FROM errors")]
    assert reasons == ["in progress at 2 crashes; skipped as poisoned"]
    db.close()


def test_a_done_unit_is_not_claimed_again(tmp_path: Path) -> None:
    db = CaseDatabase(tmp_path)
    assert db.claim("analyse:abc") == 1
    db.done("analyse:abc")
    assert db.claim("analyse:abc") == 0
    assert db.unit_state("analyse:abc") == ("done", 1)
    db.close()
    again = CaseDatabase(tmp_path)  # state survives the process
    assert again.claim("analyse:abc") == 0
    assert again.claim("analyse:new") == 1
    again.close()
