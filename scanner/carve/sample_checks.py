"""Do an ISO-BMFF video's samples lie where its index says? Each sample is checked by what
its codec's framing requires of it, so a `moov` that points into someone else's bytes
(a fragmented or overwritten `mdat`) is caught.

- H.264/HEVC (`avc1`, `avc3`, `hvc1`, `hev1`): NAL units with length prefixes (the
  `avcC`/`hvcC` length size) that chain exactly to the sample's size, each header with
  its forbidden bit clear. Random bytes fail on the first prefix almost always.
- Motion JPEG (`jpeg`, `mjpa`): SOI at the start, EOI at the end (zero padding after).
- MPEG-4 part 2 (`mp4v`): a start code; H.263 (`s263`, `h263`): a picture start code.
Other codecs (audio, say) are not checked.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from scanner.carve.samples import CONTAINERS, MAX_INDEX_BYTES, _boxes_at, _track_samples
from scanner.carve.window import Window

MAX_CHECKED_SAMPLES = 100_000


def _nal_check(length_size: int) -> Callable[[bytes], bool]:
    def check(sample: bytes) -> bool:
        pos = 0
        while pos < len(sample):
            if pos + length_size >= len(sample):
                return False
            size = int.from_bytes(sample[pos : pos + length_size], "big")
            header = sample[pos + length_size]
            if size == 0 or pos + length_size + size > len(sample) or header & 0x80:
                return False
            pos += length_size + size
        return True

    return check


def _jpeg(sample: bytes) -> bool:
    return sample.startswith(b"\xff\xd8\xff") and sample.rstrip(b"\0").endswith(b"\xff\xd9")


def _mp4v(sample: bytes) -> bool:  # MPEG-4 visual; also motion JPEG, as ffmpeg writes it
    return sample.startswith(b"\x00\x00\x01") or _jpeg(sample)


def _h263(sample: bytes) -> bool:
    return len(sample) >= 3 and sample[:2] == b"\x00\x00" and sample[2] & 0xFC == 0x80


def _codec_check(stsd: bytes) -> Callable[[bytes], bool] | None:
    """The framing check of a track's first sample entry, None when it is not checked."""
    if len(stsd) < 16:
        return None
    entry = stsd[8:]
    fmt = entry[4:8]
    if fmt in (b"avc1", b"avc3", b"hvc1", b"hev1"):
        config = b"avcC" if fmt.startswith(b"avc") else b"hvcC"
        at = entry.find(config)
        byte = 4 if config == b"avcC" else 21  # lengthSizeMinusOne in the record
        if at < 0 or len(entry) <= at + 4 + byte:
            return None
        length_size = (entry[at + 4 + byte] & 3) + 1
        return _nal_check(length_size) if length_size != 3 else None
    if fmt in (b"jpeg", b"mjpa"):
        return _jpeg
    if fmt == b"mp4v":
        return _mp4v
    if fmt in (b"s263", b"h263"):
        return _h263
    return None


def first_bad_sample(window: Window, start: int, end: int, moov: tuple[int, int]) -> int | None:
    """Media offset from which the samples are not what their track's codec frames: the
    start of the sample before the first one rejected (the foreign bytes may begin inside
    it, since only framing is checked), None when every checked sample passes."""
    if moov[1] > MAX_INDEX_BYTES:
        return None
    data = window.read(*moov)
    bad: int | None = None
    for stbl in _boxes_at(data, 0, len(data), (b"moov", *CONTAINERS)):
        check = _codec_check(stbl.get(b"stsd", b""))
        if check is None:
            continue
        previous = start
        for offset, size in _track_samples(stbl)[:MAX_CHECKED_SAMPLES]:
            at = start + offset
            if bad is not None and at >= bad:
                break
            if size <= 0 or at + size > end or not check(window.read(at, size)):
                bad = previous
                break
            previous = at
    return bad


def moov_chains(data: bytes) -> bool:
    """Whether the boxes inside a `moov` (its bytes) chain exactly to its end."""
    pos = 8
    while pos + 8 <= len(data):
        size = struct.unpack_from(">I", data, pos)[0]
        if size == 1 and pos + 16 <= len(data):
            size = struct.unpack_from(">Q", data, pos + 8)[0]
        if size < 8 or pos + size > len(data):
            return False
        pos += size
    return pos == len(data)
