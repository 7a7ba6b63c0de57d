"""Triage: declarative rules (`rules/*.yaml`) turn a blob's facts into prioritised findings.

    rules = load_rules()                 # or load_rules(Path("lab-rules")); RuleError FILE:LINE
    rules.evaluate(facts)  -> [Finding(rule, priority, category, reason), ...]  most urgent first
    rules.drops(facts)     -> True if a drop rule (known-good) removes the blob
    attribute_apps(path)   -> ["telegram", "downloads"]   (bundled rules/apps.yaml)

The facts a rule may use are listed in `scanner.triage.facts.FACTS`; see docs/triage.md.
This package imports only scanner.types, scanner.errors and scanner.lib.resources from the rest of
dftriage.
"""

from scanner.triage.attribution import AppAttribution, AppRule, Attribution
from scanner.triage.facts import FACTS, FactSpec, FactType, check_facts
from scanner.triage.loader import (
    BUNDLED_RULES,
    attribute_apps,
    default_apps,
    load_apps,
    load_rules,
)
from scanner.triage.ruleset import Finding, Rule, RuleSet

__all__ = [
    "BUNDLED_RULES",
    "FACTS",
    "AppAttribution",
    "AppRule",
    "Attribution",
    "FactSpec",
    "FactType",
    "Finding",
    "Rule",
    "RuleSet",
    "attribute_apps",
    "check_facts",
    "default_apps",
    "load_apps",
    "load_rules",
]
