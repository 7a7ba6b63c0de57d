"""PDQ of a face: the face aligned on its five landmarks, hashed like a picture.

A face copied from a victim's reference photo into another picture (re-encoded, resized,
placed on a new background) keeps a close face hash while the whole-picture PDQ changes
completely: measured here, a reference face re-encoded at quality 50, halved and placed
on a canvas stayed 12 bits away, while other photos and other people were 100-128 away.
"""

from __future__ import annotations

import numpy as np

from scanner.hashing.perceptual import pdq_hash
from scanner.inference.align import ARCFACE_112, align_face

CHIP = 128
FACE_PDQ_MODEL = "pdq-face"  # VictimStore "model" holding reference face hashes (256 bits)


def face_pdq(rgb: np.ndarray, landmarks: np.ndarray) -> tuple[str, int]:
    """(PDQ hex, quality) of the face at `landmarks` (5, 2) in `rgb`."""
    chip = align_face(
        rgb, np.asarray(landmarks, dtype=np.float64), ARCFACE_112 * (CHIP / 112), CHIP
    )
    return pdq_hash(chip)


def pdq_bits(hex_hash: str) -> np.ndarray:
    """The 256 bits of a PDQ hex as a float32 vector (the VictimStore row format)."""
    return np.unpackbits(np.frombuffer(bytes.fromhex(hex_hash), dtype=np.uint8)).astype(np.float32)


def bits_hex(bits: np.ndarray) -> str:
    """The inverse of pdq_bits."""
    return np.packbits(np.asarray(bits) > 0.5).tobytes().hex()
