"""The cache rules of rules/default.yaml, evaluated for real: a deleted original whose
thumbnail or cached copy survives is found and the reason names the store."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.triage import RuleSet, load_rules
from tests.triage.triage_support import NEUTRAL

GALLERY = {"only_in_cache": True, "cache_stores": ["android-gallery-imgcache"]}
BROWSER = {"only_in_cache": True, "cache_stores": ["chromium-simple-cache"]}
KNOWN_BAD = {
    "match_kinds": ["known-bad"],
    "match_set": "police-kr-2026",
    "match_method": "pdq",
    "match_distance": 14,
}
VICTIM = {"victim_labels": ["victim-a"], "victim_similarity": 0.6, "victim_reference": "a.jpg"}
NUDE = {"nudity": 0.7, "nudity_labels": ["FEMALE_BREAST_EXPOSED"]}


def facts(**changes: Any) -> dict[str, Any]:
    """A neutral picture's facts (found outside any cache) with some changed."""
    return {**NEUTRAL, "cache_stores": [], "only_in_cache": False, **changes}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def findings(rules: RuleSet, **changes: Any) -> dict[str, str]:
    return {f.rule: f.reason for f in rules.evaluate(facts(**changes))}


@pytest.mark.parametrize("match", [KNOWN_BAD, {"match_kinds": ["victim"]}, VICTIM])
def test_matched_material_only_in_a_cache_is_a_p2_naming_the_store(
    rules: RuleSet, match: dict[str, Any]
) -> None:
    found = rules.evaluate(facts(**GALLERY, **match))
    cached = next(f for f in found if f.rule == "cached-copy-of-matched-material")
    assert cached.priority == 2
    assert "a thumbnail/cached copy survives in android-gallery-imgcache" in cached.reason


def test_the_reason_quotes_the_match(rules: RuleSet) -> None:
    reason = findings(rules, **BROWSER, **KNOWN_BAD)["cached-copy-of-matched-material"]
    assert reason == (
        "the original is gone, a thumbnail/cached copy survives in chromium-simple-cache:"
        " set match known-bad (police-kr-2026, distance 14); victim faces none"
    )
    assert "known-bad-hash" in findings(rules, **BROWSER, **KNOWN_BAD)  # still P1 as well


@pytest.mark.parametrize(
    "miss",
    [
        {**KNOWN_BAD, "only_in_cache": False, "cache_stores": ["android-gallery-imgcache"]},
        {**KNOWN_BAD, "only_in_cache": None},  # unmeasured
        {**GALLERY, "match_kinds": ["known-good"]},
        {**GALLERY},
    ],
)
def test_no_cache_finding_when_the_original_exists_or_nothing_matches(
    rules: RuleSet, miss: dict[str, Any]
) -> None:
    assert "cached-copy-of-matched-material" not in findings(rules, **miss)


def test_nudity_only_in_a_cache(rules: RuleSet) -> None:
    assert "android-gallery-imgcache" in findings(rules, **GALLERY, **NUDE)["cached-copy-nudity"]
    assert "cached-copy-nudity" not in findings(rules, **GALLERY, nudity=0.59)
    assert "cached-copy-nudity" not in findings(rules, **NUDE, only_in_cache=False)


def test_faces_count_only_in_the_gallery_caches(rules: RuleSet) -> None:
    reason = findings(rules, **GALLERY, faces=2)["gallery-cache-face"]
    assert reason == (
        "2 face(s) on a picture whose original is gone; a thumbnail survives in"
        " android-gallery-imgcache"
    )
    thumbdata = {"only_in_cache": True, "cache_stores": ["android-thumbdata"]}
    assert "gallery-cache-face" in findings(rules, **thumbdata, faces=1)
    assert "gallery-cache-face" not in findings(rules, **BROWSER, faces=3)
    assert "gallery-cache-face" not in findings(rules, **GALLERY, faces=0)
    assert "gallery-cache-face" not in findings(
        rules, **{**GALLERY, "only_in_cache": False}, faces=1
    )
