"""The on-disk set store: one folder per set under `<data home>/sets/`.

    sets/<name>/set.json        SetInfo (provenance, counts)
    sets/<name>/entries.sqlite  entries(row, entry_id, category, label, meta, source_ref)
                                faces(label, reference, model_name, model_sha256, dim, vector)
    sets/<name>/<m>.keys.npy    sorted digest prefixes, <m>.tail.npy, <m>.rows.npy (m = md5, sha1, sha256)
    sets/<name>/pdq.hash.npy    PDQ hashes (N, 32) uint8, pdq.rows.npy their entry rows
    sets/<name>/import.log      every message of the import

A set is built in a hidden temporary folder and renamed into place when complete, so a
crash never leaves half a set behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
from dataclasses import asdict
from pathlib import Path

from scanner.errors import KnownSetError
from scanner.knownsets.model import SetInfo
from scanner.lib.home import data_home

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SCHEMA = """
CREATE TABLE entries (
    row INTEGER PRIMARY KEY, entry_id TEXT NOT NULL, category TEXT, label TEXT,
    meta TEXT, source_ref TEXT
);
CREATE TABLE faces (
    id INTEGER PRIMARY KEY, label TEXT NOT NULL, reference TEXT NOT NULL,
    model_name TEXT NOT NULL, model_sha256 TEXT NOT NULL, dim INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX faces_model ON faces(model_name);
"""


def sets_root(home: Path | None = None) -> Path:
    root = (home or data_home()) / "sets"
    root.mkdir(parents=True, exist_ok=True)
    return root


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise KnownSetError(
            f"bad set name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def set_dir(name: str, home: Path | None = None) -> Path:
    """The folder of an existing set, or KnownSetError."""
    folder = sets_root(home) / check_name(name)
    if not (folder / "set.json").is_file():
        known = ", ".join(i.name for i in list_sets(home)) or "none"
        raise KnownSetError(f"no set named {name!r} (imported sets: {known})")
    return folder


def read_info(folder: Path) -> SetInfo:
    try:
        data = json.loads((folder / "set.json").read_text(encoding="utf-8"))
        return SetInfo(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise KnownSetError(
            f"set {folder.name!r} is damaged ({folder / 'set.json'}): {exc}"
        ) from exc


def write_info(folder: Path, info: SetInfo) -> None:
    text = json.dumps(asdict(info), indent=2, sort_keys=True, ensure_ascii=False)
    (folder / "set.json").write_text(text + "\n", encoding="utf-8")


def list_sets(home: Path | None = None) -> list[SetInfo]:
    """Every complete set, by name."""
    root = sets_root(home)
    folders = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    return [read_info(p) for p in folders if (p / "set.json").is_file()]


def remove_set(name: str, home: Path | None = None) -> None:
    shutil.rmtree(set_dir(name, home))


def new_build_dir(name: str, home: Path | None, replace: bool) -> Path:
    """A fresh temporary folder for building set `name` (refuses to clobber without replace)."""
    root = sets_root(home)
    check_name(name)
    if (root / name).exists() and not replace:
        raise KnownSetError(f"a set named {name!r} already exists (use --replace to rebuild it)")
    folder = root / f".build-{name}-{os.getpid()}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    return folder


def commit_build(build: Path, name: str) -> Path:
    """Move a finished build into place, replacing an older set of that name."""
    final = build.parent / name
    trash = build.parent / f".old-{name}-{os.getpid()}"
    if final.exists():
        final.rename(trash)
    build.rename(final)
    if trash.exists():
        shutil.rmtree(trash, ignore_errors=True)
    return final


def connect(folder: Path, writable: bool = False) -> sqlite3.Connection:
    """The entries database of a set folder."""
    path = folder / "entries.sqlite"
    try:
        if writable:
            return sqlite3.connect(path)
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        raise KnownSetError(f"set {folder.name!r}: cannot open {path}: {exc}") from exc
