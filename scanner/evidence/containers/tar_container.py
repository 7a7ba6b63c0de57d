"""Tar archives (ustar, GNU, pax; compressed ones arrive as a gzip/bzip2/xz member).

Headers are read one by one from the stream (never `extractall`); a member's locator
step carries its header's offset (`tar:member=DCIM/a.jpg@1536`), so it is reopened
without reading the headers before it. Regular members are read in place.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from typing import ClassVar

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    member_value,
    printable,
)
from scanner.evidence.streams import RangeStream, SequentialStream, Stream, stream_file
from scanner.types import Times

BLOCK = 512
BASIS = "utc (tar header)"


class TarContainer(Container):
    kind: ClassVar[str] = "tar"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        if len(head) < BLOCK or not head[:1].strip(b"\x00"):
            return False
        return head[257:262] == b"ustar" or _checksum_valid(head[:BLOCK])

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream
        self._file = stream_file(stream)
        try:
            self._tar = tarfile.open(
                fileobj=self._file, mode="r:", encoding="utf-8", errors="surrogateescape"
            )
        except tarfile.TarError as exc:
            raise EvidenceError(f"not a readable tar: {exc}") from exc

    def members(self) -> Iterator[Member | Problem]:
        """Header after header (tarfile's own iteration would keep every header in memory;
        a phone has millions)."""
        offset = 0
        while True:
            block = self._stream.read(offset, BLOCK)
            if len(block) < BLOCK or not block.strip(b"\x00"):
                if block.strip(b"\x00"):
                    yield Problem(f"archive cut off in the header at offset {offset}", True)
                return
            self._file.seek(offset)
            try:
                info = tarfile.TarInfo.fromtarfile(self._tar)
            except (tarfile.TarError, EOFError, UnicodeError) as exc:
                yield Problem(f"damaged header at offset {offset}: {exc}", True)
                return
            if self._tar.offset <= offset:
                yield Problem(f"header at offset {offset} does not advance", True)
                return
            offset = self._tar.offset
            if info.isreg():
                name = printable(info.name)
                yield Member(
                    f"member={name}@{info.offset}",
                    name,
                    info.size,
                    Times(modified=float(info.mtime), basis=BASIS),
                )

    def open(self, value: str) -> Stream:
        name, _, offset = member_value(value).rpartition("@")
        if not offset.isdigit():
            raise EvidenceError(f"tar member step without a header offset: {value[:200]!r}")
        self._file.seek(int(offset))
        try:
            info = tarfile.TarInfo.fromtarfile(self._tar)
        except (tarfile.TarError, EOFError) as exc:
            raise EvidenceError(f"tar member {name[:200]!r}: header unreadable: {exc}") from exc
        if printable(info.name) != name or not info.isreg():
            raise EvidenceError(f"tar member {name[:200]!r} is not at offset {offset}")
        if info.offset_data + info.size > self._stream.size:
            raise EvidenceError(f"tar member {name[:200]!r}: data runs past the archive's end")
        if info.sparse:
            return SequentialStream(lambda: self._extract(info), info.size)
        return RangeStream(self._stream, info.offset_data, info.size)

    def _extract(self, info: tarfile.TarInfo) -> tarfile.ExFileObject:
        handle = self._tar.extractfile(info)
        if handle is None:
            raise EvidenceError(f"tar member {printable(info.name)[:200]!r}: no data")
        return handle  # type: ignore[return-value]


def _checksum_valid(header: bytes) -> bool:
    """An old (v7) tar header has no magic, but a checksum: the sum of its bytes with the
    checksum field read as spaces, stored in octal."""
    field = header[148:156].split(b"\x00", 1)[0].strip()
    if len(header) < BLOCK or not field or any(c not in b"01234567" for c in field):
        return False
    total = sum(header[:148]) + 8 * 32 + sum(header[156:BLOCK])
    return int(field, 8) == total


CONTAINERS.add("tar", TarContainer, "tar archive (ustar, GNU, pax, v7)")
