"""Small JPEG thumbnails of decoded pictures, without any metadata of the original."""

from __future__ import annotations

import cv2
import numpy as np

JPEG_QUALITY = 75


def thumbnail_jpeg(rgb: np.ndarray, side: int = 160) -> bytes:
    """A JPEG of `rgb` (H, W, 3) at most `side` pixels on its longer side."""
    height, width = rgb.shape[:2]
    factor = min(1.0, side / max(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if factor < 1 else rgb
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:
        raise ValueError(f"cannot encode a thumbnail of shape {rgb.shape}")
    return encoded.tobytes()
