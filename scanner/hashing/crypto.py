"""MD5, SHA-1 and SHA-256 of one content in a single read pass.

hashlib releases the GIL for large updates, so SHA-1 and SHA-256 run on a helper
thread while MD5 (the slowest of the three here) runs on the caller's: a pass costs
about as much as MD5 alone.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE = 1 << 20
_PARALLEL_MIN = 1 << 16
_HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


@dataclass(frozen=True)
class CryptoHashes:
    """Lower-case hex digests of one content."""

    md5: str
    sha1: str
    sha256: str

    def __post_init__(self) -> None:
        for name, length in _HEX_LENGTHS.items():
            value = getattr(self, name)
            if len(value) != length or value != value.lower():
                raise ValueError(
                    f"expected {length} lower-case hex digits for {name}, got {value!r}"
                )
            int(value, 16)


def _helper() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dftriage-hash")
        return _pool


def _update_two(first: hashlib._Hash, second: hashlib._Hash, chunk: bytes) -> None:
    first.update(chunk)
    second.update(chunk)


def hash_chunks(chunks: Iterable[bytes], parallel: bool = True) -> CryptoHashes:
    """All three digests of the concatenated chunks, reading each chunk once."""
    md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
    for chunk in chunks:
        if parallel and len(chunk) >= _PARALLEL_MIN:
            future = _helper().submit(_update_two, sha1, sha256, chunk)
            md5.update(chunk)
            future.result()
        else:
            md5.update(chunk)
            sha1.update(chunk)
            sha256.update(chunk)
    return CryptoHashes(md5.hexdigest(), sha1.hexdigest(), sha256.hexdigest())


def hash_bytes(data: bytes) -> CryptoHashes:
    """All three digests of an in-memory content."""
    view = memoryview(data)
    return hash_chunks(view[i : i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE))  # type: ignore[misc]


def read_chunks(path: str | Path, chunk_size: int = CHUNK_SIZE) -> Iterable[bytes]:
    """A file's content as chunks (streaming; memory stays bounded)."""
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def hash_file(path: str | Path) -> CryptoHashes:
    """All three digests of a file, streamed."""
    return hash_chunks(read_chunks(path))


def sha256_file(path: str | Path) -> str:
    """SHA-256 alone of a file, streamed (set sources, model files, the case manifest)."""
    digest = hashlib.sha256()
    for chunk in read_chunks(path):
        digest.update(chunk)
    return digest.hexdigest()
