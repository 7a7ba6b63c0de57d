"""Rule conditions: comparisons of one fact with a value, combined by all / any / not.

Semantics (also in docs/triage.md):

* A scalar fact that is absent or None ("not measured") satisfies only `not exists`;
  every other comparison with it is false, `!=` and `not in` included.
* An absent list fact is the empty list; `exists` means "non-empty".
* `contains` on a list: the value is an element; on a string: a case-insensitive
  substring. `in` on a list: some element is one of the values; on a scalar: the
  value is one of them. `matches`: case-insensitive regular-expression search (str).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from scanner.triage.facts import FactSpec, FactType


class Op(StrEnum):
    """Comparison operators, as written in rule files."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not contains"
    MATCHES = "matches"
    EXISTS = "exists"
    NOT_EXISTS = "not exists"


_PRESENCE = {Op.EXISTS, Op.NOT_EXISTS}
_ORDER = {Op.LT, Op.LE, Op.GT, Op.GE}
_MEMBER = {Op.IN, Op.NOT_IN}
OPS_BY_TYPE: Mapping[FactType, frozenset[Op]] = {
    FactType.STR: frozenset(
        {Op.EQ, Op.NE, Op.CONTAINS, Op.NOT_CONTAINS, Op.MATCHES} | _MEMBER | _PRESENCE
    ),
    FactType.INT: frozenset({Op.EQ, Op.NE} | _ORDER | _MEMBER | _PRESENCE),
    FactType.FLOAT: frozenset({Op.EQ, Op.NE} | _ORDER | _MEMBER | _PRESENCE),
    FactType.BOOL: frozenset({Op.EQ, Op.NE} | _PRESENCE),
    FactType.STR_LIST: frozenset({Op.CONTAINS, Op.NOT_CONTAINS} | _MEMBER | _PRESENCE),
}
"""Which operators each fact type accepts."""


class Condition(Protocol):
    """Anything that can be tested against a blob's facts."""

    def holds(self, facts: Mapping[str, Any]) -> bool: ...


@dataclass(frozen=True)
class Comparison:
    """`{fact: F, op: O, value: V}`; `value` is a tuple for in / not in, None for exists."""

    fact: FactSpec
    op: Op
    value: Any = None
    pattern: re.Pattern[str] | None = None

    def holds(self, facts: Mapping[str, Any]) -> bool:
        actual = facts.get(self.fact.name)
        if self.fact.type is FactType.STR_LIST:
            return self._holds_list(list(actual or ()))
        if self.op is Op.NOT_EXISTS:
            return actual is None
        if actual is None:
            return False
        return self._holds_scalar(actual)

    def _holds_list(self, actual: list[str]) -> bool:
        op = self.op
        if op is Op.EXISTS:
            return bool(actual)
        if op is Op.NOT_EXISTS:
            return not actual
        if op is Op.CONTAINS:
            return self.value in actual
        if op is Op.NOT_CONTAINS:
            return self.value not in actual
        hit = any(item in self.value for item in actual)
        return hit if op is Op.IN else not hit

    def _holds_scalar(self, actual: Any) -> bool:
        op, value = self.op, self.value
        if op is Op.EXISTS:
            return True
        if op in (Op.IN, Op.NOT_IN):
            return (actual in value) == (op is Op.IN)
        if op is Op.CONTAINS or op is Op.NOT_CONTAINS:
            found = str(value).casefold() in str(actual).casefold()
            return found == (op is Op.CONTAINS)
        if op is Op.MATCHES:
            return self.pattern is not None and self.pattern.search(str(actual)) is not None
        if isinstance(actual, float) and math.isnan(actual):
            return False
        return _compare(op, actual, value)


def _compare(op: Op, actual: Any, value: Any) -> bool:
    if op is Op.EQ:
        return bool(actual == value)
    if op is Op.NE:
        return bool(actual != value)
    if op is Op.LT:
        return bool(actual < value)
    if op is Op.LE:
        return bool(actual <= value)
    if op is Op.GT:
        return bool(actual > value)
    return bool(actual >= value)


@dataclass(frozen=True)
class AllOf:
    """True if every part holds."""

    parts: tuple[Condition, ...]

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return all(part.holds(facts) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    """True if some part holds."""

    parts: tuple[Condition, ...]

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return any(part.holds(facts) for part in self.parts)


@dataclass(frozen=True)
class NotOf:
    """True if the part does not hold."""

    part: Condition

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return not self.part.holds(facts)
