"""Every default rule fires on facts built to match it and not on near misses."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.triage import RuleSet, load_rules
from tests.triage.triage_support import NEUTRAL, facts

VICTIM = {"victim_labels": ["victim-a"], "victim_similarity": 0.62, "victim_reference": "a-03.jpg"}
SOURCE = {
    "source_photo_victim": "victim-a",
    "source_photo_reference": "a-07.jpg",
    "source_photo_correlation": 0.75,
}
KNOWN_BAD = {
    "match_kinds": ["known-bad"],
    "match_sets": ["police-kr-2026"],
    "match_categories": ["1"],
    "match_methods": ["pdq"],
    "best_match_distance": 12,
    "match_set": "police-kr-2026",
    "match_method": "pdq",
    "match_distance": 12,
    "match_category": "1",
}
VICTIM_SET = {
    "match_kinds": ["victim"],
    "match_sets": ["victim-a-refs"],
    "match_methods": ["pdq"],
    "victim_match_set": "victim-a-refs",
    "victim_match_method": "pdq",
    "victim_match_distance": 20,
}
NSRL = {
    "match_kinds": ["known-good"],
    "match_sets": ["nsrl-2026.03"],
    "match_methods": ["sha1"],
    "match_set": "nsrl-2026.03",
    "match_method": "sha1",
    "match_distance": 0,
}
NUDE = {"nudity": 0.6, "nudity_labels": ["FEMALE_BREAST_EXPOSED"]}
MINOR = {
    "apparent_age": 14.3,
    "apparent_age_spread": 3.2,
    "apparent_minor_probability": 0.71,
    "apparent_minor": True,
}
WEAK = {"weak_victim_labels": ["victim-a"], "weak_victim_distance": 0.61, "weak_victim_one_in": 781}

# rule -> (facts on which it fires, near misses on which it does not)
CASES: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    "known-bad-hash": (
        KNOWN_BAD,
        [{**KNOWN_BAD, "match_kinds": ["known-good"]}, {**KNOWN_BAD, "match_kinds": ["victim"]}],
    ),
    "victim-face-nudity": (
        {**VICTIM, **NUDE},
        [{**VICTIM, "nudity": 0.59}, {**VICTIM, "nudity": None}, {**NUDE, "victim_labels": []}],
    ),
    "victim-face-deepfake": (
        {**VICTIM, "deepfake": 0.8},
        [{**VICTIM, "deepfake": 0.79}, {**VICTIM, "deepfake": None}, {"deepfake": 0.99}],
    ),
    "victim-source-photo-deepfake": (
        {**SOURCE, "consistency": 3.0, "consistency_high": True},
        [
            {**SOURCE, "consistency": 2.99, "consistency_high": False},
            {
                **SOURCE,
                "source_photo_correlation": 0.74,
                "consistency": 5.0,
                "consistency_high": True,
            },
            {"consistency": 5.0, "consistency_high": True},
            {**SOURCE, "consistency": None},
        ],
    ),
    "victim-reference-photo": (
        VICTIM_SET,
        [KNOWN_BAD, NSRL, {**VICTIM}],
    ),
    "victim-source-photo": (
        {**SOURCE, "consistency": 1.2},
        [
            {**SOURCE, "consistency": 5.0, "consistency_high": True},
            {**SOURCE, "source_photo_correlation": 0.3},
        ],
    ),
    "nudity-deepfake": (
        {**NUDE, "deepfake": 0.8},
        [{**NUDE, "deepfake": 0.79}, {"nudity": 0.59, "deepfake": 0.95}, {**NUDE}],
    ),
    "consistency-nudity": (
        {**NUDE, "consistency": 5.0, "consistency_high": True},
        [
            {**NUDE, "consistency": 2.9, "consistency_high": False},
            {"nudity": 0.59, "consistency": 6.0, "consistency_high": True},
        ],
    ),
    "victim-face": (VICTIM, [{"victim_similarity": 0.9, "victim_reference": "x.jpg"}]),
    "apparent-minor-nudity": (
        {**MINOR, **NUDE},
        [
            {**MINOR, "nudity": 0.59},
            {**NUDE, "apparent_minor_probability": 0.49, "apparent_minor": False},
            {**NUDE, "apparent_age": None, "apparent_minor": None},
        ],
    ),
    "victim-face-apparent-minor": (
        {**VICTIM, **MINOR},
        [{**VICTIM}, {**MINOR}],
    ),
    "victim-face-weak": (WEAK, [{"weak_victim_distance": 0.61}, {**VICTIM}]),
    "messenger-nudity": (
        {**NUDE, "apps": ["downloads", "telegram"]},
        [
            {**NUDE, "apps": ["camera"]},
            {**NUDE, "apps": ["chrome"]},
            {"nudity": 0.59, "apps": ["kakaotalk"]},
        ],
    ),
    "generator-nudity": (
        {**NUDE, "generator_facts": ["png-parameters"]},
        [{**NUDE}, {"generator_facts": ["png-parameters"], "nudity": None}],
    ),
    "generator-metadata": (
        {"generator_facts": ["c2pa-ai-generated"], "exif_software": "FaceApp"},
        [{"exif_software": "Adobe Photoshop 25.0"}],
    ),
    "pasted-face": (
        {"consistency": 5.0, "consistency_high": True},
        [{"consistency": 2.99, "consistency_high": False}, {"consistency": None}],
    ),
    "cached-copy-of-matched-material": (
        {**KNOWN_BAD, "only_in_cache": True, "cache_stores": ["firefox-cache2"]},
        [KNOWN_BAD, {"only_in_cache": True, "cache_stores": ["firefox-cache2"]}],
    ),
    "cached-copy-nudity": ({**NUDE, "only_in_cache": True}, [NUDE, {"only_in_cache": True}]),
    "gallery-cache-face": (
        {"only_in_cache": True, "cache_stores": ["android-thumbdata"], "faces": 1},
        [{"only_in_cache": True, "cache_stores": ["firefox-cache2"], "faces": 1}],
    ),
    "deleted-nudity": (
        {**NUDE, "carved": True},
        [{**NUDE}, {"nudity": 0.1, "deleted": True}],
    ),
}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def fired(rules: RuleSet, changes: dict[str, Any]) -> set[str]:
    return {finding.rule for finding in rules.evaluate(facts(**changes))}


def test_neutral_picture_gets_no_finding(rules: RuleSet) -> None:
    assert rules.evaluate(NEUTRAL) == []
    assert not rules.drops(NEUTRAL)
    assert rules.evaluate({}) == []


def test_every_default_rule_has_a_case(rules: RuleSet) -> None:
    names = {rule.name for rule in rules.rules if not rule.drop}
    assert names == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fires_on_match(rules: RuleSet, name: str) -> None:
    hit, _ = CASES[name]
    assert name in fired(rules, hit)


@pytest.mark.parametrize(
    ("name", "index"),
    [(name, i) for name, (_, misses) in CASES.items() for i in range(len(misses))],
)
def test_rule_does_not_fire_on_near_miss(rules: RuleSet, name: str, index: int) -> None:
    miss = CASES[name][1][index]
    assert name not in fired(rules, miss)


def test_findings_are_most_urgent_first(rules: RuleSet) -> None:
    findings = rules.evaluate(facts(**KNOWN_BAD, **VICTIM, **NUDE, apps=["kakaotalk"]))
    assert [f.priority for f in findings] == sorted(f.priority for f in findings)
    assert findings[0].rule == "known-bad-hash"
    assert {f.rule for f in findings} == {
        "known-bad-hash",
        "victim-face-nudity",
        "victim-face",
        "messenger-nudity",
    }


def test_reasons_name_the_evidence(rules: RuleSet) -> None:
    by_rule = {f.rule: f for f in rules.evaluate(facts(**KNOWN_BAD))}
    assert by_rule["known-bad-hash"].reason == (
        "matches known-bad set police-kr-2026 (pdq, distance 12); category 1;"
        " sets matched: police-kr-2026"
    )
    assert by_rule["known-bad-hash"].category == "known-material"
    source = {
        f.rule: f for f in rules.evaluate(facts(**SOURCE, consistency=4.25, consistency_high=True))
    }
    reason = source["victim-source-photo-deepfake"].reason
    assert reason.startswith("likely deepfake made from victim-a's photo a-07.jpg:")
    assert "correlation 0.75" in reason and "consistency 4.25" in reason
    victim = {f.rule: f for f in rules.evaluate(facts(**VICTIM_SET))}
    assert "set victim-a-refs (pdq, distance 20)" in victim["victim-reference-photo"].reason


def test_missing_facts_render_as_question_marks(rules: RuleSet) -> None:
    (finding,) = rules.evaluate({"match_kinds": ["known-bad"]})
    assert (
        finding.reason == "matches known-bad set ? (?, distance ?); category ?; sets matched: none"
    )


def test_known_good_is_dropped(rules: RuleSet) -> None:
    nsrl = facts(**NSRL, generator_facts=["exif-software-editor"], exif_software="GIMP 2.10")
    assert rules.drops(nsrl)
    assert rules.evaluate(nsrl) == []
    dropped = rules.dropped_by(nsrl)
    assert dropped is not None and dropped.rule == "known-good"
    assert dropped.reason == "known-good content: set nsrl-2026.03 (sha1, distance 0)"


@pytest.mark.parametrize(
    "changes",
    [
        {"match_kinds": ["known-bad", "known-good"]},
        {"match_kinds": ["known-good", "victim"]},
        {**VICTIM},
        {**SOURCE},
    ],
)
def test_known_good_is_kept_when_other_evidence(rules: RuleSet, changes: dict[str, Any]) -> None:
    blob = facts(**{**NSRL, **changes})
    assert not rules.drops(blob)
    assert rules.evaluate(blob)


def test_wrongly_typed_fact_is_a_pipeline_bug(rules: RuleSet) -> None:
    with pytest.raises(ValueError, match="fact 'nudity' expected float or None, got str"):
        rules.evaluate(facts(nudity="0.9"))
    with pytest.raises(ValueError, match="fact 'apps' expected list"):
        rules.evaluate(facts(apps="telegram"))


def test_facts_accept_tuples_and_ints_for_floats(rules: RuleSet) -> None:
    found = fired(rules, {"victim_labels": ("victim-a",), "nudity": 1})
    assert "victim-face-nudity" in found


def test_minor_and_weak_reasons_carry_their_numbers(rules: RuleSet) -> None:
    by_rule = {f.rule: f for f in rules.evaluate(facts(**MINOR, **NUDE, **VICTIM))}
    csam = by_rule["apparent-minor-nudity"]
    assert csam.priority == 1 and csam.category == "possible child sexual abuse material"
    assert "apparent age 14.3" in csam.reason and "P(under 18) 0.71" in csam.reason
    assert "not validated on minors" in csam.reason and "nudity 0.6" in csam.reason
    assert "apparent age 14.3" in by_rule["victim-face-apparent-minor"].reason
    (weak,) = [f for f in rules.evaluate(facts(**WEAK)) if f.rule == "victim-face-weak"]
    assert weak.reason.startswith("weak: at this distance (0.61) 1 in 781 different people match")
