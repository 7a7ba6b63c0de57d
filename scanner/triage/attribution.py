"""App attribution by path: which app's folder a picture was found in (rules/apps.yaml).

A path is split on `/` and `\\`, Unicode-normalised (NFC, so macOS's decomposed
Korean names compare equal) and case-folded. An app's `folders` patterns are runs of
folder names that must appear consecutively among the path's folders (anywhere, the
file name excluded); each name is an `fnmatch` glob (`*`, `?`, `[0-9]`) and `**`
stands for any number of folders. Its `names` patterns are globs on the file name.

Its optional `chats` and `accounts` patterns are folder runs in which one folder name
holds `<id>` (alone or with literal text around it, `account-<id>`); in a path already
attributed to the app, the first that matches gives the chat (or account) id: that
folder's name, or the part `<id>` stands for, with its case as found.
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
_APP_KEYS = ("name", "label", "kind", "folders", "names", "chats", "accounts", "description")
ID = "<id>"
_GLOB = frozenset("*?[]<>")


def normalise(text: str) -> str:
    """Case-folded NFC text, `\\` turned into `/`."""
    return unicodedata.normalize("NFC", text).replace("\\", "/").casefold()


def split_path(path: str) -> tuple[tuple[str, ...], str]:
    """(folders, file name) of a path, normalised; `.` and empty parts dropped."""
    parts = [p for p in normalise(path).split("/") if p and p != "."]
    if not parts:
        return (), ""
    return tuple(parts[:-1]), parts[-1]


def found_folders(path: str) -> tuple[str, ...]:
    """The folders of a path as `split_path` sees them, NFC but not case-folded."""
    text = unicodedata.normalize("NFC", path).replace("\\", "/")
    return tuple(p for p in text.split("/") if p and p != ".")[:-1]


@dataclass(frozen=True)
class IdPattern:
    """A folder-run pattern whose part `capture` is `prefix<id>suffix` (normalised)."""

    folders: tuple[str, ...]
    capture: int
    prefix: str
    suffix: str

    def find(self, folders: tuple[str, ...], found: tuple[str, ...]) -> str | None:
        """The id in the leftmost run it matches: from `found` (as found), else None."""
        for start in range(len(folders)):
            positions = _positions(self.folders, folders, start)
            if positions is not None:
                at = positions[self.capture]
                name = found[at] if len(found[at]) == len(folders[at]) else folders[at]
                return name[len(self.prefix) : len(name) - len(self.suffix)]
        return None


@dataclass(frozen=True)
class Attribution:
    """One app a path belongs to, with the chat and account ids its path names (or None)."""

    app: str
    chat_id: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class AppRule:
    """One app: id, display label, kind, folder-run patterns and file-name patterns."""

    name: str
    label: str
    kind: str
    folders: tuple[tuple[str, ...], ...] = ()
    names: tuple[str, ...] = ()
    origin: str = ""
    chats: tuple[IdPattern, ...] = ()
    accounts: tuple[IdPattern, ...] = ()

    def matches_folders(self, folders: tuple[str, ...]) -> bool:
        """True if one of the folder-run patterns matches the (normalised) folders."""
        return any(_run_in(pattern, folders) for pattern in self.folders)

    def matches_name(self, file_name: str) -> bool:
        """True if one of the file-name patterns matches the (normalised) file name."""
        return any(fnmatchcase(file_name, pattern) for pattern in self.names)

    def identify(self, folders: tuple[str, ...], found: tuple[str, ...]) -> Attribution:
        """This app's attribution of a path it matched, with the ids its patterns find."""
        return Attribution(
            self.name, _first(self.chats, folders, found), _first(self.accounts, folders, found)
        )


@dataclass(frozen=True)
class AppAttribution:
    """All app rules, in file order; a path may belong to several (Downloads/Telegram Desktop)."""

    apps: tuple[AppRule, ...] = ()

    def attribute(self, path: str) -> list[str]:
        """App ids whose patterns match `path`, in rule order."""
        return [app.name for app in self._matching(path)]

    def identify(self, path: str) -> list[Attribution]:
        """The apps whose patterns match `path`, in rule order, with chat and account ids."""
        apps = self._matching(path)
        if not any(app.chats or app.accounts for app in apps):
            return [Attribution(app.name) for app in apps]
        folders, found = split_path(path)[0], found_folders(path)
        return [app.identify(folders, found) for app in apps]

    def _matching(self, path: str) -> list[AppRule]:
        folders, file_name = split_path(path)
        by_folder = self._by_folders(folders)
        return [
            app
            for app, matched in zip(self.apps, by_folder, strict=True)
            if matched or app.matches_name(file_name)
        ]

    @lru_cache(maxsize=4096)  # noqa: B019 - rules live for a run; files share few folders
    def _by_folders(self, folders: tuple[str, ...]) -> tuple[bool, ...]:
        """Per app, whether one of its folder patterns matches `folders`."""
        return tuple(app.matches_folders(folders) for app in self.apps)

    def names(self) -> tuple[str, ...]:
        return tuple(app.name for app in self.apps)

    def with_ids(self, kind: str) -> tuple[str, ...]:
        """Ids of the apps that have `chats` (kind "chats") or `accounts` patterns."""
        return tuple(app.name for app in self.apps if getattr(app, kind))

    def get(self, name: str) -> AppRule | None:
        return next((app for app in self.apps if app.name == name), None)


def _first(
    patterns: tuple[IdPattern, ...], folders: tuple[str, ...], found: tuple[str, ...]
) -> str | None:
    return next((i for p in patterns if (i := p.find(folders, found)) is not None), None)


def _run_in(pattern: tuple[str, ...], folders: tuple[str, ...]) -> bool:
    return any(_positions(pattern, folders, start) is not None for start in range(len(folders)))


def _positions(pattern: tuple[str, ...], folders: tuple[str, ...], at: int) -> list[int] | None:
    """Where each part of `pattern` matched, matching from folders[at] on; None if no match.

    A `**` part is given the index where the folders it stands for begin.
    """
    if not pattern:
        return []
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        for start in range(at, len(folders) + 1):
            tail = _positions(rest, folders, start)
            if tail is not None:
                return [start, *tail]
        return None
    if at >= len(folders) or not fnmatchcase(folders[at], head):
        return None
    tail = _positions(rest, folders, at + 1)
    return None if tail is None else [at, *tail]


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
    chats, accounts = (
        tuple(
            _id_pattern(path, item)
            for item in (sequence(path, keys[key][1], key) if key in keys else [])
        )
        for key in ("chats", "accounts")
    )
    label = string(path, keys["label"][1], "app label")
    origin = f"{path}:{node.start_mark.line + 1}"
    return AppRule(name, label, kind, folders, names, origin, chats, accounts)


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


def _id_pattern(path: Path, node: yaml.Node) -> IdPattern:
    parts = _folder_pattern(path, node)
    holding = [i for i, part in enumerate(parts) if ID in part]
    if len(holding) != 1 or parts[holding[0]].count(ID) != 1:
        raise rule_error(path, node, f"id pattern {scalar(node)!r} must hold {ID} exactly once")
    prefix, suffix = parts[holding[0]].split(ID)
    if _GLOB & set(prefix + suffix):
        raise rule_error(
            path, node, f"id pattern {scalar(node)!r}: text around {ID} must be literal"
        )
    glob = (*parts[: holding[0]], f"{prefix}?*{suffix}", *parts[holding[0] + 1 :])
    return IdPattern(glob, holding[0], prefix, suffix)
