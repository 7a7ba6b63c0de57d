"""A malformed rule folder stops the run before it starts with "FILE:LINE: reason"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scanner.errors import RuleError
from scanner.triage import load_rules
from tests.triage.triage_support import write

GOOD_RULE = """
rules:
  - name: nude
    priority: 3
    category: nudity
    when: {fact: nudity, op: ">=", value: 0.6}
    reason: "nudity {nudity}"
"""


def error_of(folder: Path) -> str:
    with pytest.raises(RuleError) as caught:
        load_rules(folder)
    return str(caught.value)


def assert_error(folder: Path, file: Path, line: int, pattern: str) -> None:
    message = error_of(folder)
    assert message.startswith(f"{file}:{line}: "), message
    assert re.search(pattern, message), message


# (YAML text, line of the error, pattern of the reason)
CASES = {
    "unknown-rule-key": (
        """
        rules:
          - name: nude
            priority: 3
            category: nudity
            severity: high
            when: {fact: nudity, op: ">=", value: 0.6}
            reason: "nudity {nudity}"
        """,
        5,
        r"unknown key 'severity' \(allowed: name, priority",
    ),
    "unknown-fact": (
        """
        rules:
          - name: nude
            priority: 3
            category: nudity
            when:
              all:
                - {fact: victim_labels, op: exists}
                - {fact: nuditi, op: ">=", value: 0.6}
            reason: "nudity {nudity}"
        """,
        8,
        r"unknown fact 'nuditi' \(did you mean 'nudity'\?\)",
    ),
    "bad-operator": (
        """
        rules:
          - name: nude
            priority: 3
            category: nudity
            when: {fact: nudity, op: "=>", value: 0.6}
            reason: "nudity {nudity}"
        """,
        5,
        r"unknown operator '=>'",
    ),
    "operator-for-wrong-type": (
        """
        rules:
          - name: nude
            priority: 3
            category: nudity
            when: {fact: nudity, op: contains, value: 0.6}
            reason: "nudity {nudity}"
        """,
        5,
        r"operator 'contains' does not apply to nudity \(float",
    ),
    "value-of-wrong-type": (
        """
        rules:
          - name: nude
            priority: 3
            category: nudity
            when:
              fact: nudity
              op: ">="
              value: high
            reason: "nudity {nudity}"
        """,
        8,
        r"value for nudity \(float\) must be a number, got str 'high'",
    ),
    "bool-is-not-a-number": (
        """
        rules:
          - name: nude
            priority: 3
            category: nudity
            when: {fact: faces, op: ">=", value: true}
            reason: "faces {faces}"
        """,
        5,
        r"must be a number, got bool True",
    ),
    "score-as-percent": (
        """
        rules:
          - name: nude
            priority: 3
            category: nudity
            when: {fact: nudity, op: ">=", value: 60}
            reason: "nudity {nudity}"
        """,
        5,
        r"60 is outside 0\.\.1",
    ),
    "unknown-choice": (
        """
        rules:
          - name: vid
            priority: 3
            category: video
            when: {fact: kind, op: "==", value: movie}
            reason: "kind {kind}"
        """,
        5,
        r"'movie' is not one of picture, video",
    ),
    "unknown-app": (
        """
        rules:
          - name: tg
            priority: 3
            category: messenger
            when: {fact: apps, op: in, value: [telegram, kakao]}
            reason: "apps {apps}"
        """,
        5,
        r"'kakao' is not one of telegram, kakaotalk",
    ),
    "in-needs-a-list": (
        """
        rules:
          - name: tg
            priority: 3
            category: messenger
            when: {fact: media_type, op: in, value: image/png}
            reason: "type {media_type}"
        """,
        5,
        r"value of 'in' must be a list, got str",
    ),
    "exists-takes-no-value": (
        """
        rules:
          - name: v
            priority: 3
            category: victim
            when: {fact: victim_labels, op: exists, value: true}
            reason: "victim {victim_labels}"
        """,
        5,
        r"'exists' takes no value",
    ),
    "missing-value": (
        """
        rules:
          - name: v
            priority: 3
            category: victim
            when: {fact: nudity, op: ">="}
            reason: "nudity {nudity}"
        """,
        5,
        r"missing key 'value' for '>='",
    ),
    "bad-regex": (
        """
        rules:
          - name: sw
            priority: 4
            category: software
            when: {fact: exif_software, op: matches, value: "face(app"}
            reason: "software {exif_software}"
        """,
        5,
        r"bad regular expression",
    ),
    "mixed-combinator": (
        """
        rules:
          - name: v
            priority: 3
            category: victim
            when:
              all: [{fact: victim_labels, op: exists}]
              fact: nudity
            reason: "victim {victim_labels}"
        """,
        7,
        r"'all' cannot be combined with 'fact'",
    ),
    "empty-all": (
        """
        rules:
          - name: v
            priority: 3
            category: victim
            when: {all: []}
            reason: "victim {victim_labels}"
        """,
        5,
        r"all must not be empty",
    ),
    "priority-zero": (
        """
        rules:
          - name: nude
            priority: 0
            category: nudity
            when: {fact: nudity, op: ">=", value: 0.6}
            reason: "nudity {nudity}"
        """,
        3,
        r"priority must be an integer 1\.\.5, got int 0",
    ),
    "priority-six": (GOOD_RULE.replace("priority: 3", "priority: 6"), 3, r"1\.\.5, got int 6"),
    "priority-string": (GOOD_RULE.replace("priority: 3", 'priority: "1"'), 3, r"got str '1'"),
    "priority-bool": (GOOD_RULE.replace("priority: 3", "priority: true"), 3, r"got bool True"),
    "priority-float": (GOOD_RULE.replace("priority: 3", "priority: 1.5"), 3, r"got float 1.5"),
    "missing-category": (
        """
        rules:
          - name: nude
            priority: 3
            when: {fact: nudity, op: ">=", value: 0.6}
            reason: "nudity {nudity}"
        """,
        2,
        r"rule 'nude': missing key 'category'",
    ),
    "missing-when": (
        """
        rules:
          - name: nude
            priority: 3
            category: nudity
            reason: "nudity {nudity}"
        """,
        2,
        r"rule: missing key 'when'",
    ),
    "drop-with-priority": (
        """
        rules:
          - name: nsrl
            drop: true
            priority: 5
            when: {fact: match_kinds, op: contains, value: known-good}
            reason: "known-good {match_set}"
        """,
        4,
        r"a drop rule takes no priority",
    ),
    "drop-not-bool": (
        """
        rules:
          - name: nsrl
            drop: "yes please"
            when: {fact: match_kinds, op: contains, value: known-good}
            reason: "known-good {match_set}"
        """,
        3,
        r"drop must be true or false",
    ),
    "bad-rule-name": (GOOD_RULE.replace("name: nude", "name: Nude Pics"), 2, r"lower-case"),
    "reason-attribute-access": (
        GOOD_RULE.replace('"nudity {nudity}"', '"x {nudity.__class__}"'),
        6,
        r"field \{nudity.__class__\} must be a plain fact name",
    ),
    "reason-indexing": (
        GOOD_RULE.replace('"nudity {nudity}"', '"first path {paths[0]}"'),
        6,
        r"field \{paths\[0\]\} must be a plain fact name",
    ),
    "reason-unknown-fact": (
        GOOD_RULE.replace('"nudity {nudity}"', '"nudity {nudity} {victim}"'),
        6,
        r"unknown fact \{victim\}",
    ),
    "reason-conversion": (
        GOOD_RULE.replace('"nudity {nudity}"', '"nudity {nudity!r}"'),
        6,
        r"conversion !r is not allowed",
    ),
    "reason-format-spec": (
        GOOD_RULE.replace('"nudity {nudity}"', '"nudity {nudity:>99999}"'),
        6,
        r"format spec '>99999' of \{nudity\} is not allowed",
    ),
    "reason-positional": (
        GOOD_RULE.replace('"nudity {nudity}"', '"nudity {} {nudity}"'),
        6,
        r"empty or positional field",
    ),
    "reason-unbalanced": (
        GOOD_RULE.replace('"nudity {nudity}"', '"nudity {nudity"'),
        6,
        r"malformed",
    ),
    "reason-without-evidence": (
        GOOD_RULE.replace('"nudity {nudity}"', '"looks bad"'),
        6,
        r"reason names no fact",
    ),
    "duplicate-key": (
        """
        rules:
          - name: nude
            priority: 3
            category: nudity
            priority: 1
            when: {fact: nudity, op: ">=", value: 0.6}
            reason: "nudity {nudity}"
        """,
        5,
        r"duplicate key 'priority' \(first at line 3\)",
    ),
    "invalid-yaml": (
        """
        rules:
          - name: nude
            priority: 3
            category: [nudity
            when: {fact: nudity, op: ">=", value: 0.6}
        """,
        5,
        r"invalid YAML",
    ),
    "python-tag": (
        """
        rules:
          - name: nude
            priority: 3
            category: !!python/object/apply:os.system ["echo pwned"]
        """,
        4,
        r"YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    "python-name-tag": (
        GOOD_RULE.replace("category: nudity", "category: !!python/name:os.system"),
        4,
        r"YAML tag .*python/name:os.system' is not allowed",
    ),
    "unknown-top-key": ("rule:\n  - name: x\n", 1, r"unknown key 'rule' \(allowed: rules, apps\)"),
    "top-level-list": ("- name: x\n", 1, r"rule file must be a mapping, got a list"),
    "empty-file": ("", 1, r"empty file"),
    "rules-not-a-list": ("rules: {name: x}\n", 1, r"rules must be a list, got a mapping"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_rule_gives_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, pattern = CASES[case]
    file = write(tmp_path, "lab.yaml", text)
    assert_error(tmp_path, file, line, pattern)


def test_duplicate_rule_name_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD_RULE)
    second = write(tmp_path, "b.yaml", "# lab additions\n# 2026\n" + GOOD_RULE.lstrip("\n"))
    assert_error(tmp_path, second, 4, rf"duplicate rule name 'nude' \(first defined at {first}:2\)")


def test_error_in_second_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD_RULE)
    bad = write(tmp_path, "b.yml", GOOD_RULE.replace("nude", "other").replace("0.6", "1.6"))
    assert_error(tmp_path, bad, 5, r"1.6 is outside 0..1")


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "lab.yaml").write_bytes(b"rules:\n  - name: \xff\xfe\n")
    assert_error(tmp_path, tmp_path / "lab.yaml", 1, r"not UTF-8")


def test_missing_folder(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope") == f"{tmp_path / 'nope'}: rules folder not found"


def test_folder_without_yaml(tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("no rules here")
    assert error_of(tmp_path) == f"{tmp_path}: no *.yaml rule files"


def test_folder_with_only_apps_has_no_rules(tmp_path: Path) -> None:
    write(tmp_path, "apps.yaml", "apps:\n  - {name: x, label: X, kind: other, folders: [x]}\n")
    assert "no rules found" in error_of(tmp_path)


APP_CASES = {
    "unknown-kind": (
        "apps:\n  - {name: x, label: X, kind: chat, folders: [x]}\n",
        2,
        r"app kind 'chat' is not one of messenger",
    ),
    "no-patterns": ("apps:\n  - {name: x, label: X, kind: other}\n", 2, r"needs 'folders' or"),
    "dotdot": (
        "apps:\n  - name: x\n    label: X\n    kind: other\n    folders: [a/../b]\n",
        5,
        r"'a/../b' has an empty, '.' or '..' part",
    ),
    "everything": (
        "apps:\n  - {name: x, label: X, kind: other, folders: ['**']}\n",
        2,
        r"matches every folder",
    ),
    "unknown-key": (
        "apps:\n  - {name: x, label: X, kind: other, paths: [x]}\n",
        2,
        r"unknown key 'paths'",
    ),
    "duplicate": (
        "apps:\n  - {name: x, label: X, kind: other, folders: [x]}\n"
        "  - {name: x, label: Y, kind: other, folders: [y]}\n",
        3,
        r"duplicate app name 'x' \(first at .*:2\)",
    ),
    "upper-case-id": (
        "apps:\n  - {name: Telegram, label: X, kind: other, folders: [x]}\n",
        2,
        r"must be lower-case",
    ),
}


@pytest.mark.parametrize("case", sorted(APP_CASES))
def test_malformed_app_pattern_gives_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, pattern = APP_CASES[case]
    write(tmp_path, "a.yaml", GOOD_RULE)
    file = write(tmp_path, "apps.yaml", text)
    assert_error(tmp_path, file, line, pattern)
