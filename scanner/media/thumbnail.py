"""Small JPEG thumbnails of decoded pictures, without any metadata of the original."""

from __future__ import annotations

import cv2
import numpy as np

from scanner.media.resize import shrink_to_side

JPEG_QUALITY = 75


def thumbnail_jpeg(rgb: np.ndarray, side: int = 160) -> bytes:
    """A JPEG of `rgb` (H, W, 3) at most `side` pixels on its longer side."""
    small = shrink_to_side(rgb, side)
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:
        raise ValueError(f"cannot encode a thumbnail of shape {rgb.shape}")
    return encoded.tobytes()
