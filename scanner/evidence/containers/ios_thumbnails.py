"""iOS Photos thumbnails: which picture a `Media/PhotoData/Thumbnails/V2/...` JPEG shows.

The thumbnails are plain JPEG files (the scan finds them as files); their folder path
under `Thumbnails/V2/` repeats the asset's own path under `Media/`, and the file name is
the thumbnail kind (`5005.JPG`, `5003.JPG`…):

    Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0001.JPG/5005.JPG
    -> /private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG

Nothing here reads the evidence: the listing step calls `ios_thumbnail_origin(item.path)`
for each file item that has no origin yet, and keeps what it returns as the item's origin.
"""

from __future__ import annotations

import re

STORE = "ios-photos-thumbnails"
MEDIA = "/private/var/mobile/Media/"
MARKER = re.compile(r"(?:^|/)PhotoData/Thumbnails/V2/", re.IGNORECASE)
THUMBNAIL = re.compile(r"^(\d{1,6})\.(?:jpe?g|heic)$", re.IGNORECASE)
MAX_PATH = 4096


def ios_thumbnail_original(path: str) -> str | None:
    """The device path of the asset a V2 thumbnail at `path` was made from, or None."""
    if len(path) > MAX_PATH:
        return None
    found = MARKER.search(path)
    if found is None:
        return None
    parts = path[found.end() :].split("/")
    if len(parts) < 2 or not THUMBNAIL.match(parts[-1]):
        return None
    asset = parts[:-1]
    if any(part in ("", ".", "..") or "\x00" in part for part in asset):
        return None
    return MEDIA + "/".join(asset)


def ios_thumbnail_origin(path: str) -> dict[str, str] | None:
    """The origin of a V2 thumbnail file (store, original path, kind), or None."""
    original = ios_thumbnail_original(path)
    if original is None:
        return None
    kind = path.rsplit("/", 1)[-1]
    return {
        "store": STORE,
        "entry": kind,
        "original_path": original,
        "original_path_basis": "the thumbnail's folder under Thumbnails/V2 repeats it",
        "thumbnail": f"iOS Photos thumbnail {kind}",
        "note": f"iOS Photos thumbnail of {original.rsplit('/', 1)[-1]}, whose original may be gone",
    }
