"""One content in full for the review's detail view, and what a decision would override.

Everything is read from the read-only connection; the scanner's tables are never written.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from scanner.case import decisions
from scanner.report.thumbnails import MAX_INPUT_BYTES, make_thumbnail


def blob(conn: sqlite3.Connection, sha256: str) -> dict[str, Any] | None:
    """The blob with its locations, faces, matches, scores, findings and decisions."""
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
    for face in found["faces"]:
        face["matches"] = [m for m in found["matches"] if m["face_idx"] == face["idx"]]
    found["set_matches"] = [m for m in found["matches"] if m["face_idx"] < 0]
    found["priority"] = min((f["priority"] for f in found["findings"]), default=None)
    found["decisions"] = decisions.for_targets(conn, targets(found))
    return found


def locations(conn: sqlite3.Connection, sha256: str) -> list[dict[str, Any]]:
    result = []
    for row in conn.execute(
        "SELECT i.*, e.name AS evidence FROM items i JOIN evidence e ON e.id = i.evidence_id"
        " WHERE i.sha256 = ? ORDER BY i.evidence_id, i.locator",
        (sha256,),
    ):
        item = dict(row)
        for key in ("runs", "times", "origin"):
            item[key] = json.loads(item[key]) if item.get(key) else None
        item["key"] = decisions.item_key(item["evidence_id"], item["locator"])
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


def targets(found: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (kind, key) a decision on this blob may target."""
    sha256 = found["sha256"]
    return [
        ("blob", sha256),
        *(("item", loc["key"]) for loc in found["locations"]),
        *(("face", f"{sha256}/{face['idx']}") for face in found["faces"]),
        *(("finding", f"{sha256}/{f['rule']}") for f in found["findings"]),
    ]


def overrides(conn: sqlite3.Connection, kind: str, key: str) -> dict[str, Any] | None:
    """What the scanner says of a target now (kept with a decision), None if no such target."""
    sha256 = blob_of_target(conn, kind, key)
    found = blob(conn, sha256) if sha256 else None
    if found is None:
        return None
    if kind == "blob":
        return {
            "priority": found["priority"],
            "categories": sorted({f["category"] for f in found["findings"]}),
        }
    if kind == "item":
        item = next(loc for loc in found["locations"] if loc["key"] == key)
        return {"deleted": bool(item["deleted"]), "carved": bool(item["carved"])}
    part = key.split("/", 1)[1] if "/" in key else ""
    if kind == "finding":
        finding = next((f for f in found["findings"] if f["rule"] == part), None)
        return None if finding is None else {k: finding[k] for k in ("priority", "category")}
    face = next((f for f in found["faces"] if str(f["idx"]) == part), None)
    if face is None:
        return None
    labels = [f"{m['set_name']}: {m['label']}" for m in face["matches"] if m["label"]]
    return {"victim_matches": labels, "source": face.get("source_label")}


def reference_thumbnail(conn: sqlite3.Connection, sha256: str, idx: int) -> bytes | None:
    """The reference photo a face was made from, as a thumbnail (from the set's folder)."""
    from scanner.knownsets import list_sets

    row = conn.execute(
        "SELECT source_set, source_reference FROM faces WHERE sha256 = ? AND idx = ?",
        (sha256, idx),
    ).fetchone()
    if row is None or not row[0] or not row[1]:
        return None
    folders = {info.name: Path(info.source) for info in list_sets() if info.kind == "victim"}
    folder = folders.get(row[0])
    if folder is None:
        return None
    path = (folder / row[1]).resolve()
    if folder.resolve() not in path.parents or not path.is_file():
        return None
    if path.stat().st_size > MAX_INPUT_BYTES:
        return None
    return make_thumbnail(path.read_bytes())


def blob_of_target(conn: sqlite3.Connection, kind: str, key: str) -> str | None:
    """The SHA-256 of the blob a target belongs to (None for an unknown item)."""
    return _item_blob(conn, key) if kind == "item" else key.split("/", 1)[0] or None


def _item_blob(conn: sqlite3.Connection, key: str) -> str | None:
    evidence, _, locator = key.partition(":")
    if not evidence.isdigit():
        return None
    row = conn.execute(
        "SELECT sha256 FROM items WHERE evidence_id = ? AND locator = ?", (int(evidence), locator)
    ).fetchone()
    return None if row is None else str(row[0])


def _rows(conn: sqlite3.Connection, table: str, sha256: str, order: str) -> list[sqlite3.Row]:
    return list(conn.execute(f"SELECT * FROM {table} WHERE sha256 = ? ORDER BY {order}", (sha256,)))


def _face(face: dict[str, Any]) -> dict[str, Any]:
    face.pop("embedding", None)
    face["box"] = json.loads(face["box"])
    return face
