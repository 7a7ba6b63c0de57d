"""The carver registry: one carver per format family in `CARVERS` (the one `Registry[T]`
shape every extension point has), filled by the `register` class decorator."""

from __future__ import annotations

import struct
import sys
import zlib
from dataclasses import dataclass
from typing import Protocol

from scanner.carve.window import Window
from scanner.errors import MediaError
from scanner.lib.registry import Registry


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


# what damaged or hostile bytes make a carver raise (MemoryError: a size field believed);
# anything else is a bug of ours and is never taken for damage
DAMAGE = (struct.error, zlib.error, MediaError, MemoryError)


@dataclass(frozen=True)
class Failure:
    """A programming error inside a carver or a pairing (not damage in the evidence: that
    makes a carver find nothing), reported instead of hidden: which, where, what."""

    carver: str
    offset: int
    error: str


class Carver(Protocol):
    """A format family: its magic numbers and a structure walk from a candidate start."""

    name: str
    kinds: tuple[str, ...]
    signatures: tuple[tuple[bytes, int], ...]  # (magic, offset of the magic from the file start)

    def carve(self, window: Window, start: int) -> Found | None:
        """The file starting at `start`, or None when the bytes there are not one."""
        ...


CARVERS: Registry[Carver] = Registry("carver")


def register(cls: type) -> type:
    """Class decorator: instantiate the carver and add it under its lower-case `name`,
    described by the first paragraph of its module's docstring and the kinds it makes."""
    carver = cls()
    doc = (cls.__doc__ or sys.modules[cls.__module__].__doc__ or "").strip()
    summary = " ".join(doc.split("\n\n", 1)[0].split()).rstrip(".")
    CARVERS.add(carver.name, carver, f"{summary} [{', '.join(carver.kinds)}]".lstrip())
    return cls


def registered() -> list[Carver]:
    """Every registered carver, in registration order."""
    return [carver for _, carver in CARVERS.items()]


def all_kinds() -> tuple[str, ...]:
    """Every file kind the registered carvers can produce, sorted."""
    return tuple(sorted({kind for carver in registered() for kind in carver.kinds}))
