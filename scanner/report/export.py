"""Exported media: flagged blobs copied under the case folder, named by SHA-256 and type.

Names never come from evidence: `export/<sha256>.<extension of the media type>`. The
content is hashed while it is written and kept only if it has the expected SHA-256.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from scanner.errors import ScannerError

log = logging.getLogger(__name__)

EXPORT_DIR = "export"
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/tiff": "tif",
    "image/webp": "webp",
    "image/heic": "heic",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/x-msvideo": "avi",
    "video/x-matroska": "mkv",
    "video/webm": "webm",
    "video/3gpp": "3gp",
}
ExportSource = Callable[[str], Iterable[bytes]]


def export_media(model: dict[str, Any], case_dir: Path, source: ExportSource) -> dict[str, str]:
    """Copy every blob with a finding; returns {sha256: path relative to case_dir}."""
    folder = case_dir / EXPORT_DIR
    exported = {}
    for blob in model["blobs"]:
        if not blob["findings"]:
            continue
        sha256 = blob["sha256"].lower()
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        name = f"{sha256}.{EXTENSIONS.get(blob['media_type'], 'bin')}"
        folder.mkdir(exist_ok=True)
        if _copy(source, sha256, folder / name):
            exported[sha256] = f"{EXPORT_DIR}/{name}"
    return exported


def _copy(source: ExportSource, sha256: str, target: Path) -> bool:
    partial = target.with_suffix(target.suffix + ".partial")
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as handle:
            for chunk in source(sha256):
                digest.update(chunk)
                handle.write(chunk)
    except (OSError, ScannerError) as exc:
        partial.unlink(missing_ok=True)
        log.warning("export of %s skipped: %s", sha256, exc)
        return False
    if digest.hexdigest() != sha256:
        partial.unlink()
        log.warning(
            "export of %s skipped: content read back has SHA-256 %s", sha256, digest.hexdigest()
        )
        return False
    partial.replace(target)
    return True
