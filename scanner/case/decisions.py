"""The examiner's decisions: an append-only log in the `decisions` table (migration 0004).

A decision targets an item (`<evidence id>:<locator>`), a blob (`<sha256>`), a face
(`<sha256>/<idx>`) or a finding (`<sha256>/<rule>`). Rows are only ever inserted (triggers
refuse UPDATE and DELETE); when shown, the latest decision per target and aspect wins
(a verdict, a category, a victim name and a note are separate aspects). This module holds
the only SQL that touches the table; the scanner's own tables are never written here.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

KINDS = ("item", "blob", "face", "finding")
ASPECTS = {
    "confirm": "verdict",
    "reject": "verdict",
    "second-look": "verdict",
    "category": "category",
    "victim": "victim",
    "note": "note",
}
MAX_TEXT = 2000  # characters of a value or a note


class DecisionError(ValueError):
    """A decision that cannot be recorded (unknown kind or decision, text too long)."""


def record(
    conn: sqlite3.Connection,
    examiner: str,
    kind: str,
    key: str,
    decision: str,
    value: str = "",
    note: str = "",
    overrides: dict[str, Any] | None = None,
) -> int:
    """Append one decision and return its id."""
    if kind not in KINDS:
        raise DecisionError(f"unknown target kind {kind!r}")
    if decision not in ASPECTS:
        raise DecisionError(f"unknown decision {decision!r}")
    if not examiner.strip() or not key:
        raise DecisionError("a decision needs an examiner and a target")
    if max(len(examiner), len(key), len(value), len(note)) > MAX_TEXT:
        raise DecisionError(f"text longer than {MAX_TEXT} characters")
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    cursor = conn.execute(
        "INSERT INTO decisions (at, examiner, target_kind, target_key, decision, value, note,"
        " overrides) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            at,
            examiner,
            kind,
            key,
            decision,
            value,
            note,
            json.dumps(overrides or {}, sort_keys=True),
        ),
    )
    conn.commit()
    return int(cursor.lastrowid or 0)


def has_table(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'decisions'"
    ).fetchone()
    return row is not None


def all_decisions(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every decision, oldest first (an empty list for a case made before 0004)."""
    if not has_table(conn):
        return []
    return [_decoded(row) for row in conn.execute("SELECT * FROM decisions ORDER BY id")]


def for_targets(conn: sqlite3.Connection, targets: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The decisions on the given (kind, key) targets, oldest first."""
    found: list[dict[str, Any]] = []
    for kind, key in targets:
        found += [
            _decoded(row)
            for row in conn.execute(
                "SELECT * FROM decisions WHERE target_kind = ? AND target_key = ? ORDER BY id",
                (kind, key),
            )
        ]
    return sorted(found, key=lambda d: int(d["id"]))


def for_blobs(conn: sqlite3.Connection, shas: list[str]) -> list[dict[str, Any]]:
    """The decisions on these blobs and on their items, faces and findings, oldest first."""
    if not shas or not has_table(conn):
        return []
    marks = ", ".join("?" * len(shas))
    rows = conn.execute(
        "SELECT * FROM decisions WHERE (target_kind = 'blob' AND target_key IN"
        f" ({marks})) OR (target_kind IN ('face', 'finding') AND substr(target_key, 1, 64)"
        f" IN ({marks})) OR (target_kind = 'item' AND target_key IN (SELECT evidence_id"
        f" || ':' || locator FROM items WHERE sha256 IN ({marks}))) ORDER BY id",
        [*shas, *shas, *shas],
    )
    return [_decoded(row) for row in rows]


def latest(decisions: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The latest decision per (kind, key, aspect) of `decisions` (as all_decisions gives)."""
    winners: dict[tuple[str, str, str], dict[str, Any]] = {}
    for decision in sorted(decisions, key=lambda d: int(d["id"])):
        aspect = ASPECTS.get(decision["decision"], decision["decision"])
        winners[(decision["target_kind"], decision["target_key"], aspect)] = decision
    return winners


def item_key(evidence_id: int, locator: str) -> str:
    """The target key of one item (location)."""
    return f"{evidence_id}:{locator}"


def blob_of(kind: str, key: str, item_blobs: dict[str, str]) -> str | None:
    """The SHA-256 a target belongs to; items through `item_blobs` (item key → sha256)."""
    if kind == "item":
        return item_blobs.get(key)
    return key.split("/", 1)[0] if key else None


def _decoded(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    names = ("id", "at", "examiner", "target_kind", "target_key", "decision", "value", "note")
    record_ = dict(zip((*names, "overrides"), tuple(row), strict=True))
    record_["overrides"] = json.loads(record_["overrides"] or "{}")
    return record_
