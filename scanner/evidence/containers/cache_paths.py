"""Origins a file's path alone gives: caches whose pictures are plain files (iOS Photos
thumbnails, trash folders, the external files of a Chromium block-file cache).

The listing calls `path_origin(item.path)` for every file item and archive member that has
no origin of its own. A file with a cache `store` counts as a cached copy
(`only_in_cache`) like a member of a cache container.
"""

from __future__ import annotations

from scanner.evidence.containers.android_trash import trash_folder_origin
from scanner.evidence.containers.chromium_blockfile_cache import external_file_origin
from scanner.evidence.containers.ios_thumbnails import ios_thumbnail_origin


def path_origin(path: str) -> dict[str, str] | None:
    """The cache origin of the file at `path`, or None."""
    return ios_thumbnail_origin(path) or trash_folder_origin(path) or external_file_origin(path)
