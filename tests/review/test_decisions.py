"""The decisions table on a real SQLite case: append-only, latest per aspect, validated."""

from __future__ import annotations

import sqlite3

import pytest

from scanner.case import decisions
from tests.report.report_case import Case


def test_decisions_are_append_only(case: Case) -> None:
    sha256 = next(iter(case.pictures))
    number = decisions.record(case.db.conn, "kim", "blob", sha256, "confirm", overrides={"p": 1})
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        case.db.execute("UPDATE decisions SET decision = 'reject' WHERE id = ?", (number,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        case.db.execute("DELETE FROM decisions")
    (stored,) = decisions.all_decisions(case.db.conn)
    assert stored["decision"] == "confirm" and stored["overrides"] == {"p": 1}


def test_latest_wins_per_target_and_aspect(case: Case) -> None:
    sha256 = next(iter(case.pictures))
    conn = case.db.conn
    decisions.record(conn, "kim", "blob", sha256, "confirm")
    decisions.record(conn, "kim", "blob", sha256, "category", value="2")
    decisions.record(conn, "lee", "blob", sha256, "reject", note="adult, not a minor")
    decisions.record(conn, "lee", "face", f"{sha256}/0", "victim", value="A. Victim")
    winners = decisions.latest(decisions.for_blobs(conn, [sha256]))
    assert winners[("blob", sha256, "verdict")]["decision"] == "reject"
    assert winners[("blob", sha256, "category")]["value"] == "2"
    assert winners[("face", f"{sha256}/0", "victim")]["value"] == "A. Victim"
    assert len(decisions.all_decisions(conn)) == 4
    assert decisions.for_blobs(conn, ["0" * 64]) == []


def test_unknown_kinds_and_decisions_are_refused(case: Case) -> None:
    conn = case.db.conn
    with pytest.raises(decisions.DecisionError):
        decisions.record(conn, "kim", "evidence", "1", "confirm")
    with pytest.raises(decisions.DecisionError):
        decisions.record(conn, "kim", "blob", "a" * 64, "delete")
    with pytest.raises(decisions.DecisionError):
        decisions.record(conn, " ", "blob", "a" * 64, "confirm")
    with pytest.raises(decisions.DecisionError):
        decisions.record(conn, "kim", "blob", "a" * 64, "note", note="x" * 5000)
    assert decisions.all_decisions(conn) == []
