"""One content in full for the review's detail view, and what a decision would override.

Everything is read through `scanner.case.review_queries` on the read-only connection; the
scanner's tables are never written.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from scanner.case import decisions, review_queries
from scanner.report import content


def blob(conn: sqlite3.Connection, sha256: str) -> dict[str, Any] | None:
    """The blob with its locations, faces, matches, scores, findings and decisions."""
    found = review_queries.blob(conn, sha256)
    if found is None:
        return None
    for face in found["faces"]:
        face["matches"] = [m for m in found["matches"] if m["face_idx"] == face["idx"]]
    found["set_matches"] = [m for m in found["matches"] if m["face_idx"] < 0]
    found["priority"] = min((f["priority"] for f in found["findings"]), default=None)
    found["decisions"] = decisions.for_targets(conn, targets(found))
    return found


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
    source = review_queries.face_source(conn, sha256, idx)
    return None if source is None else content.reference_thumbnail(*source)


def blob_of_target(conn: sqlite3.Connection, kind: str, key: str) -> str | None:
    """The SHA-256 of the blob a target belongs to (None for an unknown item)."""
    if kind == "item":
        return review_queries.item_blob(conn, key)
    return key.split("/", 1)[0] or None
