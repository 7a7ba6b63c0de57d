"""Perceptual hashes of pictures and video frames: PDQ (matching), pHash and dHash (dedup).

PDQ hex follows ThreatExchange: the 256 bits of pdqhash's vector joined most-significant
first (element 0 is the top bit of the first hex digit), as ThreatExchange's own Python
hasher writes them. A single PDQ is computed by `pdq_fast` (equal to pdqhash, several
times faster); the 8 dihedral hashes of reference pictures come from pdqhash itself.
Hashes whose quality is below PDQ_MIN_QUALITY are kept, but the matcher does not use them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import imagehash
import numpy as np
import pdqhash
from PIL import Image

from scanner.errors import MediaError
from scanner.hashing.pdq_fast import pdq_bits
from scanner.media.resize import shrink_to_side

PDQ_MIN_QUALITY = 50
DEDUP_SIDE = 128  # pHash/dHash (32x32 and 9x8 inside) are computed on a copy this small
DIHEDRAL_NAMES = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip-vertical",
    "flip-horizontal",
    "rotate90-flip-vertical",
    "rotate90-flip-horizontal",
)


@dataclass(frozen=True)
class PerceptualHashes:
    """PDQ (64 hex digits) with its quality 0..100, pHash and dHash (16 hex digits each)."""

    pdq: str
    pdq_quality: int
    phash: str
    dhash: str

    def __post_init__(self) -> None:
        if len(self.pdq) != 64 or len(self.phash) != 16 or len(self.dhash) != 16:
            raise ValueError(
                "expected 64/16/16 hex digits for pdq/phash/dhash, got "
                f"{len(self.pdq)}/{len(self.phash)}/{len(self.dhash)}"
            )
        if not 0 <= self.pdq_quality <= 100:
            raise ValueError(f"PDQ quality must be within 0..100, got {self.pdq_quality}")


def pdq_bits_to_hex(bits: np.ndarray) -> str:
    """pdqhash's 256-element bit vector as ThreatExchange hex (element 0 = most significant)."""
    flat = np.asarray(bits).astype(np.uint8).ravel()
    if flat.size != 256:
        raise ValueError(f"expected 256 PDQ bits, got {flat.size}")
    return np.packbits(flat, bitorder="big").tobytes().hex()


def pdq_hex_to_bits(hex_hash: str) -> np.ndarray:
    """The inverse of pdq_bits_to_hex."""
    return np.unpackbits(np.frombuffer(bytes.fromhex(hex_hash), dtype=np.uint8), bitorder="big")


def hamming(a: str, b: str) -> int:
    """Hamming distance of two equal-length hex hashes."""
    if len(a) != len(b):
        raise ValueError(f"hashes differ in length: {len(a)} and {len(b)} hex digits")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _pdq_input(rgb: np.ndarray) -> np.ndarray:
    """A C-contiguous (H, W, 3) uint8 array, as pdqhash wants it."""
    array = np.asarray(rgb)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or array.dtype != np.uint8:
        raise ValueError(
            f"expected uint8 array of shape (H, W, 3), got {array.dtype} {array.shape}"
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"picture has no pixels: shape {array.shape}")
    return np.ascontiguousarray(array[:, :, :3])


def pdq_hash(rgb: np.ndarray) -> tuple[str, int]:
    """(PDQ hex, quality) of an RGB picture."""
    bits, quality = pdq_bits(_pdq_input(rgb))
    return pdq_bits_to_hex(bits), quality


def pdq_dihedral(rgb: np.ndarray) -> tuple[list[str], int]:
    """The 8 dihedral PDQ hashes (order of DIHEDRAL_NAMES) and the quality."""
    vectors, quality = pdqhash.compute_dihedral(_pdq_input(rgb))
    return [pdq_bits_to_hex(v) for v in vectors], int(quality)


def perceptual_hashes(rgb: np.ndarray) -> PerceptualHashes:
    """PDQ with quality, pHash and dHash of an RGB picture (H, W, 3) uint8."""
    pdq, quality = pdq_hash(rgb)
    image = Image.fromarray(_dedup_input(_pdq_input(rgb)))
    return PerceptualHashes(
        pdq=pdq,
        pdq_quality=quality,
        phash=_hex(imagehash.phash(image)),
        dhash=_hex(imagehash.dhash(image)),
    )


def _hex(value: imagehash.ImageHash) -> str:
    """The hash as `str(value)` writes it (bits most-significant first), without its
    bit-by-bit Python loop."""
    return np.packbits(value.hash.ravel()).tobytes().hex()


def _dedup_input(rgb: np.ndarray) -> np.ndarray:
    """Grey, area-reduced to DEDUP_SIDE: imagehash's Lanczos on a large picture is slow."""
    return shrink_to_side(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), DEDUP_SIDE)


def video_pdq(
    path: str, fps: float = 1.0, max_frames: int = 7200, max_side: int = 1024
) -> list[tuple[float, str, int]]:
    """PDQ of frames sampled at `fps` (vPDQ-style): (seconds, pdq hex, quality) per frame.

    Raises MediaError when the file cannot be opened as a video or no frame decodes. Frames
    are grabbed in order and only the sampled ones are decoded; at most `max_frames` are
    hashed.
    """
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise MediaError("cannot open as a video")
    try:
        frames = _sample_frames(capture, fps, max_frames, max_side)
    finally:
        capture.release()
    if not frames and max_frames > 0:
        raise MediaError("no decodable frame in the video")
    return frames


def _sample_frames(
    capture: cv2.VideoCapture, fps: float, max_frames: int, max_side: int
) -> list[tuple[float, str, int]]:
    rate = capture.get(cv2.CAP_PROP_FPS) or 0.0
    rate = rate if math.isfinite(rate) and rate > 0 else 25.0
    results: list[tuple[float, str, int]] = []
    next_time, index = 0.0, 0
    while len(results) < max_frames and capture.grab():
        seconds = index / rate
        index += 1
        if seconds + 1e-6 < next_time:
            continue
        ok, frame = capture.retrieve()
        if not ok or frame is None:
            continue
        rgb = shrink_to_side(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), max_side)
        pdq, quality = pdq_hash(rgb)
        results.append((round(seconds, 3), pdq, quality))
        next_time = len(results) / fps
    return results
