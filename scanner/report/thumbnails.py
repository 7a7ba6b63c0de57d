"""Small JPEG thumbnails for the HTML report, decoded under a pixel budget."""

from __future__ import annotations

from scanner.errors import MediaError
from scanner.media.decode import decode_picture
from scanner.media.thumbnail import thumbnail_jpeg

THUMBNAIL_MAX_PIXELS = 50_000_000
MAX_INPUT_BYTES = 64 << 20  # pictures larger than this get no thumbnail (memory bound)


def make_thumbnail(
    data: bytes, side: int = 160, max_pixels: int = THUMBNAIL_MAX_PIXELS
) -> bytes | None:
    """A JPEG at most `side` pixels on its longer side, or None if `data` is not a usable picture.

    Pictures above `max_pixels` (decompression bombs) are refused before decoding; the
    thumbnail carries no metadata from the original.
    """
    try:
        pixels = decode_picture(data, max_pixels=max_pixels, max_side=side)
    except MediaError:
        return None
    return thumbnail_jpeg(pixels, side)
