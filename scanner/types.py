"""Core value types that cross package boundaries (see ARCHITECTURE.md, "Core types")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Locator:
    """Where bytes live, as a chain of (kind, value) steps from the evidence inwards.

    Printed as one string, e.g. ``ewf:case.E01 > part:dos:2@1048576 > ext4:inode=14 >
    zip:member=DCIM/a.jpg``, or ``raw:disk.dd > carve:jpg:runs=0x3000+81920,0x9000+4096``;
    the printed form is the resume key. The first step holds the evidence's path, of which
    only the file name is printed; the JSON form keeps it whole, so a locator alone is
    enough to reopen its bytes (`scanner.evidence.resolver`).
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

    @property
    def root(self) -> tuple[str, str]:
        """The evidence step: (container kind, evidence path)."""
        return self.steps[0]

    def with_root(self, path: str) -> Locator:
        """This locator with its evidence step pointing at `path` (where the evidence is
        recorded, or seen, now)."""
        return Locator(((self.steps[0][0], path), *self.steps[1:]))

    def __str__(self) -> str:
        kind, path = self.steps[0]
        shown = [(kind, path.rstrip("/").rsplit("/", 1)[-1] or path), *self.steps[1:]]
        return " > ".join(f"{kind}:{value}" for kind, value in shown)

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
    """MACB times as POSIX seconds (None where the file system has no such time), and
    their basis where it is not the file system's own UTC clock (e.g. a zip's DOS time,
    which is the local time of the machine that made the archive)."""

    modified: float | None = None
    accessed: float | None = None
    changed: float | None = None
    born: float | None = None
    basis: str = ""

    def as_dict(self) -> dict[str, float | str | None]:
        """The four times by name (and `basis` when there is one)."""
        times: dict[str, float | str | None] = {
            "modified": self.modified,
            "accessed": self.accessed,
            "changed": self.changed,
            "born": self.born,
        }
        if self.basis:
            times["basis"] = self.basis
        return times


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
    origin: dict[str, str] = field(default_factory=dict)  # a cache entry's store, path…


@dataclass(frozen=True)
class ItemError:
    """Something that could not be read or decoded; the scan goes on."""

    locator: str
    stage: str
    reason: str


@dataclass(frozen=True)
class Face:
    """A face found in a picture (or in a video's sampled frames), in the picture's own
    pixel coordinates. Its fields are the columns of the case's `faces` table."""

    idx: int
    box: tuple[float, ...]
    landmarks: tuple[tuple[float, ...], ...]
    score: float
    embedding: bytes | None = None
    embed_model: str | None = None
    deepfake: float | None = None
    consistency: float | None = None
    source_set: str | None = None
    source_label: str | None = None
    source_reference: str | None = None
    source_correlation: float | None = None
    face_pdq: str | None = None
    face_pdq_quality: int | None = None
    apparent_age: float | None = None  # expected age of the age model's bins (years)
    apparent_age_spread: float | None = None  # standard deviation of those bins (years)
    minor_probability: float | None = None  # sum of the bins under 18 (not validated)
    age_model: str | None = None

    def __post_init__(self) -> None:
        if len(self.box) != 4:
            raise ValueError(f"face box: expected 4 values (x, y, width, height), got {self.box}")


@dataclass(frozen=True)
class Score:
    """A model's score for a whole picture (nudity, deepfake), with the model that gave it."""

    name: str
    value: float
    model: str
    model_sha256: str
    detail: str = ""


@dataclass(frozen=True)
class BlobAnalysis:
    """Everything the analysis of one blob found; the case writer turns it into rows."""

    sha256: str
    facts: dict[str, Any] = field(default_factory=dict)
    faces: tuple[Face, ...] = ()
    scores: tuple[Score, ...] = ()
    errors: tuple[str, ...] = ()
    thumbnail: bytes | None = None


@dataclass(frozen=True)
class Match:
    """A blob (face_idx -1) or one of its faces found in a known set; its fields are the
    columns of the case's `matches` table."""

    sha256: str
    face_idx: int
    set_name: str
    set_kind: str
    method: str  # md5, sha1, sha256, pdq, face, face-weak, pdq-face
    distance: float
    entry_id: str
    similarity: float | None = None
    category: str | None = None
    label: str | None = None
    false_match_rate: float | None = None  # face matches: different people this close


@dataclass(frozen=True)
class Finding:
    """A triage rule's verdict on a blob."""

    sha256: str
    rule: str
    priority: int
    category: str
    reason: str
