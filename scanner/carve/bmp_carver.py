"""BMP: the file size in the header, accepted only when every header field is sane."""

from __future__ import annotations

import struct

from scanner.carve.payload_checks import bmp_end
from scanner.carve.registry import Found, register
from scanner.carve.window import Window

DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}
BIT_COUNTS = {1, 2, 4, 8, 16, 24, 32}
MAX_SIZE = 1 << 30
MAX_SIDE = 1 << 16


def _expected_size(dib: bytes) -> tuple[int, int, int] | None:
    """(minimum pixel-data size, compression, row stride) from a DIB header, None when not
    sane."""
    if len(dib) >= 16 and int.from_bytes(dib[0:4], "little") != 12:
        width, height, planes, bits, compression = struct.unpack("<iiHHI", dib[4:20])
    elif len(dib) >= 12:
        width, height, planes, bits = struct.unpack("<HHHH", dib[4:12])
        compression = 0
    else:
        return None
    height = abs(height)
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE and planes == 1):
        return None
    if bits not in BIT_COUNTS or compression > 6:
        return None
    stride = ((width * bits + 31) // 32) * 4
    if compression in (0, 3, 6):
        return stride * height, compression, stride
    return 1, compression, 0


def _direct(head: bytes) -> bool:
    """Whether the BMP holds direct colour (16, 24 or 32 bits a pixel)."""
    dib = head[14:]
    bits = int.from_bytes(
        dib[10:12] if int.from_bytes(dib[0:4], "little") == 12 else dib[14:16], "little"
    )
    return bits >= 16


@register
class BmpCarver:
    name = "bmp"
    kinds = ("bmp",)
    signatures = ((b"BM", 0),)

    def carve(self, window: Window, start: int) -> Found | None:
        head = window.read(start, 14 + 124)
        if len(head) < 26:
            return None
        size, reserved, data_offset, dib_size = struct.unpack("<IIII", head[2:18])
        if reserved != 0 or dib_size not in DIB_SIZES or not 14 + dib_size <= data_offset < size:
            return None
        expected = _expected_size(head[14 : 14 + dib_size])
        if expected is None or size > MAX_SIZE:
            return None
        pixels, compression, stride = expected
        if compression in (0, 3, 6) and not 0 <= size - data_offset - pixels <= 4096:
            return None
        available = min(size, window.end - start)
        if available < size:
            return Found("bmp", ((start, available),), False, open_end=True)
        if compression in (0, 3, 6) and _direct(head):
            # pixel rows that stop continuing are not this file's (palette indices say
            # nothing about neighbouring colours, so only direct colour is looked at)
            stop = bmp_end(window, start, start + size, start + data_offset, stride)
            if stop < start + size:
                return Found("bmp", ((start, stop - start),), False)
        return Found("bmp", ((start, size),), True)
