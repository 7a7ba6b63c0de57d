"""Second opinions on libmagic's guesses for formats that have no magic number."""

from __future__ import annotations

UNKNOWN = "application/octet-stream"
TGA_TYPES = {1, 2, 3, 9, 10, 11}  # colour-mapped, true-colour, grey; + 8: run-length coded
TGA_COLOUR_MAPPED = {1, 9}
TGA_DEPTHS = {8, 15, 16, 24, 32}


def confirm(media_type: str, head: bytes) -> str:
    """`media_type`, or `UNKNOWN` when libmagic's guess contradicts the header.

    TGA has no signature, so libmagic guesses it from a few header bytes and calls tables
    such as NTFS's `$UpCase` (00 00 01 00 02 00 ...) pictures. A real TGA header is
    consistent: a colour-mapped image type has a colour map, the others may not need one,
    the size is not zero and the pixel depth is one TGA knows.
    """
    if media_type != "image/x-tga":
        return media_type
    return media_type if _plausible_tga(head) else UNKNOWN


def _plausible_tga(head: bytes) -> bool:
    if len(head) < 18:
        return False
    colour_map, image_type = head[1], head[2]
    if image_type not in TGA_TYPES or colour_map not in (0, 1):
        return False
    if image_type in TGA_COLOUR_MAPPED and colour_map != 1:
        return False
    width = int.from_bytes(head[12:14], "little")
    height = int.from_bytes(head[14:16], "little")
    return width > 0 and height > 0 and head[16] in TGA_DEPTHS
