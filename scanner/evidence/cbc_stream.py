"""AES-CBC ciphertext read as plaintext with random access (encrypted phone backups).

CBC decrypts any 16-byte block from the block before it, so a read at any offset costs
one extra block, never a decryption from the start. Used for iTunes backup files (key per
file, IV zero) and the body of an encrypted Android `.ab` (master key and IV).
"""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from scanner.errors import EvidenceError
from scanner.evidence.streams import Stream

BLOCK = 16


class CbcStream:
    """The plaintext of `source` (AES-CBC with `key` and `iv`), `size` bytes of it.

    `size` None: the PKCS#7 padding of the last block decides it (`padding_problem` says
    why not, when the padding is not valid: then all whole blocks are kept)."""

    def __init__(self, source: Stream, key: bytes, iv: bytes, size: int | None = None) -> None:
        if len(key) not in (16, 24, 32) or len(iv) != BLOCK:
            raise EvidenceError("AES-CBC: bad key or IV length")
        self._source = source
        self._key = key
        self._iv = iv
        self._blocks = source.size // BLOCK
        self.padding_problem = ""
        whole = self._blocks * BLOCK
        if size is None:
            size = whole - self._padding()
        elif size > whole:
            raise EvidenceError(f"encrypted data of {source.size} bytes cannot hold {size} bytes")
        self.size = size

    def _padding(self) -> int:
        if self._blocks == 0:
            return 0
        if self._source.size % BLOCK:
            self.padding_problem = f"encrypted data of {self._source.size} bytes is cut off"
            return 0
        last = self._decrypt(self._blocks - 1, self._blocks)
        count = last[-1]
        if not 1 <= count <= BLOCK or last[-count:] != bytes([count]) * count:
            self.padding_problem = "encrypted data does not end in valid padding"
            return 0
        return count

    def _decrypt(self, first: int, end: int) -> bytes:
        """Blocks [first, end) decrypted."""
        start = (first - 1) * BLOCK if first else 0
        data = self._source.read(start, (end - first + (1 if first else 0)) * BLOCK)
        iv = data[:BLOCK] if first else self._iv
        body = data[BLOCK:] if first else data
        body = body[: len(body) - len(body) % BLOCK]
        if not body:
            return b""
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(iv)).decryptor()
        return decryptor.update(body) + decryptor.finalize()

    def read(self, offset: int, length: int) -> bytes:
        end = min(offset + max(0, length), self.size)
        if end <= offset:
            return b""
        first = offset // BLOCK
        plain = self._decrypt(first, -(-end // BLOCK))
        return plain[offset - first * BLOCK : end - first * BLOCK]

    def advise(self, offset: int, length: int) -> None:
        first = offset // BLOCK
        self._source.advise(max(0, first - 1) * BLOCK, length + 2 * BLOCK)
