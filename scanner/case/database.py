"""The case database: one SQLite file (WAL) in the case folder, written by one writer.

Units of work (`walk:…`, `item:…`, `carve:…`, `analyse:…`) are recorded as started and
done; a unit found `started` when a run begins was in progress at a crash: it is retried
once, and a unit that was already retried is recorded as poisoned instead.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner.case.schema import MIGRATIONS
from scanner.errors import CaseError

DB_NAME = "case.sqlite"
MAX_ATTEMPTS = 2


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_readonly(folder: Path) -> sqlite3.Connection:
    """A read-only connection to a case (rows by name), e.g. for the review app; TEMP tables
    made on it (the review grid) live outside the file."""
    uri = (folder / DB_NAME).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def open_decisions(folder: Path) -> sqlite3.Connection:
    """The review's one writable connection: used only by `scanner.case.decisions.record`."""
    conn = sqlite3.connect(folder / DB_NAME, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


class CaseDatabase:
    """Typed access to a case folder's database."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / DB_NAME
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise CaseError(f"{self.path}: {exc}") from exc
        self._in_tx = False

    def _migrate(self) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, at TEXT)")
        done = {row[0] for row in self.conn.execute("SELECT name FROM migrations")}
        known = {name for name, _ in MIGRATIONS}
        if done - known:
            raise CaseError(f"{self.path}: made by a newer dftriage ({sorted(done - known)})")
        for name, sql in MIGRATIONS:
            if name not in done:
                self.conn.executescript(
                    f"BEGIN; {sql}; INSERT INTO migrations VALUES ('{name}', '{now()}'); COMMIT;"
                )

    # transactions -----------------------------------------------------------------
    def begin(self) -> None:
        if not self._in_tx:
            self.conn.execute("BEGIN")
            self._in_tx = True

    def commit(self) -> None:
        if self._in_tx:
            self.conn.execute("COMMIT")
            self._in_tx = False

    def close(self) -> None:
        self.commit()
        self.conn.close()

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, tuple(params))

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return list(self.conn.execute(sql, tuple(params)))

    # runs and evidence --------------------------------------------------------------
    def start_run(self, command: str, version: str, config: dict[str, Any]) -> int:
        cursor = self.execute(
            "INSERT INTO runs (started, command, version, config) VALUES (?, ?, ?, ?)",
            (now(), command, version, json.dumps(config, sort_keys=True)),
        )
        return int(cursor.lastrowid or 0)

    def update_run(self, run_id: int, **fields: Any) -> None:
        for key, value in fields.items():
            if key not in ("finished", "status", "models", "sets"):
                raise ValueError(f"unknown run field {key}")
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            self.execute(f"UPDATE runs SET {key} = ? WHERE id = ?", (text, run_id))

    def add_evidence(
        self,
        path: str,
        name: str,
        kind: str,
        size: int,
        files: list[str],
        stored_hashes: dict[str, str],
        metadata: dict[str, str],
    ) -> int:
        row = self.conn.execute("SELECT id FROM evidence WHERE path = ?", (path,)).fetchone()
        if row:
            return int(row[0])
        cursor = self.execute(
            "INSERT INTO evidence (path, name, kind, size, files, stored_hashes, metadata)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                path,
                name,
                kind,
                size,
                json.dumps(files),
                json.dumps(stored_hashes, sort_keys=True),
                json.dumps(metadata, sort_keys=True),
            ),
        )
        return int(cursor.lastrowid or 0)

    def set_fingerprint(self, evidence_id: int, when: str, value: str) -> None:
        column = {"before": "fingerprint_before", "after": "fingerprint_after"}[when]
        self.execute(f"UPDATE evidence SET {column} = ? WHERE id = ?", (value, evidence_id))

    # units of work --------------------------------------------------------------------
    def unit_state(self, unit: str) -> tuple[str | None, int]:
        row = self.conn.execute(
            "SELECT state, attempts FROM work WHERE unit = ?", (unit,)
        ).fetchone()
        return (row[0], int(row[1])) if row else (None, 0)

    def claim(self, unit: str) -> int:
        """Mark `unit` started and return its attempt number (1 on a first try, 2 after a
        crash); 0 if it is done, or poisoned after repeated crashes."""
        new = self.execute(
            "INSERT INTO work (unit, state, attempts) VALUES (?, 'started', 1)"
            " ON CONFLICT(unit) DO NOTHING",
            (unit,),
        )
        if new.rowcount == 1:  # the common case on a first run: one statement
            return 1
        state, attempts = self.unit_state(unit)
        if state in ("done", "poisoned"):
            return 0
        if state == "started" and attempts >= MAX_ATTEMPTS:
            self.execute("UPDATE work SET state = 'poisoned' WHERE unit = ?", (unit,))
            self.add_error(
                unit, "resume", f"in progress at {attempts} crashes; skipped as poisoned"
            )
            return 0
        self.execute(
            "INSERT INTO work (unit, state, attempts) VALUES (?, 'started', 1)"
            " ON CONFLICT(unit) DO UPDATE SET state = 'started', attempts = attempts + 1",
            (unit,),
        )
        return attempts + 1

    def done(self, unit: str) -> None:
        self.execute("UPDATE work SET state = 'done' WHERE unit = ?", (unit,))

    def start(self, unit: str) -> None:
        """Mark `unit` started, however often it was before (work that a restart redoes
        by design, such as listing a container's members again)."""
        self.execute(
            "INSERT INTO work (unit, state, attempts) VALUES (?, 'started', 1)"
            " ON CONFLICT(unit) DO UPDATE SET state = 'started'",
            (unit,),
        )

    # items, blobs, errors ----------------------------------------------------------------
    def add_item(self, evidence_id: int, item: dict[str, Any]) -> None:
        self.execute(
            "INSERT OR IGNORE INTO items (evidence_id, locator, locator_json, path, size, deleted, carved,"
            " extent_kind, runs, complete, times, sha256, media_type, origin)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                evidence_id,
                item["locator"],
                item["locator_json"],
                item["path"],
                item["size"],
                int(item["deleted"]),
                int(item.get("carved", False)),
                item.get("extent_kind"),
                json.dumps(item["runs"]) if item.get("runs") else None,
                int(item.get("complete", True)),
                json.dumps(item.get("times")),
                item["sha256"],
                item["media_type"],
                json.dumps(item["origin"], sort_keys=True) if item.get("origin") else None,
            ),
        )

    def add_blob(self, sha256: str, md5: str, sha1: str, size: int, media_type: str) -> bool:
        """Record a blob; True if it was not known before."""
        cursor = self.execute(
            "INSERT OR IGNORE INTO blobs (sha256, md5, sha1, size, media_type) VALUES (?, ?, ?, ?, ?)",
            (sha256, md5, sha1, size, media_type),
        )
        return cursor.rowcount == 1

    def add_error(self, locator: str, stage: str, reason: str) -> None:
        self.execute(
            "INSERT OR REPLACE INTO errors (locator, stage, reason) VALUES (?, ?, ?)",
            (locator, stage, reason),
        )
