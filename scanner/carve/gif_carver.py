"""GIF: header, logical screen, colour tables and blocks walked to the trailer."""

from __future__ import annotations

from scanner.carve.registry import Found, register
from scanner.carve.window import Window

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
        screen = window.read(start + 6, 7)
        if len(screen) < 7:
            return None
        width = int.from_bytes(screen[0:2], "little")
        height = int.from_bytes(screen[2:4], "little")
        if width == 0 or height == 0:
            return None
        pos = start + 13
        if screen[4] & 0x80:
            pos += 3 << ((screen[4] & 7) + 1)
        images = 0
        while True:
            block = window.u8(pos)
            if block == TRAILER and images:
                return Found("gif", ((start, pos + 1 - start),), True)
            step = self._block(window, pos, block)
            if step is None:
                break
            images += block == IMAGE
            pos = step[0]
            if not step[1]:
                break
        if not images:
            return None
        return Found("gif", ((start, pos - start),), False)

    def _block(self, window: Window, pos: int, block: int | None) -> tuple[int, bool] | None:
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
