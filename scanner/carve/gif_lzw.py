"""Does a GIF image's LZW data decode to exactly its pixels? Codes are followed, not pixels.

A GIF's sub-block chain says nothing about whether the bytes in it are the picture's: a
chain walked through a gap of random bytes can meet a terminator and a trailer by chance
and look whole. The LZW stream inside can tell: a code may never exceed the next free
table entry, and the stream must give exactly width x height pixels, then its end code.
Random bytes fail the first rule within a few codes while the table is filling, and the
exact pixel count almost always. Once the table is full every 12-bit code is valid, so
foreign bytes that begin after it filled are caught only at the next clear code or by the
count, often kilobytes later (and a clear code among them resets the table, after which
the next ones fail at once): the decode is trusted only up to where the table last filled.
Only the length of each table entry is kept, so the check needs no pixel memory. The walk
is the C extension `_gif_lzw` (tested against a plain Python one in tests/carve).
"""

from __future__ import annotations

from scanner.carve._gif_lzw import lzw_error as _lzw_error


def lzw_error(data: bytes, min_size: int, pixels: int) -> tuple[int, int] | None:
    """None when `data` (an image's sub-block payloads joined) decodes to exactly `pixels`
    pixels and ends with its end code (or the data ends); else (offset of the first code
    that does not belong to such an image, offset up to which the bytes are surely the
    image's: that one, or where the code table last filled when it ever did)."""
    result: tuple[int, int] | None = _lzw_error(data, min_size, pixels)
    return result
