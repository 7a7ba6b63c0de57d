"""Loaded rules and their evaluation: facts in, findings out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scanner.triage.attribution import AppAttribution
from scanner.triage.conditions import Condition
from scanner.triage.facts import check_facts
from scanner.triage.templates import Template

PRIORITIES = range(1, 6)
"""1 = most urgent … 5 = least."""


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one blob: the reason names the evidence behind it."""

    rule: str
    priority: int
    category: str
    reason: str


@dataclass(frozen=True)
class Rule:
    """One triage rule as loaded; `origin` is "FILE:LINE" of its definition.

    A drop rule (`drop=True`) has no priority or category: when it holds, the blob
    leaves triage (e.g. known-good NSRL content) and `reason` says why.
    """

    name: str
    condition: Condition
    reason: Template
    origin: str
    priority: int | None = None
    category: str | None = None
    drop: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if self.drop and (self.priority is not None or self.category is not None):
            raise ValueError(f"drop rule {self.name!r} takes no priority or category")
        if not self.drop and (self.priority not in PRIORITIES or not self.category):
            raise ValueError(f"rule {self.name!r} needs a priority 1..5 and a category")

    def finding(self, facts: Mapping[str, Any]) -> Finding | None:
        """The finding of this (non-drop) rule for these facts, or None if it does not hold."""
        if self.drop or self.priority is None or self.category is None:
            return None
        if not self.condition.holds(facts):
            return None
        return Finding(self.name, self.priority, self.category, self.reason.render(facts))


@dataclass(frozen=True)
class RuleSet:
    """Every rule from a rules folder, in file-name then file order, and its app attribution."""

    rules: tuple[Rule, ...]
    apps: AppAttribution
    sources: tuple[str, ...] = ()  # the files the rules came from

    def evaluate(self, facts: Mapping[str, Any]) -> list[Finding]:
        """Findings for one blob, most urgent first; none if a drop rule removes the blob.

        ValueError if a known fact has a value of the wrong type (a pipeline bug).
        """
        check_facts(facts)
        if self.dropped_by(facts) is not None:
            return []
        findings = [f for rule in self.rules if (f := rule.finding(facts)) is not None]
        order = {rule.name: index for index, rule in enumerate(self.rules)}
        return sorted(findings, key=lambda f: (f.priority, order[f.rule]))

    def drops(self, facts: Mapping[str, Any]) -> bool:
        """True if a drop rule removes this blob from triage."""
        check_facts(facts)
        return self.dropped_by(facts) is not None

    def dropped_by(self, facts: Mapping[str, Any]) -> Finding | None:
        """The first drop rule that holds, as a Finding (priority 0, category "dropped")."""
        for rule in self.rules:
            if rule.drop and rule.condition.holds(facts):
                return Finding(rule.name, 0, "dropped", rule.reason.render(facts))
        return None

    def attribute_apps(self, path: str) -> list[str]:
        """App ids for a path, from this rule set's app attribution."""
        return self.apps.attribute(path)

    def path_facts(self, paths: Sequence[str]) -> dict[str, list[str]]:
        """The `apps`, `chat_ids` and `account_ids` facts for a blob found at these paths."""
        found = [a for path in paths for a in self.apps.identify(path)]
        return {
            "apps": sorted({a.app for a in found}),
            "chat_ids": sorted({f"{a.app}:{a.chat_id}" for a in found if a.chat_id}),
            "account_ids": sorted({f"{a.app}:{a.account_id}" for a in found if a.account_id}),
        }

    def rule(self, name: str) -> Rule:
        """The rule called `name` (KeyError if none)."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)
