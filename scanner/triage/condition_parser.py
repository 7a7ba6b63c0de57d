"""Building a `Condition` from the YAML of a rule's `when:`, validated against `FACTS`.

when := {all: [when, ...]} | {any: [when, ...]} | {not: when}
      | {fact: NAME, op: OP, value: VALUE}      (no value for exists / not exists)
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scanner.triage.conditions import (
    OPS_BY_TYPE,
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    NotOf,
    Op,
)
from scanner.triage.facts import FACTS, FactSpec, FactType
from scanner.triage.yaml_source import (
    check_keys,
    kind_of,
    mapping,
    rule_error,
    scalar,
    sequence,
    string,
)

_COMPARISON_KEYS = ("fact", "op", "value")
_MAX_DEPTH = 16


@dataclass(frozen=True)
class ParseContext:
    """The file being read, extra allowed values per fact (e.g. app ids for `apps`) and
    the allowed `APP:` prefixes of `APP:ID` facts (e.g. apps with chat ids for `chat_ids`)."""

    path: Path
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    prefixes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def parse_condition(ctx: ParseContext, node: yaml.Node, depth: int = 0) -> Condition:
    """The condition written at `node`; RuleError FILE:LINE on anything malformed."""
    if depth > _MAX_DEPTH:
        raise rule_error(ctx.path, node, f"condition nested deeper than {_MAX_DEPTH} levels")
    keys = mapping(ctx.path, node, "condition")
    combinators = [k for k in ("all", "any", "not") if k in keys]
    if combinators:
        if len(keys) != 1:
            extra = sorted(set(keys) - {combinators[0]})[0]
            raise rule_error(
                ctx.path,
                keys[extra][0],
                f"condition: {combinators[0]!r} cannot be combined with {extra!r} in one mapping",
            )
        return _combinator(ctx, combinators[0], keys[combinators[0]][1], depth)
    check_keys(ctx.path, keys, _COMPARISON_KEYS, ("fact", "op"), "comparison", node)
    return _comparison(ctx, keys, node)


def _combinator(ctx: ParseContext, name: str, node: yaml.Node, depth: int) -> Condition:
    if name == "not":
        return NotOf(parse_condition(ctx, node, depth + 1))
    parts = tuple(parse_condition(ctx, item, depth + 1) for item in sequence(ctx.path, node, name))
    return AllOf(parts) if name == "all" else AnyOf(parts)


def _comparison(
    ctx: ParseContext, keys: dict[str, tuple[yaml.Node, yaml.Node]], node: yaml.Node
) -> Comparison:
    fact_node, op_node = keys["fact"][1], keys["op"][1]
    name = string(ctx.path, fact_node, "fact")
    spec = FACTS.get(name)
    if spec is None:
        raise rule_error(ctx.path, fact_node, f"unknown fact {name!r}{_suggest(name)}")
    op_text = scalar(op_node)
    try:
        op = Op(op_text)
    except ValueError:
        allowed = ", ".join(o.value for o in Op)
        raise rule_error(
            ctx.path, op_node, f"unknown operator {op_text!r} (allowed: {allowed})"
        ) from None
    if op not in OPS_BY_TYPE[spec.type]:
        allowed = ", ".join(o.value for o in Op if o in OPS_BY_TYPE[spec.type])
        raise rule_error(
            ctx.path,
            op_node,
            f"operator {op.value!r} does not apply to {name} ({spec.type.value}; allowed: {allowed})",
        )
    if op in (Op.EXISTS, Op.NOT_EXISTS):
        if "value" in keys:
            raise rule_error(ctx.path, keys["value"][0], f"{op.value!r} takes no value")
        return Comparison(spec, op)
    if "value" not in keys:
        raise rule_error(ctx.path, node, f"comparison: missing key 'value' for {op.value!r}")
    return _with_value(ctx, spec, op, keys["value"][1])


def _with_value(ctx: ParseContext, spec: FactSpec, op: Op, node: yaml.Node) -> Comparison:
    if op in (Op.IN, Op.NOT_IN):
        items = sequence(ctx.path, node, f"value of {op.value!r}")
        values = tuple(_one_value(ctx, spec, op, item) for item in items)
        return Comparison(spec, op, values)
    value = _one_value(ctx, spec, op, node)
    if op is Op.MATCHES:
        try:
            pattern = re.compile(value, re.IGNORECASE)
        except re.error as exc:
            raise rule_error(ctx.path, node, f"bad regular expression {value!r}: {exc}") from None
        return Comparison(spec, op, value, pattern)
    return Comparison(spec, op, value)


def _one_value(ctx: ParseContext, spec: FactSpec, op: Op, node: yaml.Node) -> Any:
    value = scalar(node)
    where = f"value for {spec.name} ({spec.type.value})"
    if spec.type is FactType.BOOL:
        if not isinstance(value, bool):
            raise rule_error(ctx.path, node, f"{where} must be true or false, got {kind_of(node)}")
        return value
    if spec.type.numeric:
        return _number(ctx, spec, node, where)
    if not isinstance(value, str):
        raise rule_error(ctx.path, node, f"{where} must be a string, got {kind_of(node)}")
    if spec.name in ctx.prefixes:
        app, _, id_ = value.partition(":")
        if app not in ctx.prefixes[spec.name] or not id_:
            apps = ", ".join(ctx.prefixes[spec.name]) or "none"
            raise rule_error(
                ctx.path, node, f"{where}: {value!r} is not APP:ID with APP one of {apps}"
            )
    allowed = ctx.choices.get(spec.name, spec.choices)
    if allowed and op is not Op.MATCHES and not (spec.type is FactType.STR and op in _SUBSTR):
        if value not in allowed:
            raise rule_error(
                ctx.path, node, f"{where}: {value!r} is not one of {', '.join(allowed)}"
            )
    return value


_SUBSTR = (Op.CONTAINS, Op.NOT_CONTAINS)


def _number(ctx: ParseContext, spec: FactSpec, node: yaml.Node, where: str) -> float | int:
    value = scalar(node)
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise rule_error(ctx.path, node, f"{where} must be a number, got {kind_of(node)}")
    if spec.bounds is not None and not spec.bounds[0] <= value <= spec.bounds[1]:
        low, high = spec.bounds
        raise rule_error(ctx.path, node, f"{where}: {value} is outside {low:g}..{high:g}")
    return value


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name, list(FACTS), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
