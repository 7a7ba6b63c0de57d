"""PNG: chunk walk from the signature to IEND, every chunk's CRC checked."""

from __future__ import annotations

import struct
import zlib

from scanner.carve.registry import Found, register
from scanner.carve.window import Window

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CHUNK = 1 << 31
READ_STEP = 1 << 20


def _crc_ok(window: Window, offset: int, length: int, expected: int) -> bool:
    """CRC-32 over a chunk's type and data, read in steps to bound memory."""
    crc = 0
    done = 0
    while done < length:
        part = window.read(offset + done, min(READ_STEP, length - done))
        if not part:
            return False
        crc = zlib.crc32(part, crc)
        done += len(part)
    return crc == expected


@register
class PngCarver:
    name = "png"
    kinds = ("png",)
    signatures = ((SIGNATURE, 0),)

    def carve(self, window: Window, start: int) -> Found | None:
        pos = start + 8
        chunks = 0
        while True:
            head = window.read(pos, 8)
            if len(head) < 8:
                break
            length, ctype = struct.unpack(">I4s", head)
            if length >= MAX_CHUNK or not ctype.isalpha() or (chunks == 0 and ctype != b"IHDR"):
                break
            if chunks == 0 and length != 13:
                return None
            crc = window.read(pos + 8 + length, 4)
            if len(crc) < 4 or not _crc_ok(window, pos + 4, length + 4, int.from_bytes(crc, "big")):
                break
            chunks += 1
            pos += 12 + length
            if ctype == b"IEND":
                return Found("png", ((start, pos - start),), True)
        if chunks == 0:
            return None
        return Found("png", ((start, pos - start),), False, repair=True)
