"""Random access to deflate data (gzip, zlib, raw deflate) without extracting it.

The decompressor's state is copied every `CHECKPOINT` bytes of output as the stream is
first read forwards, so a later read goes back to the nearest checkpoint instead of the
start: a tar inside a gzip, or an Android backup's zlib stream, can be read member by
member in any order. Concatenated gzip members are read as one stream, like gunzip.
"""

from __future__ import annotations

import bisect
import zlib
from dataclasses import dataclass
from typing import Any

from scanner.errors import EvidenceError
from scanner.evidence.streams import Stream

CHECKPOINT = 16 << 20  # output bytes between copies of the decompressor's state
IN_CHUNK = 1 << 16
OUT_STEP = 1 << 20
GZIP, ZLIB, DEFLATE = 31, 15, -15  # zlib's wbits for each framing
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class _Cursor:
    inflater: Any  # zlib.Decompress
    at: int  # input offset of the next byte not yet given to the inflater
    pending: bytes  # input given but not consumed yet
    produced: int  # output bytes so far

    def copy(self) -> _Cursor:
        return _Cursor(self.inflater.copy(), self.at, self.pending, self.produced)


class InflatedStream:
    """The decompressed bytes of `source[offset:offset + length]` as a `Stream`.

    `size` is unknown until `measure()` has read to the end (or to `limit`)."""

    def __init__(self, source: Stream, wbits: int, offset: int = 0, length: int | None = None):
        self._source = source
        self._wbits = wbits
        self._start = offset
        self._end = source.size if length is None else offset + length
        self._marks: list[int] = [0]
        self._checkpoints: list[_Cursor] = [_Cursor(zlib.decompressobj(wbits), offset, b"", 0)]
        self._cursor: _Cursor | None = None
        self.size = -1
        self.damage = ""  # why decompression stopped before the end, if it did

    def measure(self, limit: int) -> int:
        """Decompress to the end (or `limit` bytes) once; sets and returns `size`."""
        cursor = self._checkpoints[0].copy()
        try:
            while cursor.produced < limit and self._step(cursor, limit - cursor.produced):
                pass
        except EvidenceError as exc:
            self.damage = str(exc)
        self.size = min(cursor.produced, limit)
        return self.size

    def read(self, offset: int, length: int) -> bytes:
        end = min(offset + max(0, length), self.size if self.size >= 0 else offset + length)
        if end <= offset:
            return b""
        cursor = self._cursor_at(offset)
        out = bytearray()
        while cursor.produced < end:
            before = cursor.produced
            data = self._step(cursor, min(OUT_STEP, end - before))
            if data is None:
                break
            keep = data[max(0, offset - before) :]
            out += keep[: end - max(offset, before)]
        self._cursor = cursor
        return bytes(out)

    def advise(self, offset: int, length: int) -> None:
        """Nothing to hint: the bytes are computed, not read in place."""

    def _cursor_at(self, offset: int) -> _Cursor:
        """A cursor at or before `offset`: the live one if it is not past it, else the
        nearest checkpoint."""
        live = self._cursor
        index = bisect.bisect_right(self._marks, offset) - 1
        if live is not None and self._marks[index] <= live.produced <= offset:
            return live
        return self._checkpoints[index].copy()

    def _step(self, cursor: _Cursor, want: int) -> bytes | None:
        """Up to `want` more output bytes (None at the end of the data)."""
        while True:
            if cursor.inflater.eof and not self._next_member(cursor):
                return None
            if not cursor.pending:
                cursor.pending = self._source.read(cursor.at, min(IN_CHUNK, self._end - cursor.at))
                cursor.at += len(cursor.pending)
                if not cursor.pending:
                    raise EvidenceError(f"compressed data ends early, at input byte {cursor.at}")
            try:
                data: bytes = cursor.inflater.decompress(cursor.pending, want)
            except zlib.error as exc:
                reason = f"damaged compressed data near input byte {cursor.at}: {exc}"
                raise EvidenceError(reason) from exc
            cursor.pending = cursor.inflater.unconsumed_tail
            if data:
                self._mark(cursor, len(data))
                return data

    def _next_member(self, cursor: _Cursor) -> bool:
        """After a gzip member ends: start the next one if one follows (as gunzip does)."""
        if self._wbits != GZIP:
            return False
        rest = cursor.inflater.unused_data + cursor.pending
        if len(rest) < 2 and cursor.at < self._end:
            more = self._source.read(cursor.at, min(IN_CHUNK, self._end - cursor.at))
            cursor.at += len(more)
            rest += more
        if not rest.startswith(GZIP_MAGIC):
            return False
        cursor.inflater, cursor.pending = zlib.decompressobj(GZIP), rest
        return True

    def _mark(self, cursor: _Cursor, produced: int) -> None:
        """Count output; copy the state when a checkpoint boundary has been passed."""
        cursor.produced += produced
        if cursor.produced >= self._marks[-1] + CHECKPOINT:
            self._marks.append(cursor.produced)
            self._checkpoints.append(cursor.copy())
