"""Where a video's own index puts its frames: ISO-BMFF sample tables, AVI `movi` chunks.

A motion-JPEG video is a run of whole JPEGs. Carved on its own, each frame would be a
separate "picture" next to the video it belongs to (PhotoRec never sees them: it skips past
a recovered file). The engine drops a picture whose byte range is exactly one of these
sample ranges of a complete video; a picture anywhere else, even inside the video's span
(a later file that overwrote part of it), is kept.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from scanner.carve.window import Window

MAX_INDEX_BYTES = 64 << 20  # a larger moov or movi index is not read
MAX_SAMPLES = 1 << 20
CONTAINERS = (b"trak", b"mdia", b"minf", b"stbl")


def isobmff_samples(
    window: Window, start: int, end: int, moov: tuple[int, int]
) -> tuple[tuple[int, int], ...]:
    """(media offset, length) of every sample of every track of the ISO-BMFF file at
    [start, end), from its moov box at `moov` (offset, size); () when that box is too
    large to read or does not parse."""
    if moov[1] > MAX_INDEX_BYTES:
        return ()
    data = window.read(*moov)
    ranges: list[tuple[int, int]] = []
    for stbl in _boxes_at(data, 0, len(data), (b"moov", *CONTAINERS)):
        ranges.extend(_track_samples(stbl))
        if len(ranges) > MAX_SAMPLES:
            return ()
    return tuple(
        (start + offset, size)
        for offset, size in ranges
        if 0 < size and offset + size <= end - start
    )


def _children(data: bytes, pos: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in data[pos:end]."""
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        head = 8
        if size == 1 and pos + 16 <= end:
            size, head = struct.unpack_from(">Q", data, pos + 8)[0], 16
        if size < head or pos + size > end:
            return
        yield kind, pos + head, pos + size
        pos += size


def _boxes_at(
    data: bytes, pos: int, end: int, path: tuple[bytes, ...]
) -> Iterator[dict[bytes, bytes]]:
    """The children, by type, of every box reached by following `path` down from data[pos:end]."""
    for kind, low, high in _children(data, pos, end):
        if kind != path[0]:
            continue
        if len(path) == 1:
            yield {k: data[a:b] for k, a, b in _children(data, low, high)}
        else:
            yield from _boxes_at(data, low, high, path[1:])


def _track_samples(stbl: dict[bytes, bytes]) -> list[tuple[int, int]]:
    """(offset in the file, size) of each sample, from stsz, stsc and stco/co64."""
    stsz, stsc = stbl.get(b"stsz"), stbl.get(b"stsc")
    offsets = _chunk_offsets(stbl)
    if stsz is None or stsc is None or offsets is None or len(stsz) < 12 or len(stsc) < 8:
        return []
    fixed, count = struct.unpack_from(">II", stsz, 4)
    if count > MAX_SAMPLES or (not fixed and len(stsz) < 12 + 4 * count):
        return []
    sizes = [fixed] * count if fixed else list(struct.unpack_from(f">{count}I", stsz, 12))
    entries = struct.unpack_from(">I", stsc, 4)[0]
    if len(stsc) < 8 + 12 * entries:
        return []
    runs = [struct.unpack_from(">II", stsc, 8 + 12 * i) for i in range(entries)]
    samples: list[tuple[int, int]] = []
    sample = 0
    for index, (first, per_chunk) in enumerate(runs):
        last = runs[index + 1][0] - 1 if index + 1 < len(runs) else len(offsets)
        for chunk in range(max(first, 1), min(last, len(offsets)) + 1):
            position = offsets[chunk - 1]
            for _ in range(per_chunk):
                if sample >= count:
                    return samples
                samples.append((position, sizes[sample]))
                position += sizes[sample]
                sample += 1
    return samples


def _chunk_offsets(stbl: dict[bytes, bytes]) -> list[int] | None:
    for kind, width in ((b"stco", "I"), (b"co64", "Q")):
        box = stbl.get(kind)
        if box is not None and len(box) >= 8:
            count = struct.unpack_from(">I", box, 4)[0]
            step = struct.calcsize(width)
            if count > MAX_SAMPLES or len(box) < 8 + step * count:
                return None
            return list(struct.unpack_from(f">{count}{width}", box, 8))
    return None


def avi_samples(window: Window, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """(media offset, length) of the data of every chunk in the AVI's `movi` list (also
    inside `rec ` lists)."""
    samples: list[tuple[int, int]] = []
    _riff_chunks(window, start + 12, end, samples, depth=0)
    return tuple(samples) if len(samples) <= MAX_SAMPLES else ()


def _riff_chunks(
    window: Window, pos: int, end: int, samples: list[tuple[int, int]], depth: int
) -> None:
    """Walk the chunks of [pos, end): descend into LIST movi / rec, collect data chunks
    below movi (depth >= 1)."""
    while pos + 8 <= end and len(samples) <= MAX_SAMPLES:
        head = window.read(pos, 12)
        if len(head) < 8:
            return
        cid, size = head[:4], int.from_bytes(head[4:8], "little")
        if pos + 8 + size > end:
            return
        if cid == b"LIST" and head[8:12] in (b"movi", b"rec ") and depth < 2:
            _riff_chunks(window, pos + 12, pos + 8 + size, samples, depth + 1)
        elif depth >= 1 and cid != b"LIST" and size:
            samples.append((pos + 8, size))
        pos += 8 + size + (size & 1)
