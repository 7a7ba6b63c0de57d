"""The rows of the HTML report's blob tables: one blob, its pictures and the examiner's marks.

Pictures are either inline `data:` URIs (report.html, a bounded number) or files written
once under `report/thumbs/<sha256>.jpg`, named only by a SHA-256 (never by an evidence name).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from scanner.report.decided import by_blob
from scanner.report.registry import WriteContext

NO_PRIORITY = 99
SHA256 = re.compile(r"[0-9a-f]{64}")
THUMBS = "thumbs"  # folder of picture files, beside the inventory pages
VERBS = {"confirm": "confirmed", "reject": "rejected", "second-look": "needs a second look"}


class Pictures:
    """Where a row's pictures go: inline (`folder` None) or as files in `folder`."""

    def __init__(self, context: WriteContext, folder: Path | None = None) -> None:
        self.context = context
        self.folder = folder
        self.written: list[Path] = []

    def src(self, data: bytes | None, name: str) -> str | None:
        """The `src` of a JPEG: a data URI, or the relative path of the file written for it."""
        if not data or not data.startswith(b"\xff\xd8\xff"):
            return None
        if self.folder is None:
            return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
        if not SHA256.fullmatch(name):
            return None
        path = self.folder / f"{name}.jpg"
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        self.written.append(path)
        return f"{THUMBS}/{name}.jpg"

    def thumbnail(self, blob: dict[str, Any]) -> str | None:
        if self.context.thumbnails is None or not blob["media_type"].startswith("image/"):
            return None
        return self.src(self.context.thumbnails(blob["sha256"]), blob["sha256"])

    def sources(self, blob: dict[str, Any]) -> dict[int, str]:
        """Per face made from a victim's reference photo: that photo's picture."""
        if self.context.references is None:
            return {}
        found = {}
        for face in blob["faces"]:
            if face.get("source_label"):
                data = self.context.references(face["source_set"], face["source_reference"])
                name = hashlib.sha256(data).hexdigest() if data else ""
                src = self.src(data, name)
                if src:
                    found[face["idx"]] = src
        return found


def decision_marks(model: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Per blob SHA-256: the latest examiner decision of each target and aspect, as marks."""
    return {
        sha256: [mark(d["target_kind"], d["target_key"], d) for d in found]
        for sha256, found in by_blob(model).items()
    }


def mark(kind: str, key: str, decision: dict[str, Any]) -> dict[str, str]:
    """One decision as a short mark: its text, the decision, who and when."""
    verb = decision["decision"]
    text = VERBS.get(verb) or f"{verb}: {decision['note' if verb == 'note' else 'value']}"
    if kind in ("face", "finding"):
        text = f"{kind} {key.split('/', 1)[-1]}: {text}"
    elif kind == "item":
        text = f"one location: {text}"
    if decision["note"] and verb != "note":
        text += f" ({decision['note']})"
    return {
        "decision": verb,
        "text": text,
        "examiner": decision["examiner"],
        "at": decision["at"],
    }


def row(blob: dict[str, Any], pictures: Pictures, marks: dict[str, Any]) -> dict[str, Any]:
    """Everything the blob table shows of one blob."""
    first = blob["locations"][0] if blob["locations"] else None
    name = "" if first is None else (first["locator"] if first["carved"] else first["path"])
    priority = blob["priority"]
    return {
        "blob": blob,
        "name": name,
        "priority_key": NO_PRIORITY if priority is None else priority,
        "priority_value": "none" if priority is None else str(priority),
        "categories": sorted({f["category"] for f in blob["findings"]}),
        **{
            key: sorted({value for loc in blob["locations"] for value in loc[key]})
            for key in ("apps", "chat_ids", "account_ids")
        },
        "thumbnail": pictures.thumbnail(blob),
        "exported": pictures.context.exported.get(blob["sha256"]),
        "face_matches": _face_matches(blob),
        "sources": pictures.sources(blob),
        "set_matches": [m for m in blob["matches"] if m["face_idx"] < 0],
        "marks": marks.get(blob["sha256"], []),
    }


def _face_matches(blob: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for match in blob["matches"]:
        if match["face_idx"] >= 0:
            grouped.setdefault(match["face_idx"], []).append(match)
    return grouped
