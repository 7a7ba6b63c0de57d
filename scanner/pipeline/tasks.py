"""The task and result types the scan and its workers both use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.evidence.containers.cache_paths import path_origin
from scanner.types import BlobAnalysis, FileItem, ItemError, Locator, Times

MEDIA_PREFIXES = ("image/", "video/")


@dataclass(frozen=True)
class ItemTask:
    """One file, member or carved range to identify and hash, and what is known of it."""

    evidence_id: int
    locator: Locator
    path: str
    size: int
    deleted: bool
    runs: tuple[tuple[int, int], ...] | None = None  # carved byte runs in media coordinates
    extent_kind: str | None = None
    complete: bool = True
    times: Times = field(default_factory=Times)
    enclosing: tuple[str, ...] = ()  # SHA-256 of the containers it was found in
    parent: str = ""  # the expansion unit of the container it came from
    origin: dict[str, str] = field(default_factory=dict)  # a cache entry's store, path…

    @property
    def unit(self) -> str:
        return f"item:{self.evidence_id}:{self.locator}"

    def child(self, item: FileItem, container_sha256: str, parent: str) -> ItemTask:
        """A member of this item (a container) as a task of its own."""
        return ItemTask(
            self.evidence_id,
            item.locator,
            item.path,
            item.size,
            item.deleted,
            times=item.times,
            enclosing=(*self.enclosing, container_sha256),
            parent=parent,
            origin=item.origin or path_origin(item.path) or {},
        )


@dataclass(frozen=True)
class ItemResult:
    task: ItemTask
    media_type: str = ""
    md5: str = ""
    sha1: str = ""
    sha256: str = ""
    error: str = ""
    container: str = ""  # the container kind, when the item is one
    children: tuple[FileItem, ...] = ()
    problems: tuple[ItemError, ...] = ()
    analysis: BlobAnalysis | None = None  # on a cluster: its blob, analysed in the same task

    @property
    def is_media(self) -> bool:
        return self.media_type.startswith(MEDIA_PREFIXES)


@dataclass(frozen=True)
class BlobTask:
    sha256: str
    media_type: str
    size: int
    locator: Locator
    settings: dict[str, Any] = field(default_factory=dict)
