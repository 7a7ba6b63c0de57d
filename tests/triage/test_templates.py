"""Reason templates: only plain fact names, rendered safely whatever the values."""

from __future__ import annotations

import pytest

from scanner.triage.templates import compile_template, render_value


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("{nudity.__class__}", "plain fact name"),
        ("{nudity.real}", "plain fact name"),
        ("{paths[0]}", "plain fact name"),
        ("{paths[0].__class__.__mro__}", "plain fact name"),
        ("{match_set.__class__.__init__.__globals__}", "plain fact name"),
        ("{0}", "plain fact name"),
        ("{}", "positional"),
        ("{nudity!r}", "conversion"),
        ("{nudity!s}", "conversion"),
        ("{nudity:{size}}", "format spec"),
        ("{nudity:>1000000000}", "format spec"),
        ("{password}", "unknown fact"),
        ("{nudity", "malformed"),
        ("nudity}", "malformed"),
    ],
)
def test_unsafe_or_unknown_fields_are_rejected(text: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        compile_template(text)


def test_missing_and_none_render_as_question_mark() -> None:
    template = compile_template(
        "set {match_set}, distance {match_distance}, labels {victim_labels}"
    )
    assert template.render({}) == "set ?, distance ?, labels none"
    assert (
        template.render({"match_set": None, "match_distance": 3})
        == "set ?, distance 3, labels none"
    )


def test_values_render_readably() -> None:
    assert render_value(0.6) == "0.6"
    assert render_value(0.123456) == "0.123"
    assert render_value(4.0) == "4"
    assert render_value(-0.0001) == "0"
    assert render_value(True) == "yes"
    assert render_value(False) == "no"
    assert render_value(12) == "12"
    assert render_value([]) == "none"
    assert render_value(["a", "b"]) == "a, b"
    assert render_value([str(i) for i in range(8)]) == "0, 1, 2, 3, 4 (+3 more)"


def test_format_specs_apply_to_numbers_only() -> None:
    template = compile_template("nudity {nudity:.2f} = {nudity:.0%}")
    assert template.render({"nudity": 0.8765}) == "nudity 0.88 = 88%"
    assert template.render({}) == "nudity ? = ?"


def test_evidence_strings_are_escaped_and_shortened() -> None:
    template = compile_template("software {exif_software}")
    hostile = "Evil\nApp\x1b[31m\u2028" + "x" * 500
    text = template.render({"exif_software": hostile})
    assert "\n" not in text and "\x1b" not in text and "\u2028" not in text
    assert text.startswith("software Evil\\x0aApp\\x1b[31m\\u2028x")
    assert len(text) <= len("software ") + 200


def test_braces_in_values_are_not_reinterpreted() -> None:
    template = compile_template("found at {paths}; {{literal}}")
    rendered = template.render({"paths": ["/x/{nudity.__class__}/{0}.jpg"]})
    assert rendered == "found at /x/{nudity.__class__}/{0}.jpg; {literal}"


def test_fields_are_listed_once() -> None:
    assert compile_template("{nudity} {nudity} {deepfake}").fields == ("nudity", "deepfake")
