"""The report model: everything a report shows, read from the case database, sorted stably.

`build_report(db)` returns plain JSON-able data; every writer (json, html, csv, vics,
case-uco, dfxml) renders this one model, so all reports agree. Schema (report.json):

    {"schema": "dftriage-report/1",
     "tool": {"name", "version"}, "runs": [{id, started, finished, status, command, config, models, sets}],
     "evidence": [{id, path, name, kind, size, files, stored_hashes, metadata,
                   fingerprint_before, fingerprint_after}],
     "summary": {"items", "blobs", "pictures", "videos", "deleted", "carved",
                 "findings_by_priority": {"1": n, ...}, "errors"},
     "blobs": [{sha256, md5, sha1, size, media_type, width, height, pdq, pdq_quality, phash, dhash,
                facts, priority (lowest finding priority or null),
                locations: [{evidence, evidence_id, locator, path, deleted, carved, extent_kind, runs, complete, times,
                             apps, chat_ids, account_ids}],   # the last triage's attribution, "app:id"
                faces: [{idx, box, landmarks, score, embed_model, deepfake, consistency,
                         apparent_age, apparent_age_spread, minor_probability, age_model, …}],
                scores: [{name, value, model, model_sha256, detail}],
                matches: [{face_idx, set_name, set_kind, method, distance, category, label, entry_id,
                           false_match_rate}],
                findings: [{rule, priority, category, reason}]}],   # most urgent first, then sha256
     "errors": [{locator, stage, reason}],
     "age_warning": "…not validated on minors…",
     "decisions": [{id, at, examiner, target_kind, target_key, decision, value, note,
                    overrides}]}   # the examiner's, oldest first (scanner/case/decisions.py)
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from scanner import __version__
from scanner.case.database import CaseDatabase
from scanner.case.queries import report_rows

SCHEMA = "dftriage-report/1"
AGE_WARNING = (
    "apparent age is NOT validated on minors (no age-labelled faces were available); a face"
    " flagged as possibly under 18 is a lead for review, never a finding on its own"
)


def build_report(db: CaseDatabase) -> dict[str, Any]:
    rows = report_rows(db)
    evidence = [_evidence(row) for row in rows.evidence]
    names = {e["id"]: e["name"] for e in evidence}
    found = _attributions(rows.attributions)
    blobs = [_blob(row, rows.by_blob, names, found) for row in rows.blobs]
    blobs.sort(key=lambda b: (b["priority"] if b["priority"] is not None else 99, b["sha256"]))
    return {
        "schema": SCHEMA,
        "tool": {"name": "dftriage", "version": __version__},
        "runs": [_run(row) for row in rows.runs],
        "evidence": evidence,
        "summary": _summary(blobs, rows.errors),
        "blobs": blobs,
        "errors": rows.errors,
        "age_warning": AGE_WARNING,
        "decisions": rows.decisions,
    }


def _blob(
    row: dict[str, Any],
    grouped: dict[str, Any],
    names: dict[int, str],
    found: dict[tuple[int, str], dict[str, list[str]]],
) -> dict[str, Any]:
    sha = row["sha256"]
    row.pop("thumbnail", None)
    row["facts"] = json.loads(row["facts"])
    row["locations"] = [_location(item, names, found) for item in grouped["items"].get(sha, [])]
    row["faces"] = [_face(face) for face in grouped["faces"].get(sha, [])]
    row["scores"] = grouped["scores"].get(sha, [])
    row["matches"] = grouped["matches"].get(sha, [])
    row["findings"] = grouped["findings"].get(sha, [])
    row["priority"] = min((f["priority"] for f in row["findings"]), default=None)
    return row


def _attributions(
    rows: list[dict[str, Any]],
) -> dict[tuple[int, str], dict[str, list[str]]]:
    """Per (evidence_id, locator): its apps, chat_ids and account_ids, as the facts have them."""
    found: dict[tuple[int, str], dict[str, list[str]]] = defaultdict(_no_attribution)
    for row in rows:
        entry = found[(row["evidence_id"], row["locator"])]
        entry["apps"].append(row["app"])
        for key, value in (("chat_ids", row["chat_id"]), ("account_ids", row["account_id"])):
            if value is not None:
                entry[key].append(f"{row['app']}:{value}")
    return found


def _no_attribution() -> dict[str, list[str]]:
    return {"apps": [], "chat_ids": [], "account_ids": []}


def _location(
    item: dict[str, Any],
    names: dict[int, str],
    attributions: dict[tuple[int, str], dict[str, list[str]]],
) -> dict[str, Any]:
    attribution = attributions.get((item["evidence_id"], item["locator"])) or _no_attribution()
    return {
        "evidence": names.get(item["evidence_id"], ""),
        "evidence_id": item["evidence_id"],
        "locator": item["locator"],
        "path": item["path"],
        "deleted": bool(item["deleted"]),
        "carved": bool(item["carved"]),
        "extent_kind": item["extent_kind"],
        "runs": json.loads(item["runs"]) if item["runs"] else None,
        "complete": bool(item["complete"]),
        "times": json.loads(item["times"]) if item["times"] else None,
        "origin": json.loads(item["origin"]) if item["origin"] else {},
        **attribution,
    }


def _face(face: dict[str, Any]) -> dict[str, Any]:
    face.pop("embedding", None)
    face["box"] = json.loads(face["box"])
    face["landmarks"] = json.loads(face["landmarks"])
    return face


def _evidence(record: dict[str, Any]) -> dict[str, Any]:
    for key in ("files", "stored_hashes", "metadata"):
        record[key] = json.loads(record[key])
    return record


def _run(record: dict[str, Any]) -> dict[str, Any]:
    for key in ("config", "models", "sets"):
        record[key] = json.loads(record[key])
    return record


def _summary(blobs: list[dict[str, Any]], errors: list[dict[str, Any]]) -> dict[str, Any]:
    by_priority: dict[str, int] = defaultdict(int)
    for blob in blobs:
        if blob["priority"] is not None:
            by_priority[str(blob["priority"])] += 1
    locations = [loc for blob in blobs for loc in blob["locations"]]
    return {
        "items": len(locations),
        "blobs": len(blobs),
        "pictures": sum(b["media_type"].startswith("image/") for b in blobs),
        "videos": sum(b["media_type"].startswith("video/") for b in blobs),
        "deleted": sum(loc["deleted"] for loc in locations),
        "carved": sum(loc["carved"] for loc in locations),
        "findings_by_priority": dict(sorted(by_priority.items())),
        "errors": len(errors),
    }
