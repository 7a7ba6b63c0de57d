"""Reading rule files as YAML node trees, so every error can name FILE:LINE.

Files are parsed with `yaml.compose` (the safe loader's composer: no tags that build
Python objects) and scalar values are built with the safe constructor. Duplicate keys,
which plain YAML loading silently overwrites, are an error here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scanner.errors import RuleError

_CONSTRUCTOR = yaml.constructor.SafeConstructor()
MAX_NODES = 100_000


def line_of(node: yaml.Node) -> int:
    """1-based line where `node` starts."""
    return int(node.start_mark.line) + 1


def rule_error(path: Path, node: yaml.Node | int, reason: str) -> RuleError:
    """A RuleError "FILE:LINE: reason" for `node` (or a line number)."""
    line = node if isinstance(node, int) else line_of(node)
    return RuleError(f"{path}:{line}: {reason}")


def compose_file(path: Path) -> yaml.Node:
    """The YAML node tree of one file; RuleError if unreadable, invalid or empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise rule_error(path, 1, f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise RuleError(f"{path}:1: cannot read ({exc.strerror or exc})") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise rule_error(path, line, f"invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise rule_error(path, 1, f"invalid YAML: {exc}") from exc
    if node is None:
        raise rule_error(path, 1, "empty file")
    _check_tags(path, node)
    return node


def _check_tags(path: Path, root: yaml.Node) -> None:
    """Reject any tag the safe constructor does not build (e.g. !!python/object), and
    trees that aliases expand beyond MAX_NODES (or make cyclic)."""
    safe = yaml.constructor.SafeConstructor.yaml_constructors
    stack = [root]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise rule_error(path, 1, f"more than {MAX_NODES} YAML nodes (aliases expand too far)")
        if node.tag not in safe:
            raise rule_error(path, node, f"YAML tag {node.tag!r} is not allowed")
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def mapping(path: Path, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Keys of a mapping node → (key node, value node); error on non-string or duplicate keys."""
    if not isinstance(node, yaml.MappingNode):
        raise rule_error(path, node, f"{what} must be a mapping, got {kind_of(node)}")
    result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = scalar(key_node)
        if not isinstance(key, str):
            raise rule_error(path, key_node, f"{what}: keys must be strings, got {key!r}")
        if key in result:
            first = line_of(result[key][0])
            raise rule_error(
                path, key_node, f"{what}: duplicate key {key!r} (first at line {first})"
            )
        result[key] = (key_node, value_node)
    return result


def sequence(path: Path, node: yaml.Node, what: str) -> list[yaml.Node]:
    """Items of a non-empty sequence node."""
    if not isinstance(node, yaml.SequenceNode):
        raise rule_error(path, node, f"{what} must be a list, got {kind_of(node)}")
    if not node.value:
        raise rule_error(path, node, f"{what} must not be empty")
    return list(node.value)


def scalar(node: yaml.Node) -> Any:
    """The Python value of a scalar node (str, int, float, bool, None, date…), else the node."""
    if isinstance(node, yaml.ScalarNode):
        return _CONSTRUCTOR.construct_object(node, deep=True)
    return node


def kind_of(node: yaml.Node) -> str:
    """A short description of a node's type, for messages."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    value = scalar(node)
    return "null" if value is None else f"{type(value).__name__} {value!r}"


def check_keys(
    path: Path,
    keys: dict[str, tuple[yaml.Node, yaml.Node]],
    allowed: tuple[str, ...],
    required: tuple[str, ...],
    what: str,
    at: yaml.Node,
) -> None:
    """Error on an unknown key (naming the allowed ones) or a missing required key."""
    for key, (key_node, _) in keys.items():
        if key not in allowed:
            raise rule_error(
                path, key_node, f"{what}: unknown key {key!r} (allowed: {', '.join(allowed)})"
            )
    for key in required:
        if key not in keys:
            raise rule_error(path, at, f"{what}: missing key {key!r}")


def string(path: Path, node: yaml.Node, what: str) -> str:
    """A non-empty string scalar."""
    value = scalar(node)
    if not isinstance(value, str) or not value.strip():
        raise rule_error(path, node, f"{what} must be a non-empty string, got {kind_of(node)}")
    return value
