"""Loading a rules folder: every `*.yaml` / `*.yml` file, validated before the run starts.

A file is a mapping with a `rules:` list, an `apps:` list, or both:

    rules:
      - name: known-bad-hash           # unique across the folder, lower-case a-z0-9 . _ -
        priority: 1                    # 1 (most urgent) .. 5; not for drop rules
        category: known-material       # not for drop rules
        when: {fact: match_kinds, op: contains, value: known-bad}
        reason: "matches known-bad set {match_set} …"   # fields are fact names
        drop: false                    # true: the blob leaves triage (known-good)
        description: optional text for the docs and the report's methods section

The bundled rules are the repository's top-level `rules/` folder, shipped inside the package
and found with importlib.resources (`scanner.lib.resources.rules_dir()`), in a checkout, an
editable install and a wheel alike.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from scanner.errors import RuleError
from scanner.lib.resources import rules_dir
from scanner.triage.attribution import AppAttribution, AppRule, parse_apps
from scanner.triage.condition_parser import ParseContext, parse_condition
from scanner.triage.ruleset import PRIORITIES, Rule, RuleSet
from scanner.triage.templates import compile_template
from scanner.triage.yaml_source import (
    check_keys,
    compose_file,
    kind_of,
    line_of,
    mapping,
    rule_error,
    scalar,
    sequence,
    string,
)

BUNDLED_RULES = rules_dir()
"""The rules shipped with dftriage (the repository's top-level `rules/` folder)."""

_TOP_KEYS = ("rules", "apps")
_RULE_KEYS = ("name", "priority", "category", "when", "reason", "drop", "description")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

_Sections = list[tuple[Path, str, yaml.Node]]


def load_rules(folder: Path | None = None) -> RuleSet:
    """Every rule and app pattern in `folder` (None: the bundled rules); RuleError if malformed.

    If the folder has no `apps:` section, app attribution comes from the bundled rules.
    """
    folder = BUNDLED_RULES if folder is None else Path(folder)
    sections = _sections(folder)
    apps = _apps_from(sections) if any(k == "apps" for _, k, _ in sections) else default_apps()
    ctx_choices = {"apps": apps.names()}
    ctx_prefixes = {"chat_ids": apps.with_ids("chats"), "account_ids": apps.with_ids("accounts")}
    rules: list[Rule] = []
    first: dict[str, str] = {}
    for path, key, node in sections:
        if key != "rules":
            continue
        for item in sequence(path, node, "rules"):
            rule = _parse_rule(ParseContext(path, ctx_choices, ctx_prefixes), item)
            if rule.name in first:
                raise rule_error(
                    path,
                    item,
                    f"duplicate rule name {rule.name!r} (first defined at {first[rule.name]})",
                )
            first[rule.name] = rule.origin
            rules.append(rule)
    if not rules:
        raise RuleError(f"{folder}: no rules found (expected *.yaml files with a 'rules:' list)")
    sources = tuple(dict.fromkeys(str(path) for path, _, _ in sections))
    return RuleSet(tuple(rules), apps, sources)


def load_apps(folder: Path | None = None) -> AppAttribution:
    """Only the app attribution patterns of a rules folder (None: the bundled rules)."""
    folder = BUNDLED_RULES if folder is None else Path(folder)
    return _apps_from(_sections(folder))


@lru_cache(maxsize=1)
def default_apps() -> AppAttribution:
    """The bundled app attribution, loaded once."""
    return load_apps(None)


def attribute_apps(path: str) -> list[str]:
    """App ids (rules/apps.yaml, bundled) whose folder or file-name patterns match `path`."""
    return default_apps().attribute(path)


def _sections(folder: Path) -> _Sections:
    if not folder.is_dir():
        raise RuleError(f"{folder}: rules folder not found")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise RuleError(f"{folder}: no *.yaml rule files")
    sections: _Sections = []
    for path in files:
        root = compose_file(path)
        keys = mapping(path, root, "rule file")
        check_keys(path, keys, _TOP_KEYS, (), "rule file", root)
        if not keys:
            raise rule_error(path, root, "rule file: expected a 'rules:' or 'apps:' list")
        sections.extend((path, key, value) for key, (_, value) in keys.items())
    return sections


def _apps_from(sections: _Sections) -> AppAttribution:
    apps: list[AppRule] = []
    seen: dict[str, str] = {}
    for path, key, node in sections:
        if key != "apps":
            continue
        for app in parse_apps(path, node):
            if app.name in seen:
                line = int(app.origin.rsplit(":", 1)[1])
                raise rule_error(
                    path, line, f"duplicate app name {app.name!r} (first at {seen[app.name]})"
                )
            seen[app.name] = app.origin
            apps.append(app)
    if not apps:
        raise RuleError("no app attribution found (expected an 'apps:' list)")
    return AppAttribution(tuple(apps))


def _parse_rule(ctx: ParseContext, node: yaml.Node) -> Rule:
    path = ctx.path
    keys = mapping(path, node, "rule")
    check_keys(path, keys, _RULE_KEYS, ("name", "when", "reason"), "rule", node)
    name = string(path, keys["name"][1], "rule name")
    if not _NAME.match(name):
        raise rule_error(
            path, keys["name"][1], f"rule name {name!r} must be lower-case a-z0-9 . _ -"
        )
    what = f"rule {name!r}"
    drop = _drop(ctx, keys, what)
    priority, category = _priority_category(ctx, keys, node, what, drop)
    reason_node = keys["reason"][1]
    try:
        reason = compile_template(string(path, reason_node, f"{what}: reason"))
    except ValueError as exc:
        raise rule_error(path, reason_node, f"{what}: {exc}") from None
    if not reason.fields:
        raise rule_error(
            path, reason_node, f"{what}: reason names no fact; a finding must state its evidence"
        )
    description = ""
    if "description" in keys:
        description = string(path, keys["description"][1], f"{what}: description")
    condition = parse_condition(ctx, keys["when"][1])
    origin = f"{path}:{line_of(node)}"
    return Rule(name, condition, reason, origin, priority, category, drop, description)


def _drop(ctx: ParseContext, keys: dict[str, tuple[yaml.Node, yaml.Node]], what: str) -> bool:
    if "drop" not in keys:
        return False
    value = scalar(keys["drop"][1])
    if not isinstance(value, bool):
        raise rule_error(ctx.path, keys["drop"][1], f"{what}: drop must be true or false")
    return value


def _priority_category(
    ctx: ParseContext,
    keys: dict[str, tuple[yaml.Node, yaml.Node]],
    node: yaml.Node,
    what: str,
    drop: bool,
) -> tuple[int | None, str | None]:
    path = ctx.path
    if drop:
        for key in ("priority", "category"):
            if key in keys:
                raise rule_error(path, keys[key][0], f"{what}: a drop rule takes no {key}")
        return None, None
    for key in ("priority", "category"):
        if key not in keys:
            raise rule_error(path, node, f"{what}: missing key {key!r}")
    priority_node = keys["priority"][1]
    priority = scalar(priority_node)
    if isinstance(priority, bool) or not isinstance(priority, int) or priority not in PRIORITIES:
        raise rule_error(
            path,
            priority_node,
            f"{what}: priority must be an integer 1..5, got {kind_of(priority_node)}",
        )
    return priority, string(path, keys["category"][1], f"{what}: category")
