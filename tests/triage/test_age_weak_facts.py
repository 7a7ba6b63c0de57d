"""Apparent-age and weak-match facts from face and match rows as the case stores them."""

from __future__ import annotations

from scanner.triage import load_rules
from scanner.triage.gather import _age_facts, _weak_facts


def test_the_face_most_likely_minor_gives_the_age_facts() -> None:
    faces = [
        {"apparent_age": 66.0, "apparent_age_spread": 5.4, "minor_probability": 0.00002},
        {"apparent_age": 15.2, "apparent_age_spread": 3.1, "minor_probability": 0.64},
        {"apparent_age": None, "apparent_age_spread": None, "minor_probability": None},
    ]
    facts = _age_facts(faces)
    assert facts == {
        "apparent_age": 15.2,
        "apparent_age_spread": 3.1,
        "apparent_minor_probability": 0.64,
        "apparent_minor": True,
    }
    assert _age_facts(faces[:1])["apparent_minor"] is False
    assert _age_facts(faces[2:]) == {}  # no age model ran: not measured


def test_weak_match_quotes_one_in_n() -> None:
    weak = [{"label": "victim-a", "distance": 0.61, "false_match_rate": 0.00171}]
    facts = _weak_facts(weak)
    assert facts == {
        "weak_victim_labels": ["victim-a"],
        "weak_victim_distance": 0.61,
        "weak_victim_one_in": 585,
    }
    rules = load_rules()
    reasons = [f.reason for f in rules.evaluate(facts) if f.rule == "victim-face-weak"]
    assert reasons == [
        "weak: at this distance (0.61) 1 in 585 different people match; close to victim"
        " victim-a only under the relaxed threshold (face looks pasted in); not an identification"
    ]
