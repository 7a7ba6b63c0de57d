"""What the review app reads of one content, on its read-only connection (`open_readonly`).

The scanner's tables are only read here; the review's decisions go through
`scanner.case.decisions`, and its grid is `scanner.case.grid`.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from scanner.case.decisions import item_key


def blob(conn: sqlite3.Connection, sha256: str) -> dict[str, Any] | None:
    """The blob's row (facts decoded) with its locations, faces, matches, scores, findings."""
    row = conn.execute(
        "SELECT sha256, md5, sha1, size, media_type, width, height, pdq, pdq_quality, phash,"
        " dhash, facts, thumbnail IS NOT NULL AS has_thumbnail FROM blobs WHERE sha256 = ?",
        (sha256,),
    ).fetchone()
    if row is None:
        return None
    found = dict(row)
    found["facts"] = json.loads(found["facts"] or "{}")
    found["locations"] = locations(conn, sha256)
    found["faces"] = [_face(dict(r)) for r in _rows(conn, "faces", sha256, "idx")]
    found["matches"] = [dict(r) for r in _rows(conn, "matches", sha256, "face_idx, set_name")]
    found["scores"] = [dict(r) for r in _rows(conn, "scores", sha256, "name")]
    found["findings"] = [dict(r) for r in _rows(conn, "findings", sha256, "priority, rule")]
    return found


def locations(conn: sqlite3.Connection, sha256: str) -> list[dict[str, Any]]:
    """Every item holding the blob, with its evidence name, decision key and attributions."""
    result = []
    for row in conn.execute(
        "SELECT i.*, e.name AS evidence FROM items i JOIN evidence e ON e.id = i.evidence_id"
        " WHERE i.sha256 = ? ORDER BY i.evidence_id, i.locator",
        (sha256,),
    ):
        item = dict(row)
        for key in ("runs", "times", "origin"):
            item[key] = json.loads(item[key]) if item.get(key) else None
        item["key"] = item_key(item["evidence_id"], item["locator"])
        item["attributions"] = [
            dict(a)
            for a in conn.execute(
                "SELECT app, chat_id, account_id FROM attributions"
                " WHERE evidence_id = ? AND locator = ? ORDER BY app",
                (item["evidence_id"], item["locator"]),
            )
        ]
        result.append(item)
    return result


def thumbnail(conn: sqlite3.Connection, sha256: str) -> bytes | None:
    """The blob's stored thumbnail (None if there is none)."""
    row = conn.execute("SELECT thumbnail FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
    return bytes(row[0]) if row and row[0] else None


def face_source(conn: sqlite3.Connection, sha256: str, idx: int) -> tuple[str, str] | None:
    """The (victim set, reference photo) a face was matched to as its source, if any."""
    row = conn.execute(
        "SELECT source_set, source_reference FROM faces WHERE sha256 = ? AND idx = ?",
        (sha256, idx),
    ).fetchone()
    if row is None or not row[0] or not row[1]:
        return None
    return str(row[0]), str(row[1])


def item_blob(conn: sqlite3.Connection, key: str) -> str | None:
    """The SHA-256 of the item with decision key `<evidence id>:<locator>` (None if unknown)."""
    evidence, _, locator = key.partition(":")
    if not evidence.isdigit():
        return None
    row = conn.execute(
        "SELECT sha256 FROM items WHERE evidence_id = ? AND locator = ?", (int(evidence), locator)
    ).fetchone()
    return None if row is None else str(row[0])


def item_blobs(conn: sqlite3.Connection, shas: list[str]) -> dict[str, str]:
    """Item decision key → SHA-256, for every item of these blobs."""
    return {
        item_key(row[0], row[1]): row[2]
        for row in conn.execute(
            f"SELECT evidence_id, locator, sha256 FROM items WHERE sha256 IN"
            f" ({', '.join('?' * len(shas))})",
            shas,
        )
    }


def _rows(conn: sqlite3.Connection, table: str, sha256: str, order: str) -> list[sqlite3.Row]:
    return list(conn.execute(f"SELECT * FROM {table} WHERE sha256 = ? ORDER BY {order}", (sha256,)))


def _face(face: dict[str, Any]) -> dict[str, Any]:
    face.pop("embedding", None)
    face["box"] = json.loads(face["box"])
    return face
