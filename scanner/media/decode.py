"""Decode picture bytes into RGB arrays, refusing decompression bombs."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

DEFAULT_MAX_PIXELS = 100_000_000


class MediaError(ValueError):
    """A picture cannot be decoded (corrupt, truncated, too large, not a picture)."""


def picture_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the header alone, without decoding the pixels."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception as exc:  # Pillow raises many types on hostile input
        raise MediaError(f"not a readable picture: {exc}") from exc


def decode_picture(
    data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS, max_side: int | None = None
) -> np.ndarray:
    """First frame of a picture as an RGB uint8 array (H, W, 3), EXIF orientation applied.

    Pictures above `max_pixels` are refused before decoding. With `max_side`, JPEGs are
    decoded at reduced resolution (libjpeg DCT scaling) and the result is at most that size.
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
            if max_side is not None:
                image.draft("RGB", (max_side, max_side))
            image.load()
            upright: Image.Image = ImageOps.exif_transpose(image) or image
            if max_side is not None and max(upright.size) > max_side:
                upright.thumbnail((max_side, max_side))
            rgb = _to_rgb(upright)
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(f"cannot decode picture: {exc}") from exc
    return np.asarray(rgb, dtype=np.uint8)


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
    return image.convert("RGB")
