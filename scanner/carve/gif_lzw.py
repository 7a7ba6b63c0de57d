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
Only the length of each table entry is kept, so the check needs no pixel memory.
"""

from __future__ import annotations

MAX_CODES = 4096


def lzw_error(data: bytes, min_size: int, pixels: int) -> tuple[int, int] | None:
    """None when `data` (an image's sub-block payloads joined) decodes to exactly `pixels`
    pixels and ends with its end code (or the data ends); else (offset of the first code
    that does not belong to such an image, offset up to which the bytes are surely the
    image's: that one, or where the code table last filled when it ever did)."""
    if not 1 <= min_size <= 11:
        return 0, 0
    clear = 1 << min_size
    end_code = clear + 1
    lengths = [1] * clear + [0, 0]
    size = min_size + 1
    previous = -1  # no previous code right after a clear code
    count = 0
    buffer = bits = pos = 0
    filled = -1  # where the table last became full

    def error(at: int) -> tuple[int, int]:
        return at, filled if filled >= 0 else at

    while True:
        while bits < size:
            if pos >= len(data):
                return None if count == pixels else error(len(data))
            buffer |= data[pos] << bits
            bits += 8
            pos += 1
        code = buffer & ((1 << size) - 1)
        buffer >>= size
        bits -= size
        if code == clear:
            lengths, size, previous = lengths[: clear + 2], min_size + 1, -1
            continue
        if code == end_code:
            return None if count == pixels else error(pos - 1)
        table = len(lengths)
        if code > table or (code == table and previous < 0):
            return error(pos - 1)
        if previous >= 0 and table < MAX_CODES:
            lengths.append(lengths[previous] + 1)
            if len(lengths) == 1 << size and size < 12:
                size += 1
            if len(lengths) == MAX_CODES:
                filled = pos
        count += lengths[code]
        if count > pixels:
            return error(pos - 1)
        previous = code
