"""RAR archives (RAR 1.5 to 5), by `rarfile`, listed in Python, decompressed by `unar`.

`rarfile` parses the headers itself and reads stored members in place; compressed or
encrypted members need an external tool. `unar` (Debian package `unar`) is used: it
reads RAR4 and RAR5, solid or not, with or without a password; `bsdtar` (libarchive
3.6) fails on solid archives and encrypted members and `7z` without the non-free RAR
codec reads nothing. The tool reads a file, so `rarfile` writes the member's compressed
bytes (a solid archive: the whole archive) to a temporary file in a private directory of
this process (mode 0700, in the system temporary folder, never next to the evidence),
deleted when the member has been read. Members are `rar:member=NAME` (a later member
with a name already seen: `member=NAME@INDEX`).
"""

from __future__ import annotations

import atexit
import calendar
import io
import shutil
import tempfile
from collections.abc import Iterator
from typing import IO, Any, ClassVar

import rarfile

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
from scanner.evidence.streams import SequentialStream, Stream, stream_file
from scanner.types import Times

SIGNATURES = (b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")
TOOL = "unar"
BASIS = "utc (rar5 file time)"
DOS_BASIS = "local time of the machine that wrote the archive (rar4 time, no zone)"
_private: list[str] = []


class RarContainer(Container):
    kind: ClassVar[str] = "rar"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head.startswith(SIGNATURES)

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._password = options.password
        try:
            self._rar = rarfile.RarFile(stream_file(stream))  # stops at damage, keeps the rest
        except rarfile.PasswordRequired:
            raise EvidenceError(
                "rar: the archive's file list is encrypted: a password is needed (--password)"
            ) from None
        except (rarfile.Error, EOFError) as exc:
            raise EvidenceError(f"not a readable rar: {exc}") from exc
        if self._rar.needs_password() and not self._rar.infolist():
            if not self._password:
                raise EvidenceError(
                    "rar: the archive's file list is encrypted: a password is needed (--password)"
                )
            self._rar.setpassword(self._password)  # parses the headers again, decrypted
        self._values: dict[str, rarfile.RarInfo] = {}
        for index, info in enumerate(self._rar.infolist()):
            if info.is_dir() or info.is_symlink():
                continue
            value = f"member={printable(info.filename)}"
            if value in self._values:
                value = f"{value}@{index}"
            self._values[value] = info

    def members(self) -> Iterator[Member | Problem]:
        for value, info in self._values.items():
            yield Member(value, printable(info.filename), info.file_size, _times(info))
        damage = self._rar.strerror()
        if damage:
            yield Problem(f"{damage}: the members before it are listed", fatal=True)

    def open(self, value: str) -> Stream:
        info = self._values.get(value)
        if info is None:
            raise EvidenceError(f"no rar member {member_value(value)[:200]!r}")
        name = printable(info.filename)[:200]
        if info.needs_password() and self._password is None:
            raise EvidenceError(
                f"rar member {name!r} is encrypted: a password is needed (--password)"
            )
        return SequentialStream(
            lambda: io.BufferedReader(_Checked(self._open(info), name, info.file_size)),
            info.file_size,
        )

    def _open(self, info: rarfile.RarInfo) -> IO[bytes]:
        _use_unar()
        try:
            return self._rar.open(info, pwd=self._password)  # type: ignore[no-any-return]
        except rarfile.RarCannotExec as exc:
            raise EvidenceError(
                f"rar member {printable(info.filename)[:200]!r}: {TOOL} is needed to"
                f" decompress it and cannot be run ({exc}); install the Debian package unar"
            ) from exc
        except (rarfile.Error, EOFError) as exc:
            raise EvidenceError(f"rar member {printable(info.filename)[:200]!r}: {exc}") from exc


class _Checked(io.RawIOBase):
    """A member's reader whose failures name the member (rarfile's say only 'read failed');
    closing it removes the tool's temporary file."""

    def __init__(self, handle: IO[bytes], name: str, size: int) -> None:
        super().__init__()
        self._handle, self._name, self._size = handle, name, size
        self._at = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            count: int = self._handle.readinto(buffer)  # type: ignore[attr-defined]
        except rarfile.PasswordRequired as exc:
            raise EvidenceError(f"rar member {self._name!r}: a password is needed") from exc
        except (rarfile.Error, EOFError) as exc:
            raise EvidenceError(
                f"rar member {self._name!r}: damaged, or a wrong password: {exc}"
            ) from exc
        self._at += count
        if count == 0 and len(buffer) and self._at < self._size:
            raise EvidenceError(
                f"rar member {self._name!r}: {TOOL} gave {self._at} of {self._size} bytes:"
                " damaged, or a wrong password"
            )
        return count

    def close(self) -> None:
        self._handle.close()
        super().close()


def _use_unar() -> None:
    """Point rarfile at `unar`, its temporary files at a private folder (once)."""
    if _private:
        return
    folder = tempfile.mkdtemp(prefix="dftriage-rar-")
    _private.append(folder)
    atexit.register(shutil.rmtree, folder, True)
    rarfile.HACK_TMP_DIR = folder
    rarfile.UNAR_TOOL = TOOL
    rarfile.CURRENT_SETUP = rarfile.ToolSetup(rarfile.UNAR_CONFIG)


def _times(info: Any) -> Times:
    """RAR5 times are UTC; RAR4 times (DOS or extended) are the writer's local time."""
    stamp = info.mtime
    if stamp is not None and stamp.tzinfo is not None:
        return Times(modified=stamp.timestamp(), basis=BASIS)
    if stamp is not None:
        local = calendar.timegm(stamp.timetuple()) + stamp.microsecond / 1e6
        return Times(modified=local, basis=DOS_BASIS)
    if info.date_time:
        return Times(modified=float(calendar.timegm((*info.date_time, 0, 0, 0))), basis=DOS_BASIS)
    return Times()


CONTAINERS.add("rar", RarContainer, "RAR archive, RAR4 and RAR5 (rarfile; unar decompresses)")
