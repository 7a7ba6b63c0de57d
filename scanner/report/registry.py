"""The report writer registry: a lower-case name → a function rendering the report model.

A writer takes the model from `build_report`, the case folder and a `WriteContext`, writes
one file into the folder and returns its path (or a list: its main file first, then its
companion files, such as the HTML inventory pages). Built-in writers register themselves with
`@WRITERS.decorator("name", "one line")` exactly like additions; a duplicate name is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.lib.registry import Registry

ThumbnailSource = Callable[[str], bytes | None]
ReferenceSource = Callable[[str, str], bytes | None]  # (victim set, reference) -> JPEG
Writer = Callable[[dict[str, Any], Path, "WriteContext"], Path | list[Path]]

WRITERS: Registry[Writer] = Registry("report writer")


@dataclass(frozen=True)
class WriteContext:
    """What writers may need beyond the model: thumbnails and exported media, by SHA-256."""

    thumbnails: ThumbnailSource | None = None
    exported: dict[str, str] = field(default_factory=dict)
    references: ReferenceSource | None = None
