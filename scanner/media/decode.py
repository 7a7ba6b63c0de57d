"""Decode picture bytes into RGB arrays, refusing decompression bombs."""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image, ImageOps

from scanner.errors import MediaError
from scanner.media.resize import shrink_to_side

DEFAULT_MAX_PIXELS = 100_000_000
# The pixel budget is enforced here, from the header, before any decoding (max_pixels), so
# Pillow's own fixed decompression-bomb limit is replaced by the configurable one.
Image.MAX_IMAGE_PIXELS = None
EXIF_ORIENTATION = 0x0112


def picture_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the header alone, without decoding the pixels."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception as exc:  # Pillow raises many types on hostile input
        raise MediaError(f"not a readable picture: {_reason(exc)}") from exc


def decode_picture(
    data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS, max_side: int | None = None
) -> np.ndarray:
    """First frame of a picture as an RGB uint8 array (H, W, 3), EXIF orientation applied.

    Pictures above `max_pixels` are refused before decoding. With `max_side`, the result's
    longer side is at most `max_side`: JPEGs are decoded straight at a reduced scale
    (libjpeg DCT scaling down to 90 % of `max_side`, so a 4000x3000 photo asked for 1024
    decodes at 1/4), then shrunk (`shrink_to_side`).
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width <= 0 or height <= 0:
                raise MediaError(f"picture has no pixels ({width}x{height})")
            if width * height > max_pixels:
                raise MediaError(
                    f"picture of {width}x{height} pixels exceeds the budget of {max_pixels}"
                )
            if max_side is not None and image.format == "JPEG":
                factor = _dct_factor(max(width, height), max_side)
                image.draft("RGB", (-(-width // factor), -(-height // factor)))
            image.load()
            upright = _upright(image)
            rgb = np.asarray(_to_rgb(upright), dtype=np.uint8)
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"cannot decode picture: {_reason(exc)}") from exc
    return rgb if max_side is None else shrink_to_side(rgb, max_side)


def _reason(exc: Exception) -> str:
    """Pillow's message without the in-memory file's address (reports stay reproducible)."""
    return re.sub(r"\s*<_io\.BytesIO object at 0x[0-9a-fA-F]+>", "", str(exc)) or type(exc).__name__


def _dct_factor(longest: int, max_side: int) -> int:
    """The largest libjpeg scale-down (1, 2, 4, 8) keeping the longer side >= 90 % of max_side."""
    factor = 1
    while factor < 8 and longest / (factor * 2) >= 0.9 * max_side:
        factor *= 2
    return factor


def _upright(image: Image.Image) -> Image.Image:
    """The picture turned as its EXIF orientation says (no copy when it is already upright)."""
    if image.getexif().get(EXIF_ORIENTATION, 1) in (0, 1):
        return image
    return ImageOps.exif_transpose(image) or image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Flatten alpha on white and convert any mode (P, CMYK, I;16, LA) to RGB."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I;16") or image.mode == "I":
        array = np.asarray(image, dtype=np.float64)
        peak = array.max() or 1.0
        return Image.fromarray((array / peak * 255).astype(np.uint8)).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")
