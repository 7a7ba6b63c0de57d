"""Read a blob's content and thumbnail back for reports and exports (never from evidence names)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from scanner.case import queries
from scanner.case.database import CaseDatabase
from scanner.errors import ScannerError
from scanner.evidence.containers import ContainerOptions
from scanner.evidence.resolver import Resolver
from scanner.evidence.streams import read_chunks
from scanner.report.thumbnails import MAX_INPUT_BYTES, make_thumbnail


class ContentSource:
    """A blob's bytes from the first place it was found; its thumbnail from the case."""

    def __init__(self, db: CaseDatabase, options: ContainerOptions | None = None) -> None:
        self.db = db
        self.resolver = Resolver(options)

    def chunks(self, sha256: str) -> Iterator[bytes]:
        locator = queries.first_location(self.db, sha256)
        if locator is None:
            return iter(())
        return read_chunks(self.resolver.open_stream(locator))

    def reference_thumbnail(self, set_name: str, reference: str) -> bytes | None:
        return reference_thumbnail(set_name, reference)

    def thumbnail(self, sha256: str) -> bytes | None:
        """The thumbnail made during analysis; else one made now from the evidence
        (None if unreadable, not a picture or too large)."""
        row = queries.thumbnail(self.db, sha256)
        if row is None or not row.media_type.startswith("image/") or row.size > MAX_INPUT_BYTES:
            return None
        if row.thumbnail is not None:
            return row.thumbnail
        try:
            return make_thumbnail(b"".join(self.chunks(sha256)))
        except (ScannerError, OSError, ValueError):
            return None


def reference_thumbnail(set_name: str, reference: str) -> bytes | None:
    """A thumbnail of a victim set's reference photo, read from the folder the set was built
    from (None if the set or the photo is no longer there, or the name leads outside it)."""
    from scanner.knownsets import list_sets

    folders = {info.name: Path(info.source) for info in list_sets() if info.kind == "victim"}
    folder = folders.get(set_name)
    if folder is None:
        return None
    path = (folder / reference).resolve()
    if folder.resolve() not in path.parents or not path.is_file():
        return None
    if path.stat().st_size > MAX_INPUT_BYTES:
        return None
    return make_thumbnail(path.read_bytes())
