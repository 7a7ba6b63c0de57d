"""The case's only writer of analysis results: typed records in, rows out.

A face's and a score's columns are their dataclass fields, so a new attribute is a field
in `scanner/types.py`, the code that computes it, and a column in `case/schema.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, astuple, fields
from typing import Any

from scanner.case.database import CaseDatabase
from scanner.types import BlobAnalysis, Face, Finding, Match, Score

BLOB_COLUMNS = ("width", "height", "pdq", "pdq_quality", "phash", "dhash")
FACE_COLUMNS = tuple(f.name for f in fields(Face))
SCORE_COLUMNS = tuple(f.name for f in fields(Score))
MATCH_COLUMNS = tuple(f.name for f in fields(Match))
JSON_FACE_COLUMNS = {"box", "landmarks"}


def store_analysis(db: CaseDatabase, analysis: BlobAnalysis) -> None:
    """Replace a blob's analysis (its columns, faces, scores) and record its errors."""
    facts = dict(analysis.facts)
    columns = [facts.pop(name, None) for name in BLOB_COLUMNS]
    assignments = ", ".join(f"{name}=?" for name in BLOB_COLUMNS)
    db.execute(
        f"UPDATE blobs SET {assignments}, facts=?, thumbnail=? WHERE sha256=?",
        (*columns, json.dumps(facts, sort_keys=True), analysis.thumbnail, analysis.sha256),
    )
    db.execute("DELETE FROM faces WHERE sha256 = ?", (analysis.sha256,))
    for face in analysis.faces:
        _insert(db, "faces", analysis.sha256, _face_values(face))
    for score in analysis.scores:
        _insert(db, "scores", analysis.sha256, asdict(score), replace=True)
    for error in analysis.errors:
        db.add_error(f"sha256:{analysis.sha256}", "analyse", error)


def replace_matches(db: CaseDatabase, matches: list[Match]) -> None:
    """The case's matches are `matches` (recomputed on every run)."""
    db.execute("DELETE FROM matches")
    names, marks = ", ".join(MATCH_COLUMNS), ", ".join("?" * len(MATCH_COLUMNS))
    for match in matches:
        values = astuple(match)
        db.execute(f"INSERT OR REPLACE INTO matches ({names}) VALUES ({marks})", values)


def replace_findings(db: CaseDatabase, findings: list[Finding]) -> None:
    """The case's findings are `findings` (recomputed on every run)."""
    db.execute("DELETE FROM findings")
    for finding in findings:
        db.execute(
            "INSERT OR REPLACE INTO findings (sha256, rule, priority, category, reason)"
            " VALUES (?, ?, ?, ?, ?)",
            astuple(finding),
        )


def replace_attributions(
    db: CaseDatabase, rows: Iterable[tuple[int, str, str, str | None, str | None]]
) -> None:
    """The apps, chats and accounts each item's path names (recomputed on every run)."""
    db.execute("DELETE FROM attributions")
    for row in rows:
        db.execute(
            "INSERT OR IGNORE INTO attributions (evidence_id, locator, app, chat_id, account_id)"
            " VALUES (?, ?, ?, ?, ?)",
            row,
        )


def _face_values(face: Face) -> dict[str, Any]:
    values = asdict(face)
    for name in JSON_FACE_COLUMNS:
        values[name] = json.dumps(values[name])
    return values


def _insert(
    db: CaseDatabase, table: str, sha256: str, values: dict[str, Any], replace: bool = False
) -> None:
    names = ", ".join(["sha256", *values])
    marks = ", ".join("?" * (len(values) + 1))
    verb = "INSERT OR REPLACE" if replace else "INSERT"
    db.execute(f"{verb} INTO {table} ({names}) VALUES ({marks})", (sha256, *values.values()))
