"""The GIF LZW check (C) against the plain Python walk written here, on real GIFs made by
Pillow, cut, with random or other pictures' bytes inserted, and on random streams."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.carve.gif_carver import image_data
from scanner.carve.gif_lzw import lzw_error
from scanner.carve.window import Window

from .conftest import BytesReader, encode, photo

MAX_CODES = 4096


def reference(data: bytes, min_size: int, pixels: int) -> tuple[int, int] | None:
    """The check one code at a time (the algorithm of gif_lzw, in Python)."""
    if not 1 <= min_size <= 11:
        return 0, 0
    clear = 1 << min_size
    end_code = clear + 1
    lengths = [1] * clear + [0, 0]
    size = min_size + 1
    previous = -1
    count = buffer = bits = pos = 0
    filled = -1

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


def _images() -> list[tuple[int, int, bytes]]:
    """(code size, pixels, LZW data) of real GIFs: photos, few colours, two colours."""
    out = []
    for width, height, seed, colours in [(320, 240, 1, 256), (97, 61, 2, 16), (640, 480, 3, 2)]:
        picture = photo(width, height, seed).quantize(colours)
        data = encode(picture, "GIF")
        pos = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
        while data[pos] == 0x21:  # extensions before the image descriptor
            pos += 2
            while data[pos]:
                pos += data[pos] + 1
            pos += 1
        assert data[pos] == 0x2C
        found = image_data(Window(BytesReader(data), 0, len(data)), pos)
        assert found is not None
        code_size, pixels, payload, _ = found
        assert reference(payload, code_size, pixels) is None  # a whole image decodes
        out.append((code_size, pixels, payload))
    return out


IMAGES = _images()


def test_real_images_cut_and_spliced_match_the_reference():
    rng = random.Random(3)
    for code_size, pixels, payload in IMAGES:
        assert lzw_error(payload, code_size, pixels) is None
        for _ in range(300):
            at = rng.randrange(len(payload))
            other = rng.choice(IMAGES)[2]
            variants = [
                payload[:at],
                payload[:at] + rng.randbytes(rng.randrange(1, 5000)) + payload[at:],
                payload[:at] + other[rng.randrange(len(other)) :],
                payload[:at] + bytes([rng.randrange(256)]) + payload[at + 1 :],
            ]
            for data in variants:
                for count in (pixels, pixels - 1, pixels + rng.randrange(1, 99)):
                    assert lzw_error(data, code_size, count) == reference(data, code_size, count)


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=3000), min_size=st.integers(0, 13), pixels=st.integers(0, 10**6))
def test_random_streams_match_the_reference(data: bytes, min_size: int, pixels: int):
    assert lzw_error(data, min_size, pixels) == reference(data, min_size, pixels)
