"""Deterministic pictures made from a folder of photos, for calibration and agreement runs.

`stills(folder)` decodes every still picture of a folder tree; `variants(pictures, n)`
makes `n` pictures from them: the photos themselves, then flipped, cropped, scaled,
darkened or brightened, rotated, JPEG-recompressed copies and composites of several
photos pasted on a blurred background, chosen by a seeded generator.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from scanner.media.decode import decode_picture

STILL_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
KINDS = ("flip", "crop", "scale", "gamma", "rotate", "jpeg", "composite")


def stills(folder: Path, max_side: int = 1024) -> list[tuple[str, np.ndarray]]:
    """(relative path, RGB) of every decodable still picture under `folder`, sorted."""
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in STILL_SUFFIXES:
            continue
        try:
            found.append(
                (
                    path.relative_to(folder).as_posix(),
                    decode_picture(path.read_bytes(), max_side=max_side),
                )
            )
        except Exception:  # noqa: BLE001 - a picture that does not decode is simply not used
            continue
    return found


def _variant(
    rgb: np.ndarray, kind: str, rng: np.random.Generator, others: Sequence[np.ndarray]
) -> np.ndarray:
    height, width = rgb.shape[:2]
    if kind == "flip":
        return np.ascontiguousarray(rgb[:, ::-1])
    if kind == "crop":
        h, w = int(height * rng.uniform(0.6, 0.9)), int(width * rng.uniform(0.6, 0.9))
        y, x = int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1))
        return np.ascontiguousarray(rgb[y : y + h, x : x + w])
    if kind == "scale":
        factor = rng.uniform(0.4, 0.8)
        size = (max(32, int(width * factor)), max(32, int(height * factor)))
        return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    if kind == "gamma":
        table = (255 * (np.arange(256) / 255) ** rng.uniform(0.6, 1.6)).astype(np.uint8)
        result: np.ndarray = table[rgb]
        return result
    if kind == "rotate":
        return np.ascontiguousarray(np.rot90(rgb, k=int(rng.integers(1, 4))))
    if kind == "jpeg":
        quality = int(rng.integers(30, 70))
        ok, data = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        decoded = cv2.imdecode(data, cv2.IMREAD_COLOR) if ok else None
        return rgb if decoded is None else np.ascontiguousarray(decoded[:, :, ::-1])
    return _composite(rgb, rng, others)


def _composite(
    rgb: np.ndarray, rng: np.random.Generator, others: Sequence[np.ndarray]
) -> np.ndarray:
    """Up to four photos pasted on a blurred, enlarged copy of `rgb` (1600×1200)."""
    canvas = cv2.GaussianBlur(cv2.resize(rgb, (1600, 1200)), (0, 0), 12)
    for slot in range(int(rng.integers(1, 5))):
        face = others[int(rng.integers(len(others)))]
        width = int(rng.integers(250, 400))
        height = min(1100, max(32, int(width * face.shape[0] / face.shape[1])))
        small = cv2.resize(face, (width, height), interpolation=cv2.INTER_AREA)
        x, y = slot * 390 + int(rng.integers(0, 20)), int(rng.integers(0, 1200 - height + 1))
        canvas[y : y + height, x : x + width] = small
    return canvas


def variants(
    pictures: Sequence[tuple[str, np.ndarray]], count: int, seed: int = 17
) -> Iterator[tuple[str, np.ndarray]]:
    """`count` (name, RGB) pictures: every picture as it is, then seeded variants."""
    if not pictures:
        return
    rng = np.random.default_rng(seed)
    others = [rgb for _, rgb in pictures]
    for index in range(count):
        name, rgb = pictures[index % len(pictures)]
        if index < len(pictures):
            yield name, rgb
            continue
        kind = KINDS[int(rng.integers(len(KINDS)))]
        yield f"{name}#{index}-{kind}", _variant(rgb, kind, rng, others)
