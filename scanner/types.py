"""Core value types that cross package boundaries (see ARCHITECTURE.md, "Core types")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Locator:
    """Where bytes live, as a chain of (kind, value) steps from the evidence inwards.

    Printed as one string, e.g. ``ewf:case.E01 > part:p2@1048576 > ntfs:inode=1234:$DATA``,
    or ``raw:disk.dd > carve:runs=0x3000+81920,0x9000+4096``. It is the resume key.
    """

    steps: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a locator needs at least one step")
        for kind, value in self.steps:
            if not kind or ":" in kind or ">" in kind:
                raise ValueError(f"bad locator step kind {kind!r}")
            if not isinstance(value, str):
                raise ValueError(f"locator step value must be str, got {type(value).__name__}")

    def child(self, kind: str, value: str) -> Locator:
        """This locator extended by one step."""
        return Locator(self.steps + ((kind, value),))

    def __str__(self) -> str:
        return " > ".join(f"{kind}:{value}" for kind, value in self.steps)

    def to_json(self) -> str:
        return json.dumps([list(step) for step in self.steps], ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Locator:
        return cls(tuple((str(k), str(v)) for k, v in json.loads(text)))


class ExtentKind(StrEnum):
    """Why a byte range is handed to the carver."""

    UNALLOCATED = "unallocated"
    UNPARTITIONED = "unpartitioned"
    UNKNOWN_VOLUME = "unknown-volume"
    WHOLE_IMAGE = "whole-image"


@dataclass(frozen=True)
class Extent:
    """A byte range of the evidence's media (image coordinates) with the reason it is carved."""

    locator: Locator
    offset: int
    length: int
    kind: ExtentKind

    def __post_init__(self) -> None:
        if self.offset < 0 or self.length <= 0:
            raise ValueError(
                f"extent needs offset >= 0 and length > 0, got {self.offset}+{self.length}"
            )

    @property
    def end(self) -> int:
        return self.offset + self.length


@dataclass(frozen=True)
class Times:
    """MACB times as POSIX seconds (None where the file system has no such time)."""

    modified: float | None = None
    accessed: float | None = None
    changed: float | None = None
    born: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        """The four times by name (what dataclasses.asdict gives, without its deep copies)."""
        return {
            "modified": self.modified,
            "accessed": self.accessed,
            "changed": self.changed,
            "born": self.born,
        }


@dataclass(frozen=True)
class FileItem:
    """A file (allocated or deleted) found in a file system or folder."""

    locator: Locator
    path: str
    size: int
    deleted: bool
    inode: int | None = None
    times: Times = field(default_factory=Times)
    stream: str = ""  # alternate data stream name, "" for the default data


@dataclass(frozen=True)
class ItemError:
    """Something that could not be read or decoded; the scan goes on."""

    locator: str
    stage: str
    reason: str
