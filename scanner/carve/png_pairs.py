"""Two-fragment PNGs, in either order and at any gap in the extent.

A PNG tells exactly where it breaks: the first chunk whose CRC fails (its length and type
still in the head). Its second fragment ends at an *orphan* IEND (one no carved file
covers); walking back from that IEND, chunk by chunk (each one's length must reach the
next, its CRC must hold), gives where the tail's first whole chunk starts, so the bytes
the broken chunk still needs sit just before it. A candidate is accepted only when the
broken chunk's CRC holds over head and tail bytes together and the zlib stream of all the
IDAT data inflates to exactly the picture's size.
"""

from __future__ import annotations

import bisect
import struct
import zlib

from scanner.carve.jpeg_fragments import SECTOR
from scanner.carve.jpeg_pairs import Spans
from scanner.carve.registry import Found
from scanner.carve.window import Window

IEND = b"IEND\xaeB`\x82"
MAX_CHUNK = 64 << 20
MAX_BACK = 4096  # chunks walked back from an IEND
MAX_TAILS = 256  # orphan IENDs tried per broken PNG, nearest first
MAX_INFLATE = 256 << 20
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _chunk(window: Window, pos: int) -> tuple[int, bytes] | None:
    head = window.read(pos, 8)
    if len(head) < 8:
        return None
    length, ctype = struct.unpack(">I4s", head)
    return (length, ctype) if length < MAX_CHUNK and ctype.isalpha() else None


def _crc_ok(data: bytes) -> bool:
    """A whole chunk's bytes (length, type, data, CRC)."""
    return len(data) >= 12 and zlib.crc32(data[4:-4]) == int.from_bytes(data[-4:], "big")


def head_chunks(window: Window, start: int) -> tuple[int, int, bytes] | None:
    """(offset of the broken chunk, its total size, its type) of a PNG whose walk breaks at
    a chunk whose header is sane but whose CRC fails."""
    pos = start + 8
    while True:
        chunk = _chunk(window, pos)
        if chunk is None:
            return None
        total = 12 + chunk[0]
        if not _crc_ok(window.read(pos, total)):
            return pos, total, chunk[1]
        if chunk[1] == b"IEND":
            return None
        pos += total


class Tails:
    """The orphan IEND chunks of an extent and, found on demand and kept, where the chain
    of whole chunks ending with each one begins."""

    def __init__(self, window: Window, iends: list[int], idats: list[int], spans: Spans):
        """`iends`, `idats`: offsets of the IEND and IDAT chunk types no file covers, sorted."""
        self.window, self.iends, self.idats, self.spans = window, iends, idats, spans
        self._first: dict[int, int] = {}

    def first(self, chunk: int) -> int:
        """Start of the first chunk of the chain of whole chunks that ends with the IEND
        chunk at `chunk`."""
        if chunk not in self._first:
            self._first[chunk] = self._walk_back(chunk, self.spans.floor(chunk))
        return self._first[chunk]

    def _walk_back(self, pos: int, floor: int) -> int:
        """Back from `pos` while an IDAT chunk ends exactly there (its length field reaches
        `pos`, its CRC holds), nearest first, never below `floor`."""
        for _ in range(MAX_BACK):
            lo = max(floor, pos - MAX_CHUNK)
            found = None
            index = bisect.bisect_right(self.idats, pos - 4) - 1
            while index >= 0 and self.idats[index] >= lo + 4:
                begin = self.idats[index] - 4
                size = int.from_bytes(self.window.read(begin, 4), "big")
                if begin + 12 + size == pos and _crc_ok(self.window.read(begin, pos - begin)):
                    found = begin
                    break
                index -= 1
            if found is None:
                return pos
            pos = found
        return pos


def _inflates(idat: bytes, ihdr: bytes) -> bool:
    """Whether the IDAT data inflates to exactly the picture's filtered size."""
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    if colour not in CHANNELS:
        return False
    stride = -(-width * CHANNELS[colour] * depth // 8)
    size = height * (1 + stride)
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(idat, MAX_INFLATE)
    except zlib.error:
        return False
    if not inflater.eof or inflater.unused_data.strip(b"\0"):
        return False
    exact: bool = interlace == 1 or len(out) == size
    return exact


def _idat_data(parts: list[bytes]) -> bytes:
    data = b"".join(parts)
    out, pos = [], 8
    while pos + 12 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        if ctype == b"IDAT":
            out.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return b"".join(out)


def pair_anywhere(window: Window, start: int, tails: Tails, fallback: Found) -> Found | None:
    """The PNG at `start` reassembled with a tail ending at one of the orphan IENDs of
    `tails` (the MAX_TAILS nearest, nearest first)."""
    broken = head_chunks(window, start)
    if broken is None:
        return None
    at, total, _ = broken
    chunk_end = at + total
    ihdr = window.read(start + 16, 13)
    head = window.read(at, total)  # the broken chunk, as the head has it
    splits = range(-(-(at + 8) // SECTOR) * SECTOR, chunk_end, SECTOR)
    crcs = _prefix_crcs(head, [split - at for split in splits])
    nearest = sorted(tails.iends, key=lambda e: abs(e - at))[:MAX_TAILS]
    for chunk in (iend - 4 for iend in nearest):
        if start <= chunk < chunk_end or tails.spans.covers(chunk) or not splits:
            continue
        first = tails.first(chunk)
        lo = max(window.start, first - (chunk_end - splits[0]))
        tail, floor = window.read(lo, first - lo), tails.spans.floor(first)
        for split, crc in zip(splits, crcs, strict=True):
            cont = first - (chunk_end - split)
            if cont < lo or (start <= cont < split) or (cont < start < first):
                continue
            if tails.spans.covers(cont) or floor > cont:
                continue
            if not _joined_crc_ok(head[: split - at], crc, memoryview(tail)[cont - lo :]):
                continue
            parts = [window.read(start, split - start), window.read(cont, chunk + 12 - cont)]
            if _inflates(_idat_data(parts), ihdr):
                runs = ((start, split - start), (cont, chunk + 12 - cont))
                return Found("png", runs, True, fallback)
    return None


def _prefix_crcs(head: bytes, cuts: list[int]) -> list[int]:
    """CRC-32 of head[4:cut] (a chunk's type and data up to `cut`) for each of the rising
    `cuts`, computed in one pass."""
    crcs, crc, done = [], 0, 4
    for cut in cuts:
        crc = zlib.crc32(head[done:cut], crc)
        done = max(done, cut)
        crcs.append(crc)
    return crcs


def _joined_crc_ok(head: bytes, head_crc: int, rest: memoryview) -> bool:
    """Whether a chunk made of `head` (CRC-32 of its bytes after the length: `head_crc`)
    and `rest` (ending with the chunk's CRC) holds its CRC."""
    if len(rest) < 4:  # the stored CRC starts in the head's bytes
        return _crc_ok(head + bytes(rest))
    return zlib.crc32(rest[:-4], head_crc) == int.from_bytes(rest[-4:], "big")
