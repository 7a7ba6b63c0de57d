"""Condition semantics: operators per type, unmeasured facts, all/any/not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scanner.triage import load_rules
from tests.triage.triage_support import write


def holds(tmp_path: Path, when: str, facts: dict[str, Any]) -> bool:
    write(
        tmp_path,
        "r.yaml",
        f'rules:\n  - {{name: r, priority: 5, category: c, reason: "{{size}}", when: {when}}}\n',
    )
    return bool(load_rules(tmp_path).evaluate(facts))


@pytest.mark.parametrize(
    ("when", "facts", "expected"),
    [
        # unmeasured scalars satisfy only `not exists`
        ('{fact: nudity, op: "<", value: 0.5}', {}, False),
        ('{fact: nudity, op: "!=", value: 0.5}', {"nudity": None}, False),
        ("{fact: nudity, op: not in, value: [0.5]}", {}, False),
        ("{fact: nudity, op: not exists}", {"nudity": None}, True),
        ("{fact: nudity, op: exists}", {"nudity": 0.0}, True),
        ('{fact: nudity, op: "<", value: 0.5}', {"nudity": float("nan")}, False),
        # numbers
        ('{fact: faces, op: ">=", value: 2}', {"faces": 2}, True),
        ('{fact: faces, op: ">", value: 2}', {"faces": 2}, False),
        ('{fact: faces, op: "==", value: 0}', {"faces": 0}, True),
        ("{fact: best_match_distance, op: in, value: [0, 1]}", {"best_match_distance": 1}, True),
        # booleans
        ('{fact: deleted, op: "==", value: true}', {"deleted": True}, True),
        ('{fact: deleted, op: "!=", value: true}', {"deleted": False}, True),
        # strings
        ('{fact: kind, op: "==", value: video}', {"kind": "video"}, True),
        (
            "{fact: media_type, op: in, value: [image/png, image/gif]}",
            {"media_type": "image/png"},
            True,
        ),
        (
            "{fact: exif_software, op: contains, value: faceapp}",
            {"exif_software": "FaceApp 11"},
            True,
        ),
        (
            "{fact: exif_software, op: not contains, value: faceapp}",
            {"exif_software": "GIMP"},
            True,
        ),
        (
            "{fact: exif_software, op: matches, value: '^(reface|faceapp)'}",
            {"exif_software": "Reface 3"},
            True,
        ),
        (
            "{fact: exif_software, op: matches, value: 'reface$'}",
            {"exif_software": "Reface 3"},
            False,
        ),
        # lists: absent = empty
        ("{fact: apps, op: not exists}", {}, True),
        ("{fact: apps, op: exists}", {"apps": []}, False),
        ("{fact: apps, op: contains, value: telegram}", {"apps": ["downloads", "telegram"]}, True),
        ("{fact: apps, op: not contains, value: telegram}", {}, True),
        ("{fact: apps, op: in, value: [telegram, kakaotalk]}", {"apps": ["kakaotalk"]}, True),
        ("{fact: apps, op: not in, value: [telegram, kakaotalk]}", {"apps": ["camera"]}, True),
        (
            "{fact: apps, op: not in, value: [telegram, kakaotalk]}",
            {"apps": ["camera", "telegram"]},
            False,
        ),
        # combinators
        (
            "{all: [{fact: deleted, op: exists}, {fact: carved, op: exists}]}",
            {"deleted": True},
            False,
        ),
        (
            "{any: [{fact: deleted, op: exists}, {fact: carved, op: exists}]}",
            {"deleted": True},
            True,
        ),
        ("{not: {fact: deleted, op: exists}}", {"deleted": True}, False),
        ("{not: {not: {fact: deleted, op: exists}}}", {"deleted": True}, True),
    ],
)
def test_condition_semantics(
    tmp_path: Path, when: str, facts: dict[str, Any], expected: bool
) -> None:
    assert holds(tmp_path, when, facts) is expected


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    from scanner.errors import RuleError

    when = "{fact: deleted, op: exists}"
    for _ in range(20):
        when = f"{{not: {when}}}"
    with pytest.raises(RuleError, match="nested deeper"):
        holds(tmp_path, when, {})


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    from scanner.errors import RuleError

    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    (tmp_path / "bomb.yaml").write_text(
        "x:\n  " + "\n  ".join(lines) + "\nrules:\n  - {name: r, bomb: *a8}\n", encoding="utf-8"
    )
    with pytest.raises(RuleError, match="more than 100000 YAML nodes"):
        load_rules(tmp_path)
