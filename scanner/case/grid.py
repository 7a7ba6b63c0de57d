"""The review grid: one row per content, filtered and paged by keyset (never OFFSET).

The review app builds a TEMP table `grid` on its read-only connection (`open_readonly`; temp
tables live apart from the case file): per blob its priority, nudity score, first location,
number of locations and, where the case has the column, the youngest apparent age of its faces.
Each sort has an index `(key, sha256)`, so a page is one index range scan.
"""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass, field
from typing import Any

PAGE_SIZE = 100
NO_PRIORITY = 99
AGE_COLUMN = ("faces", "apparent_age")  # the hook: a column a later analysis may add
SORTS = {  # name -> key expression in grid (ascending order is shown first)
    "priority": "priority",
    "nudity": "nudity_key",
    "size": "size",
    "sha256": "sha256",
}


@dataclass(frozen=True)
class Filters:
    """What the examiner asked for; empty values mean no filter."""

    priority: str = ""  # "1".."9" or "none"
    category: str = ""
    set_name: str = ""
    victim: str = ""
    nudity_min: float | None = None
    app: str = ""
    chat: str = ""
    deleted: bool = False
    carved: bool = False
    evidence: int | None = None
    age_max: float | None = None
    sort: str = "priority"
    after: str = ""  # the cursor: the last row of the page before

    def query(self, **changes: Any) -> dict[str, str]:
        """These filters (with `changes`) as URL query values, empty ones left out."""
        values = {**self.__dict__, **changes}
        return {
            key: ("1" if value is True else str(value))
            for key, value in values.items()
            if value not in ("", None, False) and not (key == "sort" and value == "priority")
        }


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    next_cursor: str = ""
    choices: dict[str, list[Any]] = field(default_factory=dict)


def has_age(conn: sqlite3.Connection) -> bool:
    table, column = AGE_COLUMN
    return column in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def build(conn: sqlite3.Connection) -> None:
    """Create the TEMP grid table and its sort indexes (about a second per 100,000 blobs)."""
    age = (
        "(SELECT MIN(apparent_age) FROM faces x WHERE x.sha256 = b.sha256)"
        if has_age(conn)
        else "NULL"
    )
    conn.executescript(
        f"""
        DROP TABLE IF EXISTS temp.grid;
        CREATE TEMP TABLE grid AS SELECT
            b.sha256 AS sha256, b.media_type AS media_type, b.size AS size,
            COALESCE((SELECT MIN(priority) FROM findings f WHERE f.sha256 = b.sha256),
                     {NO_PRIORITY}) AS priority,
            (SELECT value FROM scores s WHERE s.sha256 = b.sha256 AND s.name = 'nudity')
                AS nudity,
            (SELECT CASE WHEN i.carved THEN i.locator ELSE i.path END FROM items i
             WHERE i.sha256 = b.sha256 ORDER BY i.id LIMIT 1) AS name,
            (SELECT COUNT(*) FROM items i WHERE i.sha256 = b.sha256) AS locations,
            {age} AS apparent_age
        FROM blobs b;
        ALTER TABLE temp.grid ADD COLUMN nudity_key REAL;
        UPDATE temp.grid SET nudity_key = -COALESCE(nudity, -1);
        CREATE INDEX temp.grid_priority ON grid(priority, sha256);
        CREATE INDEX temp.grid_nudity ON grid(nudity_key, sha256);
        CREATE INDEX temp.grid_size ON grid(size, sha256);
        """
    )


