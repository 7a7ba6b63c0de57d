"""GIF: header, logical screen, colour tables and blocks walked to the trailer; each image's
LZW data decoded (gif_lzw), so a chain that runs on through foreign bytes ends the file.

A GIF whose image data stops decoding after its first sector is marked `repair`: its
last fragment may lie elsewhere in the extent (see gif_pairs)."""

from __future__ import annotations

from scanner.carve.gif_lzw import lzw_error
from scanner.carve.registry import Found, register
from scanner.carve.window import Window

SECTOR = 512
MAX_DECODED = 16 << 20  # LZW data of larger images is walked, not decoded

TRAILER = 0x3B
EXTENSION = 0x21
IMAGE = 0x2C


def _skip_sub_blocks(window: Window, pos: int) -> tuple[int, bool]:
    """(position after the chain of data sub-blocks and its terminator, complete).

    When the chain is cut short, the position is the end of the last whole sub-block.
    """
    while True:
        data = window.read(pos, 4096)
        index = 0
        while index < len(data):
            size = data[index]
            if size == 0:
                return pos + index + 1, True
            if index + size + 1 > len(data):
                break  # runs past what was read: read again from its start
            index += size + 1
        if len(data) < 4096:  # the window ends here
            return pos + index, False
        pos += index


@register
class GifCarver:
    name = "gif"
    kinds = ("gif",)
    signatures = ((b"GIF87a", 0), (b"GIF89a", 0))

    def carve(self, window: Window, start: int) -> Found | None:
        return walk(window, start)[0]


def walk(window: Window, start: int) -> tuple[Found | None, int | None]:
    """(the GIF at `start`, or None; where the image block starts whose LZW data stops
    decoding, or None)."""
    screen = window.read(start + 6, 7)
    if len(screen) < 7:
        return None, None
    width = int.from_bytes(screen[0:2], "little")
    height = int.from_bytes(screen[2:4], "little")
    if width == 0 or height == 0:
        return None, None
    pos = start + 13
    if screen[4] & 0x80:
        pos += 3 << ((screen[4] & 7) + 1)
    images = 0
    while True:
        block = window.u8(pos)
        if block == TRAILER and images:
            return Found("gif", ((start, pos + 1 - start),), True), None
        step = _block(window, pos, block)
        if step is None:
            break
        if block == IMAGE and step[1]:
            bad = _image_error(window, pos)
            if bad is not None:  # not this picture's data from about there on
                cut = max(pos, bad // SECTOR * SECTOR)
                if cut == pos and not images:
                    return None, None
                return Found("gif", ((start, cut - start),), False, repair=cut > pos), pos
        images += block == IMAGE
        pos = step[0]
        if not step[1]:
            break
    if not images:
        return None, None
    return Found("gif", ((start, pos - start),), False), None


def _block(window: Window, pos: int, block: int | None) -> tuple[int, bool] | None:
    """(position after the block, complete); None when no block starts at `pos`."""
    if block == EXTENSION:
        return _skip_sub_blocks(window, pos + 2) if window.read(pos + 1, 1) else None
    if block != IMAGE:
        return None
    desc = window.read(pos + 1, 9)
    if len(desc) < 9 or not int.from_bytes(desc[4:6], "little"):
        return None
    pos += 10
    if desc[8] & 0x80:
        pos += 3 << ((desc[8] & 7) + 1)
    code_size = window.u8(pos)
    if code_size is None or not 1 <= code_size <= 12:
        return None
    return _skip_sub_blocks(window, pos + 1)


def image_data(window: Window, pos: int) -> tuple[int, int, bytes, list[tuple[int, int]]] | None:
    """(LZW minimum code size, pixels, sub-block payloads joined, (payload index, media
    offset) where each sub-block's payload starts) of the image block at `pos`, whose chain
    is whole; None when its data is too large to decode."""
    desc = window.read(pos + 1, 9)
    pixels = int.from_bytes(desc[4:6], "little") * int.from_bytes(desc[6:8], "little")
    pos += 10
    if desc[8] & 0x80:
        pos += 3 << ((desc[8] & 7) + 1)
    code_size = window.u8(pos) or 0
    pos += 1
    payload, starts = bytearray(), list[tuple[int, int]]()
    while len(payload) <= MAX_DECODED:
        size = window.u8(pos)
        if not size:
            return code_size, pixels, bytes(payload), starts
        starts.append((len(payload), pos + 1))
        payload += window.read(pos + 1, size)
        pos += size + 1
    return None


def _image_error(window: Window, pos: int) -> int | None:
    """Media offset up to which the image at `pos` is surely this picture's when its LZW
    data does not decode to exactly its pixels (see gif_lzw), None when it does."""
    image = image_data(window, pos)
    if image is None:
        return None
    code_size, pixels, payload, starts = image
    error = lzw_error(payload, code_size, pixels)
    if error is None:
        return None
    bad = max(0, error[1])
    index, media = next(((i, m) for i, m in reversed(starts) if i <= bad), (0, pos))
    return media + bad - index
