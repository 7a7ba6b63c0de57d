"""App attribution by path: which app's folder a picture was found in (rules/apps.yaml).

A path is split on `/` and `\\`, Unicode-normalised (NFC, so macOS's decomposed
Korean names compare equal) and case-folded. An app's `folders` patterns are runs of
folder names that must appear consecutively among the path's folders (anywhere, the
file name excluded); each name is an `fnmatch` glob (`*`, `?`, `[0-9]`) and `**`
stands for any number of folders. Its `names` patterns are globs on the file name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path

import yaml

from scanner.triage.yaml_source import (
    check_keys,
    mapping,
    rule_error,
    scalar,
    sequence,
    string,
)

APP_KINDS = ("messenger", "browser-cache", "camera", "screenshots", "downloads", "other")
_APP_KEYS = ("name", "label", "kind", "folders", "names", "description")


def normalise(text: str) -> str:
    """Case-folded NFC text, `\\` turned into `/`."""
    return unicodedata.normalize("NFC", text).replace("\\", "/").casefold()


def split_path(path: str) -> tuple[tuple[str, ...], str]:
    """(folders, file name) of a path, normalised; `.` and empty parts dropped."""
    parts = [p for p in normalise(path).split("/") if p and p != "."]
    if not parts:
        return (), ""
    return tuple(parts[:-1]), parts[-1]


@dataclass(frozen=True)
class AppRule:
    """One app: id, display label, kind, folder-run patterns and file-name patterns."""

    name: str
    label: str
    kind: str
    folders: tuple[tuple[str, ...], ...] = ()
    names: tuple[str, ...] = ()
    origin: str = ""

    def matches_folders(self, folders: tuple[str, ...]) -> bool:
        """True if one of the folder-run patterns matches the (normalised) folders."""
        return any(_run_in(pattern, folders) for pattern in self.folders)

    def matches_name(self, file_name: str) -> bool:
        """True if one of the file-name patterns matches the (normalised) file name."""
        return any(fnmatchcase(file_name, pattern) for pattern in self.names)


@dataclass(frozen=True)
class AppAttribution:
    """All app rules, in file order; a path may belong to several (Downloads/Telegram Desktop)."""

    apps: tuple[AppRule, ...] = ()

    def attribute(self, path: str) -> list[str]:
        """App ids whose patterns match `path`, in rule order."""
        folders, file_name = split_path(path)
        by_folder = self._by_folders(folders)
        return [
            app.name
            for app, matched in zip(self.apps, by_folder, strict=True)
            if matched or app.matches_name(file_name)
        ]

    @lru_cache(maxsize=4096)  # noqa: B019 - rules live for a run; files share few folders
    def _by_folders(self, folders: tuple[str, ...]) -> tuple[bool, ...]:
        """Per app, whether one of its folder patterns matches `folders`."""
        return tuple(app.matches_folders(folders) for app in self.apps)

    def names(self) -> tuple[str, ...]:
        return tuple(app.name for app in self.apps)

    def get(self, name: str) -> AppRule | None:
        return next((app for app in self.apps if app.name == name), None)


def _run_in(pattern: tuple[str, ...], folders: tuple[str, ...]) -> bool:
    return any(_match_at(pattern, folders, start) for start in range(len(folders)))


def _match_at(pattern: tuple[str, ...], folders: tuple[str, ...], at: int) -> bool:
    """True if `pattern` matches folders starting exactly at index `at` (prefix match)."""
    if not pattern:
        return True
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_at(rest, folders, i) for i in range(at, len(folders) + 1))
    if at >= len(folders) or not fnmatchcase(folders[at], head):
        return False
    return _match_at(rest, folders, at + 1)


def parse_apps(path: Path, node: yaml.Node) -> list[AppRule]:
    """The `apps:` list of one file; RuleError FILE:LINE on anything malformed."""
    return [_parse_app(path, item) for item in sequence(path, node, "apps")]


def _parse_app(path: Path, node: yaml.Node) -> AppRule:
    keys = mapping(path, node, "app")
    check_keys(path, keys, _APP_KEYS, ("name", "label", "kind"), "app", node)
    name = string(path, keys["name"][1], "app name")
    if name != name.lower() or not name.replace("-", "").isalnum():
        raise rule_error(path, keys["name"][1], f"app name {name!r} must be lower-case a-z0-9-")
    kind = string(path, keys["kind"][1], "app kind")
    if kind not in APP_KINDS:
        raise rule_error(
            path, keys["kind"][1], f"app kind {kind!r} is not one of {', '.join(APP_KINDS)}"
        )
    if "folders" not in keys and "names" not in keys:
        raise rule_error(path, node, f"app {name!r}: needs 'folders' or 'names' patterns")
    folders = tuple(
        _folder_pattern(path, item)
        for item in (sequence(path, keys["folders"][1], "folders") if "folders" in keys else [])
    )
    names = tuple(
        normalise(string(path, item, "file-name pattern"))
        for item in (sequence(path, keys["names"][1], "names") if "names" in keys else [])
    )
    label = string(path, keys["label"][1], "app label")
    return AppRule(name, label, kind, folders, names, f"{path}:{node.start_mark.line + 1}")


def _folder_pattern(path: Path, node: yaml.Node) -> tuple[str, ...]:
    text = scalar(node)
    if not isinstance(text, str):
        raise rule_error(path, node, f"folder pattern must be a string, got {text!r}")
    parts = tuple(normalise(text).strip("/").split("/"))
    if any(p in ("", ".", "..") for p in parts):
        raise rule_error(path, node, f"folder pattern {text!r} has an empty, '.' or '..' part")
    if all(p == "**" for p in parts):
        raise rule_error(path, node, f"folder pattern {text!r} matches every folder")
    return parts
