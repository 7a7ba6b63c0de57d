"""The carver registry: one carver per format family, filled by the `register` decorator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from scanner.carve.window import Window


@dataclass(frozen=True)
class Found:
    """What a carver recovered at one offset: byte runs in media coordinates, in file order.

    A file reassembled from fragments carries, as `fallback`, what it is without them (its
    valid prefix, or None), reported instead when another file owns its last fragment. A
    complete video lists, as `samples`, the byte ranges its own index gives its frames. An
    incomplete file whose size field points past the end of the window runs to that end,
    unchecked: `open_end` (see partial_cuts). A broken file whose second fragment may lie
    anywhere in the extent is marked `repair` (see reassemble).
    """

    kind: str
    runs: tuple[tuple[int, int], ...]
    complete: bool
    fallback: Found | None = None
    samples: tuple[tuple[int, int], ...] = ()
    open_end: bool = False
    repair: bool = False

    def __post_init__(self) -> None:
        if not self.runs or any(offset < 0 or length <= 0 for offset, length in self.runs):
            raise ValueError(f"expected non-empty runs of positive length, got {self.runs!r}")

    @property
    def start(self) -> int:
        return self.runs[0][0]

    @property
    def end(self) -> int:
        """Where the last run ends."""
        offset, length = self.runs[-1]
        return offset + length

    @property
    def length(self) -> int:
        return sum(length for _, length in self.runs)


class Carver(Protocol):
    """A format family: its magic numbers and a structure walk from a candidate start."""

    name: str
    kinds: tuple[str, ...]
    signatures: tuple[tuple[bytes, int], ...]  # (magic, offset of the magic from the file start)

    def carve(self, window: Window, start: int) -> Found | None:
        """The file starting at `start`, or None when the bytes there are not one."""
        ...


CARVERS: dict[str, Carver] = {}


def register(cls: type) -> type:
    """Class decorator: instantiate the carver and add it under its lower-case `name`."""
    carver = cls()
    name = carver.name
    if name != name.lower() or not name:
        raise ValueError(f"carver name must be non-empty lower case, got {name!r}")
    if name in CARVERS:
        raise ValueError(f"duplicate carver name {name!r}")
    CARVERS[name] = carver
    return cls


def all_kinds() -> tuple[str, ...]:
    """Every file kind the registered carvers can produce, sorted."""
    return tuple(sorted({kind for carver in CARVERS.values() for kind in carver.kinds}))
