"""BMP: the file size in the header, accepted only when every header field is sane."""

from __future__ import annotations

import struct

from scanner.carve.registry import Found, register
from scanner.carve.window import Window

DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}
BIT_COUNTS = {1, 2, 4, 8, 16, 24, 32}
MAX_SIZE = 1 << 30
MAX_SIDE = 1 << 16


def _expected_size(dib: bytes) -> tuple[int, int] | None:
    """(minimum pixel-data size, compression) from a DIB header, None when not sane."""
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
    if compression in (0, 3, 6):
        return ((width * bits + 31) // 32) * 4 * height, compression
    return 1, compression


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
        pixels, compression = expected
        if compression in (0, 3, 6) and not 0 <= size - data_offset - pixels <= 4096:
            return None
        available = min(size, window.end - start)
        return Found("bmp", ((start, available),), available == size, open_end=available < size)
