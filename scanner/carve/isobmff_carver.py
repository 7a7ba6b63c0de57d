"""ISO base media (MP4, MOV, 3GP, HEIC/HEIF, AVIF): top-level box walk from `ftyp`."""

from __future__ import annotations

import struct

from scanner.carve.registry import Found, register
from scanner.carve.sample_checks import first_bad_sample, moov_chains
from scanner.carve.samples import isobmff_samples
from scanner.carve.window import Window

TOP_LEVEL = {
    b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"meta", b"pdin", b"moof",
    b"mfra", b"styp", b"sidx", b"ssix", b"prft", b"emsg", b"pnot", b"junk", b"jP  ", b"bloc",
    b"PICT", b"udta", b"beam", b"meco",
}  # fmt: skip
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"}
QT_BRANDS = {b"qt  "}
MAX_BOXES = 100_000
SECTOR = 512
VIDEO_KINDS = ("mp4", "mov", "3gp")


def kind_of(major: bytes, compatible: bytes) -> str:
    """File kind from the ftyp brands."""
    if major in HEIF_BRANDS:
        return "heic"
    if major == b"avif" or major == b"avis":
        return "avif"
    if major in QT_BRANDS:
        return "mov"
    if major.startswith((b"3gp", b"3g2", b"3ge", b"3gg")):
        return "3gp"
    if b"heic" in compatible and major == b"mif1":
        return "heic"
    return "mp4"


def _box(window: Window, pos: int) -> tuple[bytes, int] | None:
    """(type, total size) of the box at `pos`, None when the header is not a box's."""
    head = window.read(pos, 16)
    if len(head) < 8:
        return None
    size, btype = struct.unpack(">I4s", head[:8])
    if size == 1 and len(head) == 16:
        size = struct.unpack(">Q", head[8:])[0]
        return (btype, size) if size >= 16 else None
    if size == 0:
        return btype, window.end - pos
    return (btype, size) if size >= 8 else None


def _valid_end(window: Window, start: int, end: int, moov: tuple[int, int]) -> int:
    """`end`, or where the video stops being its own: the sector of the first sample that
    its codec's framing rejects, or the `moov` whose boxes do not chain (see sample_checks).
    Never less than the `ftyp` box."""
    floor = start + int.from_bytes(window.read(start, 4), "big")
    if not moov_chains(window.read(*moov)):
        return max(floor, moov[0] // SECTOR * SECTOR)
    bad = first_bad_sample(window, start, end, moov)
    return end if bad is None else max(floor, bad // SECTOR * SECTOR)


def _needs(kind: str, types: set[bytes]) -> bool:
    """Whether the top-level boxes seen make a playable/viewable file."""
    if kind in ("heic", "avif"):
        return b"meta" in types
    return b"moov" in types and (b"mdat" in types or b"moof" in types)


@register
class IsoBmffCarver:
    name = "isobmff"
    kinds = ("mp4", "mov", "3gp", "heic", "avif")
    signatures = ((b"ftyp", 4),)

    def carve(self, window: Window, start: int) -> Found | None:
        head = window.read(start, 32)
        if len(head) < 16:
            return None
        size = int.from_bytes(head[:4], "big")
        major = head[8:12]
        if not 16 <= size <= 4096 or size % 4 or not all(0x20 <= b < 0x7F for b in major):
            return None
        kind = kind_of(major, window.read(start + 16, size - 16))
        pos, boxes = start, dict[bytes, tuple[int, int]]()  # type -> (offset, size) of the first
        for _ in range(MAX_BOXES):
            box = _box(window, pos)
            if box is None or box[0] not in TOP_LEVEL or (pos > start and box[0] == b"ftyp"):
                break
            if pos + box[1] > window.end:
                return self._partial(kind, start, window.end, set(boxes), open_end=True)
            boxes.setdefault(box[0], (pos, box[1]))
            pos += box[1]
        if not _needs(kind, set(boxes)):
            return self._partial(kind, start, pos, set(boxes))
        moov = boxes.get(b"moov")
        if kind in VIDEO_KINDS and moov:
            valid = _valid_end(window, start, pos, moov)
            if valid < pos:
                return Found(kind, ((start, valid - start),), False)
        frames = isobmff_samples(window, start, pos, moov) if kind in VIDEO_KINDS and moov else ()
        return Found(kind, ((start, pos - start),), True, samples=frames)

    def _partial(
        self, kind: str, start: int, end: int, types: set[bytes], open_end: bool = False
    ) -> Found | None:
        if not types - {b"ftyp"} or end <= start:
            return None
        return Found(kind, ((start, end - start),), False, open_end=open_end)
