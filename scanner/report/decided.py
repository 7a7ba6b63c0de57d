"""The examiner's decisions of the report model, grouped by the blob they concern."""

from __future__ import annotations

from typing import Any

from scanner.case.decisions import blob_of, item_key, latest


def by_blob(model: dict[str, Any], every: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Per SHA-256: the latest decision of each target and aspect on it (or, with `every`,
    all of its decisions), oldest first."""
    items = {
        item_key(loc["evidence_id"], loc["locator"]): blob["sha256"]
        for blob in model["blobs"]
        for loc in blob["locations"]
    }
    grouped: dict[str, list[dict[str, Any]]] = {}
    chosen = model.get("decisions", [])
    if not every:
        chosen = list(latest(chosen).values())
    for decision in sorted(chosen, key=lambda d: int(d["id"])):
        sha256 = blob_of(decision["target_kind"], decision["target_key"], items)
        if sha256 is not None:
            grouped.setdefault(sha256, []).append(decision)
    return grouped


def summary(decisions: list[dict[str, Any]]) -> str:
    """The decisions as one line of text: `J. Doe 2026-…: confirm; category 3; …`."""
    parts = []
    for d in decisions:
        target = "" if d["target_kind"] == "blob" else f"{d['target_kind']} {d['target_key']}: "
        text = d["decision"] + (f" {d['value']}" if d["value"] else "")
        text += f" ({d['note']})" if d["note"] else ""
        parts.append(f"{d['examiner']} {d['at']}: {target}{text}")
    return "; ".join(parts)


def category(decisions: list[dict[str, Any]]) -> str | None:
    """The examiner's latest category of the blob itself, if any."""
    found = [d for d in decisions if d["target_kind"] == "blob" and d["decision"] == "category"]
    return found[-1]["value"] if found else None
