"""The facts of each blob that triage rules reason over (see scanner/triage/facts.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from scanner.triage import RuleSet
from scanner.triage.facts import APPARENT_MINOR_THRESHOLD

KIND_ORDER = {"known-bad": 0, "victim": 1, "known-good": 2}


@dataclass(frozen=True)
class TriageRecords:
    """What triage reads of a case: every blob, and its items, matches, faces and scores
    by SHA-256 (mappings with the column names as keys; `case.queries.triage_records`)."""

    blobs: list[Any]
    items: dict[str, list[dict[str, Any]]]
    matches: dict[str, list[dict[str, Any]]]
    faces: dict[str, list[dict[str, Any]]]
    scores: dict[str, list[dict[str, Any]]]
    consistency_threshold: float  # a face's consistency from which it looks pasted in


def blob_facts(records: TriageRecords, rules: RuleSet) -> Iterator[tuple[str, dict[str, Any]]]:
    """(sha256, facts) for every blob, in sha256 order; apps are attributed by `rules`."""
    for blob in records.blobs:
        sha = blob["sha256"]
        yield (
            sha,
            _facts(
                dict(blob),
                records.items.get(sha, []),
                records.matches.get(sha, []),
                records.faces.get(sha, []),
                records.scores.get(sha, []),
                rules,
                records.consistency_threshold,
            ),
        )


def attributions(
    items: Iterable[dict[str, Any]], rules: RuleSet
) -> Iterator[tuple[int, str, str, str | None, str | None]]:
    """(evidence_id, locator, app, chat_id, account_id) of every item an app's paths match."""
    for item in items:
        for found in rules.apps.identify(item["path"]):
            yield item["evidence_id"], item["locator"], found.app, found.chat_id, found.account_id


def _cache_facts(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Which caches hold the content, and whether nothing but a cache does."""
    origins = [json.loads(item["origin"]) if item["origin"] else {} for item in items]
    stores = [origin.get("store", "") for origin in origins]
    return {
        "cache_stores": sorted({store for store in stores if store}),
        "only_in_cache": bool(stores) and all(stores),
    }


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
    consistency_threshold: float,
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
    weak = sorted((m for m in matches if m["method"] == "face-weak"), key=lambda m: m["distance"])
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
        **_weak_facts(weak),
        **_age_facts(faces),
        "nudity": score["nudity"]["value"] if "nudity" in score else None,
        "nudity_labels": [p.split(":")[0] for p in score["nudity"]["detail"].split(", ") if p]
        if "nudity" in score
        else [],
        "deepfake": max(
            deepfake, default=score["deepfake"]["value"] if "deepfake" in score else None
        ),
        "consistency": max(consistency, default=None),
        "consistency_high": any(c >= consistency_threshold for c in consistency),
        "source_photo_victim": sources[0]["source_label"] if sources else None,
        "source_photo_reference": sources[0]["source_reference"] if sources else None,
        "source_photo_correlation": sources[0]["source_correlation"] if sources else None,
        "generator_facts": sorted({kind for kind, _ in extra.get("generator", [])}),
        "exif_software": extra.get("exif_software"),
    }


def _weak_facts(weak: list[dict[str, Any]]) -> dict[str, Any]:
    """Weak victim matches and, for the closest, 1 in how many strangers match that close."""
    rate = weak[0].get("false_match_rate") if weak else None
    return {
        "weak_victim_labels": sorted({m["label"] for m in weak if m["label"]}),
        "weak_victim_distance": weak[0]["distance"] if weak else None,
        "weak_victim_one_in": None if not rate else max(1, round(1.0 / rate)),
    }


def _age_facts(faces: list[dict[str, Any]]) -> dict[str, Any]:
    """The face most likely to be under 18: its apparent age, spread and probability."""
    aged = [f for f in faces if f.get("minor_probability") is not None]
    if not aged:
        return {}
    young = max(aged, key=lambda f: (f["minor_probability"], -f["apparent_age"]))
    return {
        "apparent_age": young["apparent_age"],
        "apparent_age_spread": young["apparent_age_spread"],
        "apparent_minor_probability": young["minor_probability"],
        "apparent_minor": young["minor_probability"] >= APPARENT_MINOR_THRESHOLD,
    }
