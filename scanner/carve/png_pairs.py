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

import struct
import zlib

from scanner.carve.jpeg_fragments import SECTOR
from scanner.carve.jpeg_pairs import Spans
from scanner.carve.registry import Found
from scanner.carve.window import Window

IEND = b"IEND\xaeB`\x82"
MAX_CHUNK = 64 << 20
MAX_BACK = 4096  # chunks walked back from an IEND
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


def tail_start(window: Window, iend: int, floor: int) -> int:
    """Start of the first chunk of the chain of whole chunks that ends with the IEND chunk
    at `iend`, walking back (each IDAT's length field must reach the next chunk)."""
    pos = iend
    for _ in range(MAX_BACK):
        lo = max(floor, pos - MAX_CHUNK)
        found = None
        data = window.read(lo, pos - lo)
        at = len(data)
        while True:
            at = data.rfind(b"IDAT", 0, at)
            if at < 4:
                break
            length = int.from_bytes(data[at - 4 : at], "big")
            if lo + at - 4 + 12 + length == pos and _crc_ok(data[at - 4 : at + 8 + length]):
                found = lo + at - 4
                break
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


def pair_anywhere(
    window: Window, start: int, iends: list[int], spans: Spans, fallback: Found
) -> Found | None:
    """The PNG at `start` reassembled with a tail ending at one of the orphan `iends`
    (offsets of the IEND chunk's type), nearest first."""
    broken = head_chunks(window, start)
    if broken is None:
        return None
    at, total, _ = broken
    chunk_end = at + total
    ihdr = window.read(start + 16, 13)
    for iend in sorted(iends, key=lambda e: abs(e - at)):
        chunk = iend - 4
        if start <= chunk < chunk_end or spans.covers(chunk):
            continue
        first = tail_start(window, chunk, spans.floor(chunk))
        for split in range(-(-(at + 8) // SECTOR) * SECTOR, chunk_end, SECTOR):
            cont = first - (chunk_end - split)
            if cont < window.start or (start <= cont < split) or (cont < start < first):
                continue
            if spans.covers(cont) or spans.floor(first) > cont:
                continue
            joined = window.read(at, split - at) + window.read(cont, chunk_end - split)
            if not _crc_ok(joined):
                continue
            parts = [window.read(start, split - start), window.read(cont, chunk + 12 - cont)]
            if _inflates(_idat_data(parts), ihdr):
                runs = ((start, split - start), (cont, chunk + 12 - cont))
                return Found("png", runs, True, fallback)
    return None
