"""What every container module provides, the options that bound it, and its registry.

A container is content that holds other content: an archive, a compressed stream, a
document with embedded pictures, a database with BLOBs, a phone extraction. It is
recognised by signature (never by extension), parsed from a `Stream`, lists `Member`s,
and opens a member by the value of its locator step (`zip:member=DCIM/a.jpg`).

A cache that is several files (QuickLook's index and its bitmaps, a thumbcache and the
Windows Search index, Chromium's `data_1` and its `data_2`, `f_…` files, a trash database
and the trashed files) reaches the other files of the same parent — the file system,
folder or archive the container file was found in — through its `siblings`: `find(path)`
gives a reference (the step value that names the file in that parent, e.g. `inode=15`),
`open(reference)` opens it in any process. A member whose content lies in a sibling keeps
the reference in its own step value, so its locator alone still reopens it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from scanner.errors import EvidenceError
from scanner.evidence.streams import Stream
from scanner.lib.registry import Registry
from scanner.types import Times

SNIFF_BYTES = 4096  # what `sniff` is shown of the content's start


@dataclass(frozen=True)
class ContainerOptions:
    """Limits on expanding containers (settings `container_*`) and the user's password."""

    max_depth: int = 8
    max_members: int = 1_000_000
    max_member_bytes: int = 16 << 30
    max_bytes: int = 256 << 30
    max_ratio: int = 100
    bomb_floor: int = 1 << 30  # the ratio applies from this many bytes of members on
    max_seconds: float = 300
    password: str | None = field(default=None, repr=False)
    # password keys of encrypted iTunes backups by keybag digest: derived once by the scan
    # (PBKDF2, seconds), handed to workers in memory; never stored, never printed
    backup_keys: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: dict[str, Any], password: str | None) -> ContainerOptions:
        return cls(
            max_depth=settings.get("container_max_depth", cls.max_depth),
            max_members=settings.get("container_max_members", cls.max_members),
            max_member_bytes=settings.get("container_max_member_bytes", cls.max_member_bytes),
            max_bytes=settings.get("container_max_bytes", cls.max_bytes),
            max_ratio=settings.get("container_max_ratio", cls.max_ratio),
            max_seconds=settings.get("container_max_seconds", cls.max_seconds),
            password=password,
        )

    def bomb_limit(self, container_size: int) -> int:
        """Member bytes beyond which a container of this size counts as a bomb."""
        return min(self.max_bytes, max(self.bomb_floor, self.max_ratio * container_size))


@dataclass(frozen=True)
class Member:
    """One entry of a container, as the container describes it."""

    value: str  # the locator step value that opens it, e.g. "member=DCIM/a.jpg"
    path: str  # its path inside the container ("" for the one member of a stream)
    size: int
    times: Times = field(default_factory=Times)
    deleted: bool = False
    # what a cache or an extraction's report says of the entry: store, entry id,
    # original path or URL, when it was cached, thumbnail size…
    origin: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """Something a container could not deliver: damage, a limit, a missing password."""

    reason: str
    fatal: bool = False  # True: listing stopped here


class Siblings(Protocol):
    """The other files of the parent a container file was found in."""

    @property
    def path(self) -> str | None:
        """The container file's own path in its parent ("/a/b/index.sqlite"), if known."""

    def find(self, path: str) -> str | None:
        """The reference of the regular file at `path` (from the parent's root if it starts
        with "/", else from the container file's folder; `..` allowed), or None."""

    def open(self, reference: str) -> Stream:
        """The content of the sibling `find` gave `reference` for (any process)."""

    def describe(self, reference: str) -> str:
        """The sibling's locator as printed (for messages and as a cache key)."""


class NoSiblings:
    """Siblings of a container file that has none to offer (evidence given as one file)."""

    path = None

    def find(self, path: str) -> str | None:
        return None

    def open(self, reference: str) -> Stream:
        raise EvidenceError(f"no sibling files here to open {reference[:80]!r} from")

    def describe(self, reference: str) -> str:
        return reference


NO_SIBLINGS: Siblings = NoSiblings()


class Container(ABC):
    """A parsed container. Subclasses set `kind` (the locator step kind) and register."""

    kind: ClassVar[str]
    siblings: Siblings = NO_SIBLINGS  # set by `build`; caches made of several files use it

    @staticmethod
    @abstractmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        """True if content starting with `head` is this kind of container."""

    @abstractmethod
    def __init__(self, stream: Stream, options: ContainerOptions) -> None: ...

    @abstractmethod
    def members(self) -> Iterator[Member | Problem]:
        """Every member (files only), in container order; damage becomes a Problem."""

    @abstractmethod
    def open(self, value: str) -> Stream:
        """The content of the member whose locator step value is `value`."""

    def metadata(self) -> dict[str, str]:
        """What the container says about the device or itself (`dftriage info`)."""
        return {}


CONTAINERS: Registry[type[Container]] = Registry("container")


def build(
    kind: str, stream: Stream, options: ContainerOptions, siblings: Siblings = NO_SIBLINGS
) -> Container:
    """The container of `kind` over `stream`, able to reach the files beside it."""
    container = CONTAINERS[kind](stream, options)
    container.siblings = siblings
    return container


def sniff(head: bytes, stream: Stream) -> str | None:
    """The kind of container `stream` is (registration order decides: ufdr before zip)."""
    for kind, container in CONTAINERS.items():
        if container.sniff(head, stream):
            return kind
    return None


def member_value(value: str, prefix: str = "member=") -> str:
    """The part of a step value after its `member=`-style prefix (a clear error if absent)."""
    if not value.startswith(prefix):
        raise ValueError(f"expected a step value starting with {prefix!r}, got {value[:80]!r}")
    return value[len(prefix) :]


def printable(name: str) -> str:
    """A member name as text that SQLite and JSON accept (undecodable bytes as \\xNN)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
