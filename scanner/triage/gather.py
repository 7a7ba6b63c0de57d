"""The facts of each blob that triage rules reason over (see scanner/triage/facts.py)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from scanner.analyse.signals.consistency import CONSISTENCY_THRESHOLD
from scanner.case.database import CaseDatabase
from scanner.triage import RuleSet

KIND_ORDER = {"known-bad": 0, "victim": 1, "known-good": 2}


def blob_facts(db: CaseDatabase, rules: RuleSet) -> Iterator[tuple[str, dict[str, Any]]]:
    """(sha256, facts) for every blob, in sha256 order; apps are attributed by `rules`.

    First records every item's attribution in `attributions` (replacing the last run's),
    so that the reports show the apps, chats and accounts the rules saw.
    """
    items = _by_sha(
        db,
        "SELECT sha256, evidence_id, locator, path, deleted, carved, origin FROM items"
        " ORDER BY locator",
    )
    record_attributions(db, rules, [item for group in items.values() for item in group])
    matches = _by_sha(db, "SELECT * FROM matches ORDER BY distance, set_name, entry_id")
    faces = _by_sha(
        db,
        "SELECT sha256, idx, deepfake, consistency, source_label, source_reference,"
        " source_correlation FROM faces ORDER BY idx",
    )
    scores = _by_sha(db, "SELECT sha256, name, value, detail FROM scores")
    for blob in db.rows("SELECT * FROM blobs ORDER BY sha256"):
        sha = blob["sha256"]
        yield sha, _facts(dict(blob), items[sha], matches[sha], faces[sha], scores[sha], rules)


def record_attributions(db: CaseDatabase, rules: RuleSet, items: list[dict[str, Any]]) -> None:
    """Replace the `attributions` rows with those of `items` (evidence_id, locator, path)."""
    db.execute("DELETE FROM attributions")
    for item in items:
        for found in rules.apps.identify(item["path"]):
            db.execute(
                "INSERT INTO attributions (evidence_id, locator, app, chat_id, account_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (item["evidence_id"], item["locator"], found.app, found.chat_id, found.account_id),
            )


def _cache_facts(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Which caches hold the content, and whether nothing but a cache does."""
    origins = [json.loads(item["origin"]) if item["origin"] else {} for item in items]
    stores = [origin.get("store", "") for origin in origins]
    return {
        "cache_stores": sorted({store for store in stores if store}),
        "only_in_cache": bool(stores) and all(stores),
    }


def _by_sha(db: CaseDatabase, sql: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in db.rows(sql):
        grouped[row["sha256"]].append(dict(row))
    return grouped


def _best(matches: list[dict[str, Any]]) -> dict[str, Any]:
    """The match a reason quotes: known-bad before victim before known-good, then closest."""
    ranked = sorted(
        matches, key=lambda m: (KIND_ORDER.get(m["set_kind"], 3), m["distance"], m["set_name"])
    )
    return ranked[0] if ranked else {}


def _facts(
    blob: dict[str, Any],
    items: list[dict[str, Any]],
    matches: list[dict[str, Any]],
    faces: list[dict[str, Any]],
    scores: list[dict[str, Any]],
    rules: RuleSet,
) -> dict[str, Any]:
    paths = [item["path"] for item in items]
    extra = json.loads(blob["facts"] or "{}")
    victims = sorted((m for m in matches if m["method"] == "face"), key=lambda m: m["distance"])
    sources = sorted(
        (f for f in faces if f["source_label"]), key=lambda f: -f["source_correlation"]
    )
    hashes = [
        {**m, "distance": int(m["distance"])}
        for m in matches
        if m["method"] not in ("face", "face-weak")
    ]
    best = _best(hashes)
    best_victim = _best([m for m in hashes if m["set_kind"] == "victim"])
    score = {s["name"]: s for s in scores}
    consistency = [f["consistency"] for f in faces if f["consistency"] is not None]
    deepfake = [f["deepfake"] for f in faces if f["deepfake"] is not None]
    return {
        "media_type": blob["media_type"],
        "kind": "video" if blob["media_type"].startswith("video/") else "picture",
        "size": blob["size"],
        "deleted": any(item["deleted"] for item in items),
        "carved": any(item["carved"] for item in items),
        **_cache_facts(items),
        "paths": paths,
        **rules.path_facts(paths),
        "match_kinds": sorted({m["set_kind"] for m in hashes}),
        "match_sets": sorted({m["set_name"] for m in hashes}),
        "match_categories": sorted({m["category"] for m in hashes if m["category"]}),
        "match_methods": sorted({m["method"] for m in hashes}),
        "best_match_distance": min((m["distance"] for m in hashes), default=None),
        "match_set": best.get("set_name"),
        "match_method": best.get("method"),
        "match_distance": best.get("distance"),
        "match_category": best.get("category"),
        "victim_match_set": best_victim.get("set_name"),
        "victim_match_method": best_victim.get("method"),
        "victim_match_distance": best_victim.get("distance"),
        "faces": len(faces),
        "victim_labels": sorted({m["label"] for m in victims if m["label"]}),
        "victim_similarity": victims[0]["similarity"] if victims else None,
        "victim_reference": victims[0]["entry_id"] if victims else None,
        "nudity": score["nudity"]["value"] if "nudity" in score else None,
        "nudity_labels": [p.split(":")[0] for p in score["nudity"]["detail"].split(", ") if p]
        if "nudity" in score
        else [],
        "deepfake": max(
            deepfake, default=score["deepfake"]["value"] if "deepfake" in score else None
        ),
        "consistency": max(consistency, default=None),
        "consistency_high": any(c >= CONSISTENCY_THRESHOLD for c in consistency),
        "source_photo_victim": sources[0]["source_label"] if sources else None,
        "source_photo_reference": sources[0]["source_reference"] if sources else None,
        "source_photo_correlation": sources[0]["source_correlation"] if sources else None,
        "generator_facts": sorted({kind for kind, _ in extra.get("generator", [])}),
        "exif_software": extra.get("exif_software"),
    }
