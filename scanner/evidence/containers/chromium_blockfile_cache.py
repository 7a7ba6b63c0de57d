"""Chromium's block-file cache (older Chrome and Android WebView/Chrome: `index`,
`data_0`…`data_3`, `f_xxxxxx`), read from `data_1`, the file of entries.

Layout (Chromium `net/disk_cache/blockfile/disk_format.h`, `disk_format_base.h`,
`addr.h`, little-endian): a block file has an 8192-byte header (magic 0xC104CAC3,
version, this file's number, next file, block size, entry count, capacity, counters,
then the allocation bitmap from byte 80) and blocks of its size after it. `data_1`
holds 256-byte blocks: `EntryStore`s (hash, next, rankings node, reuse/refetch counts,
state, creation time, key length, long-key address, 4 data sizes, 4 data addresses,
flags, padding, self hash, 160 bytes of key) and small data. A `CacheAddr` is
initialised (bit 31), file type (bits 28-30: 0 external `f_` file, 1 rankings,
2/3/4 blocks of 256/1K/4K), blocks-1 (bits 24-25), file number (16-23), first block
(0-15). Stream 0 is the HTTP response info, stream 1 the body.

Bodies are read from the file holding them: `data_1` itself, or `data_2`, `data_3` or an
external `f_xxxxxx` file found beside `data_1` through the container's siblings; such a
member's step keeps the sibling's reference (`entry=<block>,file=<reference>`), so its
locator alone reopens it. Bodies whose file is not beside `data_1` are counted in one
problem. Blocks not marked allocated are still read: they are entries the cache
dropped, listed as deleted.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    member_value,
)
from scanner.evidence.containers.cache_common import (
    chromium_time,
    iso_time,
    parse_headers,
    text,
    url_member_path,
)
from scanner.evidence.streams import RangeStream, Stream

STORE = "chromium-blockfile-cache"
BLOCK_MAGIC = 0xC104CAC3
HEADER_SIZE = 8192
BLOCK = 256
ENTRY = struct.Struct("<IIIiiiQiI4i4IIiiiiI160s")
BLOCK_SIZES = {1: 36, 2: 256, 3: 1024, 4: 4096}
FILE_NAMES = {0: "f_", 1: "data_0", 2: "data_1", 3: "data_2", 4: "data_3"}
MAX_BLOCKS = 65_536
MAX_KEY = 4 * BLOCK - 96 - 1  # the longest key kept inside the entry's blocks


@dataclass(frozen=True)
class Address:
    """A decoded `CacheAddr`."""

    raw: int

    @property
    def initialised(self) -> bool:
        return bool(self.raw & 0x8000_0000)

    @property
    def file_type(self) -> int:
        return (self.raw >> 28) & 7

    @property
    def file_name(self) -> str:
        """The file holding the data: `f_00002a` or `data_<n>`."""
        if self.file_type == 0:
            return f"f_{self.raw & 0x0FFF_FFFF:06x}"
        return f"data_{(self.raw >> 16) & 0xFF}"

    @property
    def offset(self) -> int:
        """Byte offset inside a block file (0 for an external file)."""
        if self.file_type == 0:
            return 0
        return HEADER_SIZE + (self.raw & 0xFFFF) * BLOCK_SIZES.get(self.file_type, 0)

    @property
    def blocks(self) -> int:
        return ((self.raw >> 24) & 3) + 1


@dataclass(frozen=True)
class Entry:
    """One `EntryStore` of `data_1`."""

    block: int
    key: str
    created: float | None
    allocated: bool
    sizes: tuple[int, ...]
    addresses: tuple[Address, ...]

    @property
    def url(self) -> str:
        return self.key.rsplit(" ", 1)[-1].removeprefix("_dk_")


def entries(stream: Stream) -> Iterator[Entry | Problem]:
    """Every entry of a `data_1` stream, allocated or not, in block order."""
    header = stream.read(0, HEADER_SIZE)
    magic, _, this_file, _, block_size, _, capacity = struct.unpack_from("<IIhhiii", header)
    if magic != BLOCK_MAGIC or block_size != BLOCK or this_file != 1:
        raise EvidenceError(f"{STORE}: not data_1 (file {this_file}, blocks of {block_size})")
    bitmap = header[80:]
    blocks = min(MAX_BLOCKS, (stream.size - HEADER_SIZE) // BLOCK)
    if capacity > blocks:
        yield Problem(f"{STORE}: header says {capacity} blocks, the file holds {blocks}")
    block = 0
    while block < blocks:
        raw = stream.read(HEADER_SIZE + block * BLOCK, BLOCK)
        entry = _entry(stream, block, raw, _allocated(bitmap, block))
        if isinstance(entry, Problem):
            yield entry
            block += 1
        elif entry is None:
            block += 1
        else:
            yield entry
            block += -(-(96 + len(entry.key) + 1) // BLOCK)


def _allocated(bitmap: bytes, block: int) -> bool:
    byte = block // 8
    return byte < len(bitmap) and bool(bitmap[byte] & (1 << (block % 8)))


def _entry(stream: Stream, block: int, raw: bytes, allocated: bool) -> Entry | Problem | None:
    fields = ENTRY.unpack(raw)
    rankings, created, key_length, long_key = Address(fields[2]), fields[6], fields[7], fields[8]
    sizes, addresses = fields[9:13], tuple(Address(a) for a in fields[13:17])
    if not (rankings.initialised and rankings.file_type == 1) or not 0 < key_length:
        return None  # not an entry: data, or an empty block
    where = f"entry at block {block}"
    if long_key or key_length > MAX_KEY:
        return Problem(f"{STORE}: {where}: key of {key_length} bytes kept elsewhere: not read")
    key_bytes = stream.read(HEADER_SIZE + block * BLOCK + 96, key_length)
    if len(key_bytes) < key_length:
        return Problem(f"{STORE}: {where}: key runs past the end of data_1")
    if any(s < 0 for s in sizes):
        return Problem(f"{STORE}: {where}: negative data size")
    key = text(key_bytes, MAX_KEY)
    return Entry(block, key, chromium_time(created), allocated, tuple(sizes), addresses)


def resolve(entry: Entry, index: int, open_file: Callable[[str], Stream | None]) -> Stream | None:
    """Stream `index` of `entry` (0 headers, 1 body) from the file holding it, opened by
    name with `open_file` (None: that file is not available)."""
    address, size = entry.addresses[index], entry.sizes[index]
    if not address.initialised or size <= 0 or address.file_type not in (0, 2, 3, 4):
        return None
    holder = open_file(address.file_name)
    if holder is None:
        return None
    room = address.blocks * BLOCK_SIZES.get(address.file_type, 0) or size
    if address.offset + min(size, room) > holder.size or size > room:
        raise EvidenceError(
            f"{STORE}: entry at block {entry.block}: stream {index} runs past {address.file_name}"
        )
    return RangeStream(holder, address.offset, size)


EXTERNAL_FILE = re.compile(r"/(?:Cache|cache|HTTP Cache|Media Cache)/(f_[0-9a-f]{6})$")


def external_file_origin(path: str) -> dict[str, str] | None:
    """The origin an `f_xxxxxx` file of a block-file cache folder has as a file (its URL
    is given by the `data_1` member that reads it), or None."""
    found = EXTERNAL_FILE.search(path[-4096:])
    if found is None:
        return None
    note = "body file of a Chromium block-file cache; its URL is in the data_1 entry naming it"
    return {"store": STORE, "entry": found.group(1), "note": note}


class BlockfileData1(Container):
    kind: ClassVar[str] = "chromium-blockfile"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        if len(head) < 16 or struct.unpack_from("<I", head)[0] != BLOCK_MAGIC:
            return False
        this_file, _, block_size = struct.unpack_from("<hhi", head, 8)
        result: bool = this_file == 1 and block_size == BLOCK
        return result

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._stream = stream
        self._files: dict[str, Stream | None] = {}  # siblings by name, as opened
        self._references: dict[str, str | None] = {}

    def members(self) -> Iterator[Member | Problem]:
        missing: dict[str, int] = {}
        for entry in entries(self._stream):
            if isinstance(entry, Problem):
                yield entry
                continue
            try:
                body = resolve(entry, 1, self._beside)
                info = resolve(entry, 0, self._beside)
            except EvidenceError as exc:
                yield Problem(str(exc))
                continue
            name = entry.addresses[1].file_name
            if body is None:
                if entry.sizes[1] > 0:
                    name = "f_ files" if name.startswith("f_") else name
                    missing[name] = missing.get(name, 0) + 1
                continue
            reference = self._references.get(name)
            yield Member(
                f"entry={entry.block}" + (f",file={reference}" if reference else ""),
                url_member_path(entry.url, f"block-{entry.block}"),
                body.size,
                deleted=not entry.allocated,
                origin=_origin(entry, info),
            )
        if missing:
            where = ", ".join(f"{count} in {name}" for name, count in sorted(missing.items()))
            yield Problem(f"{STORE}: bodies of entries not found beside data_1 ({where})")

    def open(self, value: str) -> Stream:
        step, _, reference = value.partition(",file=")
        block = member_value(step, "entry=")
        if not block.isdigit() or int(block) >= MAX_BLOCKS:
            raise EvidenceError(f"{STORE}: no entry at block {block[:40]!r}")
        raw = self._stream.read(HEADER_SIZE + int(block) * BLOCK, BLOCK)
        entry = _entry(self._stream, int(block), raw, True) if len(raw) == BLOCK else None
        body = None
        if isinstance(entry, Entry):
            holder = self.siblings.open(reference) if reference else None
            body = resolve(entry, 1, lambda name: holder or self._own(name))
        if body is None:
            raise EvidenceError(f"{STORE}: no body for the entry at block {block}")
        return body

    def _own(self, name: str) -> Stream | None:
        return self._stream if name == "data_1" else None

    def _beside(self, name: str) -> Stream | None:
        """`data_1` itself, or the file `name` beside it (opened once; None if absent)."""
        if name == "data_1":
            return self._stream
        if name not in self._files:
            reference = self._references[name] = self.siblings.find(name)
            self._files[name] = self.siblings.open(reference) if reference else None
        return self._files[name]


def _origin(entry: Entry, info: Stream | None) -> dict[str, str]:
    origin = {
        "store": STORE,
        "entry": entry.key[:2048],
        "url": entry.url[:2048],
        "cached": iso_time(entry.created),
    }
    if not entry.allocated:
        origin["note"] = "entry block not allocated: dropped from the cache, not yet overwritten"
    if info is not None:
        raw = info.read(0, min(info.size, 1 << 16))
        at = raw.find(b"HTTP/")
        if at >= 0:
            status, fields = parse_headers(text(raw[at:], 1 << 16))
            origin["http_status"] = status[:80]
            origin["content_type"] = fields.get("content-type", "")[:120]
    return {k: v for k, v in origin.items() if v}


CONTAINERS.add("chromium-blockfile", BlockfileData1, "Chromium block-file cache (data_1)")
