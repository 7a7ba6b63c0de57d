"""Value types of the known-set layer: records read from a source, set descriptions, matches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

KINDS = ("known-bad", "known-good", "victim")
METHODS = ("md5", "sha1", "sha256", "pdq")
HASH_BYTES = {"md5": 16, "sha1": 20, "sha256": 32, "pdq": 32}


@dataclass(frozen=True)
class ReadOptions:
    """What the examiner said about a source when importing it."""

    category: str | None = None  # default category for records that carry none
    label: str | None = None  # default label
    columns: dict[str, str] = field(default_factory=dict)  # csv: field -> header name


@dataclass(frozen=True, slots=True)
class Record:
    """One entry of a source: its hashes (raw bytes) and what the source says about it."""

    md5: bytes | None = None
    sha1: bytes | None = None
    sha256: bytes | None = None
    pdq: tuple[bytes, ...] = ()
    category: str | None = None
    label: str | None = None
    entry_id: str = ""
    meta: str | None = None  # JSON text of further source fields (series, tags, ...)
    where: str = ""  # "line 12", "record 5 (line 40)"

    def hashes(self) -> list[tuple[str, bytes]]:
        out = [(m, getattr(self, m)) for m in ("md5", "sha1", "sha256") if getattr(self, m)]
        return out + [("pdq", p) for p in self.pdq]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A source record that could not be used, with where it is and why."""

    where: str
    reason: str


@dataclass(frozen=True)
class SetInfo:
    """An imported set as stored: provenance and size."""

    name: str
    kind: str
    source: str
    source_sha256: str
    imported_at: str
    entries: int
    format: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # stored hashes per method

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"set kind must be one of {', '.join(KINDS)}, got {self.kind!r}")


@dataclass(frozen=True)
class SetMatch:
    """A content or picture found in a known set."""

    set_name: str
    set_kind: str
    method: str
    distance: int
    category: str | None
    label: str | None
    entry_id: str

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(
                f"match method must be one of {', '.join(METHODS)}, got {self.method!r}"
            )


@dataclass
class ImportReport:
    """What an import did: counts and messages (the first `max_messages` kept here, up to
    `max_logged` written to the set's import.log, all counted)."""

    name: str
    source: str
    format: str
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    messages: list[str] = field(default_factory=list)
    message_count: int = 0
    max_messages: int = 1000
    max_logged: int = 100_000
    log: TextIO | None = None

    def wants_detail(self) -> bool:
        """False once messages are only counted (saves building their text)."""
        return self.message_count < self.max_logged

    def note(self, message: str) -> None:
        self.message_count += 1
        if len(self.messages) < self.max_messages:
            self.messages.append(message)
        if self.log is not None and self.message_count <= self.max_logged:
            self.log.write(message + "\n")
