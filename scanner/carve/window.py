"""Bounded reads of one extent, served from the chunk buffer in memory when possible."""

from __future__ import annotations

import logging
from typing import Protocol

from scanner.errors import ScannerError

log = logging.getLogger(__name__)


class MediaReader(Protocol):
    """Random access to evidence media (image coordinates)."""

    size: int

    def read(self, offset: int, length: int) -> bytes: ...


class Window:
    """The bytes of [start, end) of a media: reads outside are clipped, never raise.

    `buffer` holds the media bytes from `buffer_offset` on (the chunk being scanned);
    reads it covers cost no I/O. `checked` keeps verdicts of costly checks of byte ranges,
    so carvers that look at the same range (a JPEG, and the search for who owns its data)
    pay once.
    """

    def __init__(
        self, reader: MediaReader, start: int, end: int, buffer: bytes = b"", buffer_offset: int = 0
    ) -> None:
        self.reader = reader
        self.start = start
        self.end = min(end, reader.size)
        self.buffer = buffer
        self.buffer_offset = buffer_offset
        self.checked: dict[tuple[str, int, int], bool] = {}

    def read(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes at `offset`, fewer at the end of the window."""
        offset = max(offset, self.start)
        length = min(length, self.end - offset)
        if length <= 0:
            return b""
        rel = offset - self.buffer_offset
        if 0 <= rel and rel + length <= len(self.buffer):
            return self.buffer[rel : rel + length]
        try:
            data = self.reader.read(offset, length)
        except (OSError, ValueError, ScannerError) as exc:  # unreadable media ends the window
            log.warning("cannot read %d bytes at offset %d: %s", length, offset, exc)
            return b""
        return bytes(data[:length])

    def u8(self, offset: int) -> int | None:
        data = self.read(offset, 1)
        return data[0] if data else None
