"""Helpers for the triage tests: a neutral blob's facts and rule folders in tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

NEUTRAL: dict[str, Any] = {
    "media_type": "image/jpeg",
    "kind": "picture",
    "size": 123_456,
    "deleted": False,
    "carved": False,
    "cache_stores": [],
    "only_in_cache": False,
    "paths": ["/Users/kim/Pictures/holiday.jpg"],
    "apps": [],
    "chat_ids": [],
    "account_ids": [],
    "match_kinds": [],
    "match_sets": [],
    "match_categories": [],
    "match_methods": [],
    "best_match_distance": None,
    "match_set": None,
    "match_method": None,
    "match_distance": None,
    "match_category": None,
    "victim_match_set": None,
    "victim_match_method": None,
    "victim_match_distance": None,
    "faces": 1,
    "victim_labels": [],
    "victim_similarity": None,
    "victim_reference": None,
    "weak_victim_labels": [],
    "weak_victim_distance": None,
    "weak_victim_one_in": None,
    "apparent_age": 34.2,
    "apparent_age_spread": 6.1,
    "apparent_minor_probability": 0.01,
    "apparent_minor": False,
    "nudity": 0.05,
    "nudity_labels": [],
    "deepfake": None,
    "consistency": 0.4,
    "consistency_high": False,
    "source_photo_victim": None,
    "source_photo_reference": None,
    "source_photo_correlation": None,
    "generator_facts": [],
    "exif_software": None,
}
"""Facts of an unremarkable picture: no default rule fires on it."""


def facts(**changes: Any) -> dict[str, Any]:
    """NEUTRAL with some facts changed."""
    unknown = set(changes) - set(NEUTRAL)
    if unknown:
        raise KeyError(f"not a fact: {sorted(unknown)}")
    return {**NEUTRAL, **changes}


def write(folder: Path, name: str, text: str) -> Path:
    """Write a dedented YAML file into `folder` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path
