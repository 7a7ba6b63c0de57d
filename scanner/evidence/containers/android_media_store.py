"""MediaStore: the file a Gallery or mini-thumbnail cache entry was made from.

Android's media provider keeps every shared file in `external.db`, table `files` (`_id`,
`_data`: the file's path), in the data folder of `com.android.providers.media` (Android 10
and later: `com.google.android.providers.media.module` or
`com.android.providers.media.module`). A Gallery `imgcache` entry and a `.thumbdata` slot
name only that `_id` (origin `media_store_id`). `external_db_beside` finds the external.db
of the same extraction or file system through a cache file's siblings (under
`data/data/`, `data/user/0/`, or a userdata image's own root, of each folder above it),
`paths_of` reads {_id: _data} once per process, and `attribute` adds the original path to
an origin. AOSP `MediaProvider` (`MediaStore.Files.FileColumns`); a database without that
table or those columns gives nothing.
"""

from __future__ import annotations

import posixpath
import sqlite3
from collections.abc import Generator, Iterator

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import Problem, Siblings, printable
from scanner.evidence.streams import read_all

PROVIDERS = (
    "com.android.providers.media",
    "com.google.android.providers.media.module",
    "com.android.providers.media.module",
)
HOMES = ("data/data/", "data/user/0/", "data/user_de/0/", "data/", "user/0/", "user_de/0/")
MAX_DATABASE = 512 << 20
MAX_ROWS = 5_000_000
BASIS = "MediaStore {database}: files._data of _id {media_id}"


def external_db_beside(siblings: Siblings) -> tuple[str, str] | None:
    """(reference, path) of the MediaStore external.db in the evidence a cache file whose
    siblings these are is in, or None."""
    for root in ancestors(siblings.path or "/"):
        for home in HOMES:
            for provider in PROVIDERS:
                path = f"{root}{home}{provider}/databases/external.db"
                reference = siblings.find(path)
                if reference is not None:
                    return reference, path
    return None


def media_store_paths(siblings: Siblings) -> Generator[Problem, None, tuple[dict[str, str], str]]:
    """{_id -> _data} of the external.db beside a cache file and its path ({} and "" if
    there is none; a Problem if it cannot be read)."""
    found = external_db_beside(siblings)
    if found is None:
        return {}, ""
    reference, path = found
    try:
        return paths_of(siblings, reference), path
    except EvidenceError as exc:
        yield Problem(f"MediaStore {path}: {exc}; entries listed without their file paths")
        return {}, ""


def ancestors(path: str) -> Iterator[str]:
    """The folders above `path`, nearest first, each ending in "/"."""
    folder = posixpath.dirname(path)
    while True:
        yield folder.rstrip("/") + "/"
        if folder in ("/", ""):
            return
        folder = posixpath.dirname(folder)


_READ: dict[tuple[str, int], dict[str, str]] = {}  # the last external.db read here


def paths_of(siblings: Siblings, reference: str) -> dict[str, str]:
    """{_id -> _data} of the sibling external.db `reference`, read once per process."""
    stream = siblings.open(reference)
    key = (siblings.describe(reference), stream.size)
    if key not in _READ:
        _READ.clear()
        _READ[key] = media_paths(read_all(stream, MAX_DATABASE))
    return _READ[key]


def media_paths(data: bytes) -> dict[str, str]:
    """{_id -> _data} of a MediaStore database's `files` table ({} if it has none)."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        columns = {row[1] for row in connection.execute("PRAGMA table_info(files)")}
        if not {"_id", "_data"} <= columns:
            return {}
        rows = connection.execute(f"SELECT _id, _data FROM files LIMIT {MAX_ROWS}")
        return {
            str(media_id): printable(path)[:4096]
            for media_id, path in rows
            if isinstance(media_id, int) and isinstance(path, str) and path
        }
    except sqlite3.Error as exc:
        raise EvidenceError(f"MediaStore external.db unreadable: {exc}") from exc
    finally:
        connection.close()


def attribute(origin: dict[str, str], paths: dict[str, str], database: str) -> dict[str, str]:
    """An origin naming a `media_store_id` with the file path MediaStore gives it."""
    media_id = origin.get("media_store_id", "")
    path = paths.get(media_id)
    if path is None or "original_path" in origin:
        return origin
    basis = BASIS.format(database=printable(database)[:200], media_id=media_id)
    return {**origin, "original_path": path, "original_path_basis": basis}
