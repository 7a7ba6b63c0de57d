"""ZIP archives (also OOXML/ODF documents and APK/JAR, which are zips), by `zipfile`.

Members are opened by name (`zip:member=DCIM/a.jpg`); a later member with a name already
seen is `member=NAME@OFFSET` (its local header's offset). Stored members are read in
place; compressed ones are decompressed as they are read, never extracted. Times: the
extended-timestamp (0x5455) and NTFS (0x000A) extra fields are UTC; a bare DOS time is
the local time of the machine that wrote the archive, and says so in its basis.
"""

from __future__ import annotations

import calendar
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import ClassVar

from scanner.errors import EvidenceError, one_line
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    member_value,
)
from scanner.evidence.streams import RangeStream, SequentialStream, Stream, stream_file
from scanner.types import Times

SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
LOCAL_HEADER = struct.Struct("<4s22xHH")
AES = 99  # WinZip AES compression method
DOS_BASIS = "local time of the machine that wrote the archive (zip DOS time, no zone)"
UTC_BASIS = "utc (zip extended timestamp)"
NTFS_BASIS = "utc (zip NTFS extra field)"
FILETIME_EPOCH = 11_644_473_600
DUPLICATE = re.compile(r"^(.*)@(\d+)$", re.DOTALL)


class ZipContainer(Container):
    kind: ClassVar[str] = "zip"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head.startswith(SIGNATURES)

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream
        self._password = options.password.encode() if options.password else None
        try:
            self._zip = zipfile.ZipFile(stream_file(stream))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, UnicodeDecodeError) as exc:
            raise EvidenceError(f"not a readable zip: {exc}") from exc
        self._values: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            if not info.is_dir():
                value = f"member={info.filename}"
                if value in self._values:
                    value = f"{value}@{info.header_offset}"
                self._values[value] = info

    def members(self) -> Iterator[Member | Problem]:
        for value, info in self._values.items():
            yield Member(value, info.filename, info.file_size, _times(info))

    def open(self, value: str) -> Stream:
        info = self._values.get(value)
        if info is None:
            match = DUPLICATE.match(member_value(value))
            raise EvidenceError(f"no zip member {(match.group(1) if match else value)[:200]!r}")
        if info.compress_type == AES:
            raise EvidenceError(
                f"zip member {info.filename[:200]!r} is AES-encrypted: not supported (decrypt"
                " the archive with the tool that made it)"
            )
        if info.flag_bits & 0x1:
            if self._password is None:
                raise EvidenceError(
                    f"zip member {info.filename[:200]!r} is encrypted: a password is needed"
                    " (--password)"
                )
            return EncryptedMember(
                info.filename,
                SequentialStream(lambda: self._zip.open(info, pwd=self._password), info.file_size),
            )
        if info.compress_type == zipfile.ZIP_STORED:
            return RangeStream(self._stream, self._data_offset(info), info.file_size)
        return SequentialStream(lambda: self._zip.open(info), info.file_size)

    def _data_offset(self, info: zipfile.ZipInfo) -> int:
        """Where a member's data starts: after its local header (whose extra field may
        differ from the central directory's)."""
        header = self._stream.read(info.header_offset, LOCAL_HEADER.size)
        if len(header) < LOCAL_HEADER.size:
            raise EvidenceError(f"zip member {info.filename[:200]!r}: local header cut off")
        signature, name_length, extra_length = LOCAL_HEADER.unpack(header)
        if signature != b"PK\x03\x04":
            raise EvidenceError(f"zip member {info.filename[:200]!r}: bad local header")
        start: int = info.header_offset + LOCAL_HEADER.size + name_length + extra_length
        return start


class EncryptedMember:
    """A ZipCrypto member read with the given password. Zip checks a password by one
    byte, so a wrong one passes 1 time in 256 and the data then fails to inflate or its
    CRC: every such failure names the member and the password as its likely cause."""

    def __init__(self, name: str, stream: Stream) -> None:
        self._name = name[:200]
        self._stream = stream
        self.size = stream.size

    def read(self, offset: int, length: int) -> bytes:
        try:
            return self._stream.read(offset, length)
        except (RuntimeError, EOFError, zlib.error, zipfile.BadZipFile) as exc:  # "Bad password"…
            raise EvidenceError(
                f"zip member {self._name!r} does not decrypt: wrong --password? ({one_line(exc)})"
            ) from None

    def advise(self, offset: int, length: int) -> None:
        """Nothing to hint: the bytes are decrypted, not read in place."""


def _times(info: zipfile.ZipInfo) -> Times:
    """UTC times from the extra fields if present, else the DOS time (local)."""
    extra = info.extra
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            fields = struct.unpack_from(f"<{(len(body) - 1) // 4}I", body, 1)
            flags = body[0]
            named = dict(
                zip(("modified", "accessed", "born"), _flagged(flags, fields), strict=False)
            )
            return Times(**named, basis=UTC_BASIS)
        if tag == 0x000A and len(body) >= 32:
            modified, accessed, born = _ntfs_times(body)
            if modified is not None:
                return Times(modified, accessed, None, born, basis=NTFS_BASIS)
        at += 4 + size
    try:
        modified = float(calendar.timegm((*info.date_time, 0, 0, 0)))
    except (ValueError, OverflowError):  # month 0, day 0…: a DOS time that names no day
        return Times(basis=f"no valid time in the zip (DOS time {info.date_time})")
    return Times(modified=modified, basis=DOS_BASIS)


def _flagged(flags: int, fields: tuple[int, ...]) -> list[float | None]:
    """The extended timestamp's fields (mtime, atime, ctime) by its flag bits; the central
    directory copy carries only mtime."""
    values: list[float | None] = []
    taken = 0
    for bit in range(3):
        if flags & (1 << bit) and taken < len(fields):
            values.append(float(fields[taken]))
            taken += 1
        else:
            values.append(None)
    return values


def _ntfs_times(body: bytes) -> tuple[float | None, float | None, float | None]:
    at = 4  # reserved
    while at + 4 <= len(body):
        tag, size = struct.unpack_from("<HH", body, at)
        if tag == 1 and size >= 24:
            raw = struct.unpack_from("<3Q", body, at + 4)
            modified, accessed, born = (v / 1e7 - FILETIME_EPOCH if v else None for v in raw)
            return modified, accessed, born
        at += 4 + size
    return None, None, None


CONTAINERS.add("zip", ZipContainer, "ZIP archive (also DOCX/XLSX/PPTX, ODF, APK)")
