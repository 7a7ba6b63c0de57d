"""The bundled rules load, and the docs describe every fact, default rule and app."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from scanner.triage import BUNDLED_RULES, FACTS, load_apps, load_rules
from scanner.triage.loader import default_apps

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "triage.md").read_text(encoding="utf-8")


def test_bundled_rules_are_the_repository_rules_folder() -> None:
    assert BUNDLED_RULES == REPO / "scanner" / "rules"
    assert BUNDLED_RULES.resolve() == REPO / "rules"
    rules = load_rules()
    assert {Path(s).name for s in rules.sources} == {"apps.yaml", "default.yaml"}
    assert rules.apps == default_apps() == load_apps()


def test_bundled_rules_cover_priorities_and_drop() -> None:
    rules = load_rules()
    assert {r.priority for r in rules.rules if not r.drop} == {1, 2, 3, 4}
    assert [r.name for r in rules.rules if r.drop] == ["known-good"]
    assert all(r.description for r in rules.rules)


def test_every_fact_is_documented() -> None:
    for name, spec in FACTS.items():
        assert re.search(rf"^\| `{name}` \| {re.escape(spec.type.value)} \|", DOC, re.M), name


def test_every_default_rule_is_documented() -> None:
    for rule in load_rules().rules:
        assert f"| `{rule.name}` |" in DOC, rule.name


def test_every_app_is_documented() -> None:
    for app in load_apps().apps:
        assert re.search(rf"^\| `{app.name}` \| {app.kind} \|", DOC, re.M), app.name


def test_triage_imports_only_types_errors_and_resources() -> None:
    package = REPO / "scanner" / "triage"
    allowed = {"scanner.errors", "scanner.lib.resources", "scanner.types"}
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("scanner"):
                    assert name in allowed or name.startswith("scanner.triage"), (module, name)
