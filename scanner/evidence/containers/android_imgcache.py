"""Android Gallery (AOSP Gallery2 and the Samsung/MediaTek galleries built on it) image
cache: `cache/imgcache.0` and `imgcache.1`, data files of `BlobCache`.

Layout (AOSP `com.android.gallery3d.common.BlobCache`, little-endian): the data file
starts with the magic 0xBD248510, then records of key (8, a CRC-64 of the cache key),
checksum (4, Adler-32 of the blob), offset (4, the record's own offset in the file),
length (4) and the blob. Gallery2's `ImageCacheService` stores in the blob its cache
key as UTF-16LE, `<gallery path>+<date modified>+<type>` (older: `<path>+<type>`),
followed by the JPEG; the gallery path of a local picture is `/local/image/item/<id>`
with the MediaStore `_id`; type 1 is a thumbnail, 2 a micro-thumbnail. The index file
(`imgcache.idx`, magic 0xB3273030) only maps keys to offsets and is not needed.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar

import numpy as np

from scanner.errors import EvidenceError
from scanner.evidence.containers.android_media_store import attribute, media_store_paths
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    member_value,
)
from scanner.evidence.containers.cache_common import iso_time
from scanner.evidence.streams import READ_CHUNK, RangeStream, Stream, read_chunks

STORE = "android-gallery-imgcache"
DATA_MAGIC = 0xBD248510
HEADER = struct.Struct("<QIII")  # key, checksum, offset, length
KEY = re.compile(r"^(/[\x21-\x7e]{1,400}?)(?:\+(\d{1,20}))?\+(\d{1,3})$")
ITEM = re.compile(r"^/local/(image|video)/item/(\d{1,19})$")
TYPES = {"1": "thumbnail (Gallery type 1)", "2": "micro-thumbnail (Gallery type 2)"}
MAX_KEY_BYTES = 1024
RESYNC_WINDOW = 1 << 20
PICTURE_START = re.compile(rb"\xff\xd8\xff|\x89PNG|RIFF|GIF8")


class ImgcacheContainer(Container):
    kind: ClassVar[str] = "imgcache"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return len(head) >= 4 and struct.unpack_from("<I", head)[0] == DATA_MAGIC

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream

    def members(self) -> Iterator[Member | Problem]:
        paths, database = yield from media_store_paths(self.siblings)
        for entry in self._records():
            if isinstance(entry, Member):
                entry = replace(entry, origin=attribute(entry.origin, paths, database))
            yield entry

    def _records(self) -> Iterator[Member | Problem]:
        at, size = 4, self._stream.size
        while at + HEADER.size <= size:
            key, checksum, offset, length = HEADER.unpack(self._stream.read(at, HEADER.size))
            if offset != at or at + HEADER.size + length > size:
                why = (
                    f"runs past the end ({length} bytes)"
                    if offset == at
                    else f"says it is at offset {offset}"
                )
                found = self._resync(at + 1)
                skipped = f"resuming at offset {found}" if found else "no record after it"
                yield Problem(f"{STORE}: damaged record at offset {at}: {why}; {skipped}")
                if found is None:
                    return
                at = found
                continue
            yield from self._record(at, key, checksum, length)
            at += HEADER.size + length
        if at < size and self._stream.read(at, size - at).strip(b"\x00"):
            yield Problem(f"{STORE}: {size - at} bytes after the last record at {at}: cut off")

    def _record(self, at: int, key: int, checksum: int, length: int) -> Iterator[Member | Problem]:
        entry = f"record at offset {at} (key {key:016x})"
        note = ""
        blob = RangeStream(self._stream, at + HEADER.size, length)
        head = blob.read(0, min(length, READ_CHUNK))  # a thumbnail: one read
        adler = zlib.adler32(head)
        if length > len(head):
            for chunk in read_chunks(RangeStream(blob, len(head), length - len(head))):
                adler = zlib.adler32(chunk, adler)
        if adler != checksum:
            note = "checksum mismatch: the blob was changed or partly overwritten"
            yield Problem(f"{STORE}: {entry}: Adler-32 checksum mismatch; listed anyway")
        gallery_key, start = _split_key(head[: MAX_KEY_BYTES + 4])
        origin = {"store": STORE, "entry": gallery_key or f"{key:016x}", "cache_key": f"{key:016x}"}
        name = f"record-{at}"
        if gallery_key:
            match = KEY.match(gallery_key)
            path, modified, kind = match.groups() if match else ("", "", "")
            item = ITEM.match(path)
            if item:
                origin["media_store_id"] = item.group(2)
                origin["note"] = (
                    f"MediaStore {item.group(1)} _id {item.group(2)}: its file path is in"
                    " external.db (files._id)"
                )
                name = f"{item.group(1)}-{item.group(2)}-{name}"
            if modified:
                origin["original_modified"] = iso_time(float(modified)) or modified
            origin["thumbnail"] = TYPES.get(kind, f"Gallery type {kind}")
        if note:
            origin["note"] = f"{origin.get('note', '')}; {note}".lstrip("; ")
        yield Member(f"record={at}", name, length - start, origin=origin)

    def _resync(self, start: int) -> int | None:
        """The next offset whose header names itself (a record's offset field is its
        own position) and whose length fits, searched window by window."""
        size = self._stream.size
        at = start
        while at + HEADER.size <= size:
            window = self._stream.read(at, RESYNC_WINDOW + HEADER.size)
            hits: list[int] = []
            for phase in range(4):
                words = window[12 + phase :]
                words = words[: len(words) // 4 * 4]
                offsets = np.frombuffer(words, "<u4").astype(np.int64)
                positions = at + phase + 4 * np.arange(len(offsets), dtype=np.int64)
                hits.extend(int(p) for p in positions[offsets == positions])
            for found in sorted(hits):
                header = self._stream.read(found, HEADER.size)
                if len(header) == HEADER.size:
                    length = HEADER.unpack(header)[3]
                    if found + HEADER.size + length <= size:
                        return found
            at += RESYNC_WINDOW
        return None

    def open(self, value: str) -> Stream:
        offset = member_value(value, "record=")
        at = int(offset) if offset.isdigit() else -1
        header = self._stream.read(at, HEADER.size) if at >= 4 else b""
        if len(header) < HEADER.size or HEADER.unpack(header)[2] != at:
            raise EvidenceError(f"{STORE}: no record at offset {offset[:40]!r}")
        length = HEADER.unpack(header)[3]
        if at + HEADER.size + length > self._stream.size:
            raise EvidenceError(f"{STORE}: record at offset {at} runs past the end")
        _, start = _split_key(self._stream.read(at + HEADER.size, min(length, MAX_KEY_BYTES + 4)))
        return RangeStream(self._stream, at + HEADER.size + start, length - start)


def _split_key(blob: bytes) -> tuple[str, int]:
    """(Gallery cache key, where the picture starts) if the blob starts with a UTF-16LE
    key Gallery2 would write, else ("", 0)."""
    for start in _picture_starts(blob[: MAX_KEY_BYTES + 4]):
        if start % 2 or start < 4:
            continue
        try:
            key = blob[:start].decode("utf-16-le")
        except UnicodeDecodeError:
            continue
        if KEY.match(key):
            return key, start
    return "", 0


def _picture_starts(head: bytes) -> Iterator[int]:
    return (match.start() for match in PICTURE_START.finditer(head))


CONTAINERS.add("imgcache", ImgcacheContainer, "Android Gallery image cache (BlobCache data file)")
