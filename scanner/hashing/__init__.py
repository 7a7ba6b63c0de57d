"""Cryptographic and perceptual hashes of pictures and videos (see ARCHITECTURE.md)."""

from scanner.hashing.crypto import CryptoHashes, hash_bytes, hash_chunks, hash_file
from scanner.hashing.perceptual import (
    PDQ_MIN_QUALITY,
    PerceptualHashes,
    hamming,
    pdq_dihedral,
    pdq_hash,
    perceptual_hashes,
    video_pdq,
)

__all__ = [
    "PDQ_MIN_QUALITY",
    "CryptoHashes",
    "PerceptualHashes",
    "hamming",
    "hash_bytes",
    "hash_chunks",
    "hash_file",
    "pdq_dihedral",
    "pdq_hash",
    "perceptual_hashes",
    "video_pdq",
]
