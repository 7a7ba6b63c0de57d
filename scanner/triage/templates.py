"""Reason templates: `str.format` text whose fields are fact names, rendered safely.

Only plain `{fact}` and `{fact:.Nf}` / `{fact:.N%}` fields are accepted: attribute
access (`{a.b}`), indexing (`{a[0]}`), conversions (`{a!r}`), nested fields and any
other format spec are rejected when the rule is loaded, and every field must name a
fact in `FACTS`. Rendering goes through `str.format_map` over a mapping of small
value wrappers, so a missing or `None` fact shows as "?", an empty (or absent) list
as "none",
floats with at most 3 decimals, booleans as yes/no, long lists and strings shortened
and control characters escaped (values can come from hostile evidence).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.triage.facts import FACTS, FactType

MISSING = "?"
MAX_LIST_ITEMS = 5
MAX_TEXT = 200

_FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")
_SPEC = re.compile(r"^\.\d[f%]$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Template:
    """A validated reason template."""

    text: str
    fields: tuple[str, ...]

    def render(self, facts: Mapping[str, Any]) -> str:
        """The reason for these facts."""
        return self.text.format_map(_Values(facts))


def compile_template(text: str) -> Template:
    """Validate `text`; ValueError names the first problem."""
    fields: list[str] = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"reason template is malformed: {exc}") from exc
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not field:
            raise ValueError("reason template: empty or positional field {} is not allowed")
        if not _FIELD.match(field):
            raise ValueError(
                f"reason template: field {{{field}}} must be a plain fact name"
                " (no attribute access, indexing or expressions)"
            )
        if field not in FACTS:
            raise ValueError(f"reason template: unknown fact {{{field}}}")
        if conversion is not None:
            raise ValueError(f"reason template: conversion !{conversion} is not allowed")
        if spec and not _SPEC.match(spec):
            raise ValueError(
                f"reason template: format spec {spec!r} of {{{field}}} is not allowed"
                " (only .Nf or .N%)"
            )
        fields.append(field)
    return Template(text, tuple(dict.fromkeys(fields)))


class _Values(dict[str, "_Value"]):
    """format_map's mapping: every key renders, missing ones as "?"."""

    def __init__(self, facts: Mapping[str, Any]) -> None:
        super().__init__()
        self._facts = facts

    def __missing__(self, key: str) -> _Value:
        value = self._facts.get(key)
        spec = FACTS.get(key)
        if value is None and spec is not None and spec.type is FactType.STR_LIST:
            value = ()  # an absent list fact is the empty list
        return _Value(value)


@dataclass(frozen=True)
class _Value:
    """One fact value as the template sees it: only `format` is meaningful."""

    value: Any

    def __format__(self, spec: str) -> str:
        value = self.value
        if spec and _SPEC.match(spec) and _is_number(value):
            return format(value, spec)
        return render_value(value)

    def __str__(self) -> str:
        return render_value(self.value)


def render_value(value: Any) -> str:
    """A fact value as reason text."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        if not value:
            return "none"
        shown = [_text(str(v)) for v in value[:MAX_LIST_ITEMS]]
        more = len(value) - len(shown)
        return ", ".join(shown) + (f" (+{more} more)" if more > 0 else "")
    return _text(str(value))


def _text(text: str) -> str:
    text = _CONTROL.sub(_escape, text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
