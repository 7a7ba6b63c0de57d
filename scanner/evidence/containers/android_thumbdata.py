"""Legacy Android MediaStore mini-thumbnails: `DCIM/.thumbnails/.thumbdata3-<hash>`
(and `.thumbdata4-…`), written by `android.media.MiniThumbFile` up to Android 9.

Layout (AOSP `MiniThumbFile`): fixed slots of 10,000 bytes, slot N for the picture with
MediaStore `_id` N; each slot is a status byte (1 = a thumbnail is stored), an 8-byte
magic (the `mini_thumb_magic` of the MediaStore row, big-endian), a 4-byte big-endian
length and the JPEG. A slot whose length is damaged is recovered by walking the JPEG to
its end marker. The original is identified by the slot number only: the MediaStore
database (external.db) maps `_id` to the file's path. Vendor `.thumbindex` files are not
read (their layout is not public).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import ClassVar

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
from scanner.evidence.containers.cache_common import jpeg_end
from scanner.evidence.streams import RangeStream, Stream

STORE = "android-thumbdata"
SLOT = 10_000
HEADER = struct.Struct(">BqI")  # status, magic, length
PROBE_SLOTS = 64  # slots read to recognise the file (slot 0 is always empty: ids start at 1)
JPEG = b"\xff\xd8\xff"


class ThumbdataContainer(Container):
    kind: ClassVar[str] = "thumbdata"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        if stream.size < SLOT or head[:1] not in (b"\x00", b"\x01"):
            return False
        if head[:1] == b"\x01":
            return head[HEADER.size : HEADER.size + 3] == JPEG
        if head.strip(b"\x00"):  # slot 0 unused: all zeros up to the next slot
            return False
        for slot in range(1, min(PROBE_SLOTS, stream.size // SLOT)):
            probe = stream.read(slot * SLOT, HEADER.size + 3)
            if probe[:1] == b"\x01" and probe[HEADER.size :] == JPEG:
                return True
            if probe.strip(b"\x00"):
                return False
        return False

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream

    def members(self) -> Iterator[Member | Problem]:
        paths, database = yield from media_store_paths(self.siblings)
        slots = -(-self._stream.size // SLOT)
        for slot in range(slots):
            header = self._stream.read(slot * SLOT, HEADER.size)
            if len(header) < HEADER.size or header[0] == 0:
                continue
            found = self._locate(slot)
            if isinstance(found, str):
                yield Problem(f"{STORE}: slot {slot} (MediaStore _id {slot}): {found}")
                continue
            start, size, note = found
            origin = {
                "store": STORE,
                "entry": f"slot {slot}",
                "media_store_id": str(slot),
                "mini_thumb_magic": str(HEADER.unpack(header)[1]),
                "thumbnail": "MediaStore mini-thumbnail",
                "note": f"MediaStore _id {slot}: its file path is in external.db (files._id)"
                + (f"; {note}" if note else ""),
            }
            if note:
                yield Problem(f"{STORE}: slot {slot}: {note}")
            origin = attribute(origin, paths, database)
            yield Member(f"slot={slot}", f"slot-{slot}.jpg", size, origin=origin)

    def _locate(self, slot: int) -> tuple[int, int, str] | str:
        """(start, size, note) of the slot's JPEG, or why there is none."""
        base = slot * SLOT
        data = self._stream.read(base, SLOT)
        status, _, length = HEADER.unpack_from(data)
        if status != 1:
            return f"status byte {status} (not 0 or 1): not a thumbnail slot"
        if data[HEADER.size : HEADER.size + 3] != JPEG:
            return "no JPEG after the slot header"
        if (
            HEADER.size + length <= len(data)
            and data[HEADER.size + length - 2 :][:2] == b"\xff\xd9"
        ):
            return base + HEADER.size, length, ""
        end = jpeg_end(data, HEADER.size)
        if end is None:
            return f"length {length} is damaged and the JPEG has no end marker in the slot"
        return base + HEADER.size, end - HEADER.size, f"length {length} damaged: JPEG end found"

    def open(self, value: str) -> Stream:
        slot = member_value(value, "slot=")
        if not slot.isdigit() or int(slot) * SLOT >= self._stream.size:
            raise EvidenceError(f"{STORE}: no slot {slot[:40]!r}")
        found = self._locate(int(slot))
        if isinstance(found, str):
            raise EvidenceError(f"{STORE}: slot {slot}: {found}")
        return RangeStream(self._stream, found[0], found[1])


CONTAINERS.add("thumbdata", ThumbdataContainer, "Android MediaStore .thumbdata mini-thumbnails")
