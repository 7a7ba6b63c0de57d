"""Decode pictures straight to analysis size: libjpeg DCT scaling for large JPEGs.

`decode_picture(data, max_side=...)` asks Pillow's draft mode for a size that covers
the requested square, so a 4000×3000 JPEG asked for 1024 pixels decodes at 1/2 scale.
Here the scale is chosen on the longer side (down to 90 % of `max_side`), so the same
JPEG decodes at 1/4 scale (1000×750), four times fewer pixels, with no visible loss
for detectors whose own input is smaller still.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import Image, ImageOps

from scanner.media.decode import DEFAULT_MAX_PIXELS, MediaError, decode_picture

SLACK = 0.9


def decode_reduced(data: bytes, max_side: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """RGB uint8 (H, W, 3) with the longer side at most `max_side`, EXIF orientation applied.

    Pictures above `max_pixels` are refused before decoding (MediaError), like every
    undecodable input.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "JPEG" or image.mode not in ("RGB", "L", "YCbCr"):
                return decode_picture(data, max_pixels=max_pixels, max_side=max_side)
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > max_pixels:
                raise MediaError(
                    f"picture of {width}x{height} pixels exceeds the budget of {max_pixels}"
                )
            factor = 1
            while factor < 8 and max(width, height) / (factor * 2) >= SLACK * max_side:
                factor *= 2
            image.draft("RGB", (math.ceil(width / factor), math.ceil(height / factor)))
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            rgb: np.ndarray = np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except MediaError:
        raise
    except Exception as exc:  # Pillow raises many types on hostile input
        raise MediaError(f"cannot decode picture: {exc}") from exc
    longest = max(rgb.shape[:2])
    if longest > max_side:
        ratio = max_side / longest
        size = (max(1, round(rgb.shape[1] * ratio)), max(1, round(rgb.shape[0] * ratio)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb)