def page(conn: sqlite3.Connection, filters: Filters, size: int = PAGE_SIZE) -> Page:
    """One page of the grid after `filters.after`, and how many rows match in all."""
    key = SORTS.get(filters.sort, "priority")
    where, params = _where(filters)
    total = conn.execute(f"SELECT COUNT(*) FROM grid g WHERE {where}", params).fetchone()[0]
    cursor = _decode(filters.after)
    keyset, keyset_params = "", []
    if cursor is not None:
        if key == "sha256":
            keyset, keyset_params = " AND g.sha256 > ?", [cursor[1]]
        else:
            keyset = f" AND (g.{key} > ? OR (g.{key} = ? AND g.sha256 > ?))"
            keyset_params = [cursor[0], cursor[0], cursor[1]]
    order = "g.sha256" if key == "sha256" else f"g.{key}, g.sha256"
    rows = [
        dict(row)
        for row in conn.execute(
            f"SELECT g.*, g.{key} AS sort_key FROM grid g WHERE {where}{keyset}"
            f" ORDER BY {order} LIMIT ?",
            [*params, *keyset_params, size + 1],
        )
    ]
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows else {}
    following = _encode(0 if key == "sha256" else last["sort_key"], last["sha256"]) if more else ""
    return Page(rows, int(total), following)


def choices(conn: sqlite3.Connection) -> dict[str, list[Any]]:
    """The values each list filter offers (categories, sets, victims, apps, evidence)."""
    return {
        "priority": [
            r[0] for r in conn.execute("SELECT DISTINCT priority FROM findings ORDER BY 1")
        ],
        "category": [
            r[0] for r in conn.execute("SELECT DISTINCT category FROM findings ORDER BY 1")
        ],
        "set_name": [
            r[0] for r in conn.execute("SELECT DISTINCT set_name FROM matches ORDER BY 1")
        ],
        "victim": [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT label FROM matches WHERE set_kind = 'victim'"
                " AND label IS NOT NULL ORDER BY 1"
            )
        ],
        "app": [r[0] for r in conn.execute("SELECT DISTINCT app FROM attributions ORDER BY 1")],
        "evidence": [tuple(r) for r in conn.execute("SELECT id, name FROM evidence ORDER BY id")],
    }


# Each filter is `g.sha256 IN (subquery)`: SQLite runs the subquery once per statement.
ON_ITEMS = "g.sha256 IN (SELECT sha256 FROM items WHERE {})"
ON_ATTRIBUTION = (
    "g.sha256 IN (SELECT i.sha256 FROM attributions a JOIN items i"
    " ON i.evidence_id = a.evidence_id AND i.locator = a.locator WHERE {})"
)


def _where(filters: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = ["1"]
    params: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        clauses.append(clause)
        params.extend(values)

    if filters.priority == "none":
        add("g.priority = ?", NO_PRIORITY)
    elif filters.priority.isdigit():
        add("g.priority = ?", int(filters.priority))
    if filters.category:
        add(
            "g.sha256 IN (SELECT sha256 FROM findings WHERE category = ?)",
            filters.category,
        )
    if filters.set_name:
        add(
            "g.sha256 IN (SELECT sha256 FROM matches WHERE set_name = ?)",
            filters.set_name,
        )
    if filters.victim:
        add(
            "g.sha256 IN (SELECT sha256 FROM matches WHERE set_kind = 'victim' AND label = ?)",
            filters.victim,
        )
    if filters.nudity_min is not None:
        add("g.nudity >= ?", filters.nudity_min)
    if filters.app:
        add(ON_ATTRIBUTION.format("a.app = ?"), filters.app)
    if filters.chat:
        add(ON_ATTRIBUTION.format("a.chat_id = ?"), filters.chat)
    if filters.deleted:
        add(ON_ITEMS.format("deleted = 1"))
    if filters.carved:
        add(ON_ITEMS.format("carved = 1"))
    if filters.evidence is not None:
        add(ON_ITEMS.format("evidence_id = ?"), filters.evidence)
    if filters.age_max is not None:
        add("g.apparent_age <= ?", filters.age_max)
    return " AND ".join(clauses), params


def _encode(key: Any, sha256: str) -> str:
    text = f"{key!r}|{sha256}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, str] | None:
    """The (key, sha256) of a cursor, or None if there is none or it is not one of ours."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key_text, sha256 = text.rsplit("|", 1)
        key: Any = float(key_text) if "." in key_text or "e" in key_text else int(key_text)
    except (ValueError, UnicodeDecodeError):
        return None
    return key, sha256
