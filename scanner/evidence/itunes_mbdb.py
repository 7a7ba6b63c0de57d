"""Manifest.mbdb: the file list of iTunes/Finder backups before iOS 10.

The layout (theiphonewiki "ITunes Backup", libimobiledevice's mbdb reader, pyiosbackup):
the header `mbdb\\x05\\x00`, then records to the end of the file, each: domain, path, link
target, data hash and encryption key as strings (a big-endian u16 length, then that many
bytes; 0xFFFF for none), then big-endian mode (u16), inode (u64), uid, gid, mtime, atime,
ctime (u32 each, POSIX seconds, UTC), size (u64), protection class (u8) and a count (u8)
of (name, value) string properties. A record is a regular file when `mode & 0xF000` is
0x8000; its content is the blob named by its file ID, sha1 of `domain-path` (at the
backup's top level before iOS 10). The encryption key of an encrypted backup's file is,
as in Manifest.db, a 4-byte little-endian protection class and the RFC 3394-wrapped key.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import printable

MAGIC = b"mbdb\x05\x00"
NONE = 0xFFFF
FIXED = struct.Struct(">HQIIIIIQBB")
REGULAR = 0x8000
FILE_TYPE = 0xF000


@dataclass(frozen=True)
class MbdbRecord:
    """One Manifest.mbdb record (strings as printable text, undecodable bytes as \\xNN)."""

    domain: str
    path: str
    link: str
    data_hash: bytes
    encryption_key: bytes
    mode: int
    inode: int
    uid: int
    gid: int
    mtime: int
    atime: int
    ctime: int
    size: int
    protection_class: int
    properties: tuple[tuple[str, str], ...]
    offset: int  # where the record starts in Manifest.mbdb
    file_id: str  # the blob's name: sha1 of `domain-path` as the device wrote them

    @property
    def is_file(self) -> bool:
        return self.mode & FILE_TYPE == REGULAR


def is_mbdb(head: bytes) -> bool:
    return head.startswith(MAGIC)


def records(data: bytes) -> Iterator[MbdbRecord]:
    """Every record of a Manifest.mbdb; EvidenceError at the first damaged one (those
    before it have been yielded)."""
    if not is_mbdb(data):
        raise EvidenceError("Manifest.mbdb: not an mbdb version 5 file (bad header)")
    at, count = len(MAGIC), 0
    while at < len(data):
        start = at
        try:
            strings, at = _strings(data, at, 5)
            fixed = FIXED.unpack_from(data, at)
            at += FIXED.size
            properties = []
            for _ in range(fixed[-1]):
                pair, at = _strings(data, at, 2)
                properties.append((_text(pair[0]), _text(pair[1])))
        except (struct.error, EvidenceError):
            raise EvidenceError(
                f"Manifest.mbdb damaged at byte {start} (after {count} records)"
            ) from None
        domain, path, link, data_hash, key = strings
        mode, inode, uid, gid, mtime, atime, ctime, size, protection, _ = fixed
        yield MbdbRecord(
            _text(domain), _text(path), _text(link), data_hash, key, mode, inode, uid, gid,
            mtime, atime, ctime, size, protection, tuple(properties), start,
            hashlib.sha1(domain + b"-" + path).hexdigest(),
        )  # fmt: skip
        count += 1


def _strings(data: bytes, at: int, count: int) -> tuple[list[bytes], int]:
    values = []
    for _ in range(count):
        (length,) = struct.unpack_from(">H", data, at)
        at += 2
        if length == NONE:
            values.append(b"")
            continue
        if at + length > len(data):
            raise EvidenceError("string runs past the end")
        values.append(data[at : at + length])
        at += length
    return values, at


def _text(raw: bytes) -> str:
    return printable(raw.decode("utf-8", "surrogateescape"))
