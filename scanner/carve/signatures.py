"""Multi-signature search: every magic number of every selected carver in one vectorised pass.

The buffer is viewed as 16-bit words at even offsets. Every occurrence of a magic of three or
more bytes contains one such word entirely, so a 65,536-entry table of the words that occur
in any magic flags the candidate offsets (about one in 2,000 on random data, none on zeros);
each candidate is then checked against the magics containing that word. Two-byte magics are
also compared at odd offsets. This is several times faster than one `bytes.find` per magic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from scanner.carve.registry import Carver


@dataclass(frozen=True)
class _Magic:
    carver: str
    magic: bytes
    at: int  # offset of the magic from the file start


class SignatureScanner:
    """Finds where files of the given carvers may start in a buffer."""

    def __init__(self, carvers: list[Carver]) -> None:
        self.table = np.zeros(65536, dtype=np.bool_)
        self.by_word: dict[int, list[tuple[_Magic, int]]] = defaultdict(list)
        self.short: list[_Magic] = []
        for carver in carvers:
            for magic, at in carver.signatures:
                if len(magic) < 2:
                    raise ValueError(f"carver {carver.name}: magic {magic!r} is shorter than 2")
                entry = _Magic(carver.name, magic, at)
                if len(magic) == 2:
                    self.short.append(entry)
                for index in range(len(magic) - 1):
                    word = int.from_bytes(magic[index : index + 2], "little")
                    self.table[word] = True
                    self.by_word[word].append((entry, index))

    def starts(self, buffer: bytes, limit: int) -> dict[str, set[int]]:
        """Carver name -> buffer offsets (below `limit`) where its files may start."""
        found: dict[str, set[int]] = defaultdict(set)
        words = np.frombuffer(buffer, dtype="<u2", count=len(buffer) // 2)
        for even in np.flatnonzero(self.table[words]).tolist():
            position = 2 * even
            for entry, index in self.by_word[int(words[even])]:
                self._check(buffer, entry, position - index, limit, found)
        if self.short and len(buffer) > 2:
            odd = np.frombuffer(buffer, dtype="<u2", offset=1, count=(len(buffer) - 1) // 2)
            for entry in self.short:
                word = int.from_bytes(entry.magic, "little")
                for index in np.flatnonzero(odd == word).tolist():
                    self._check(buffer, entry, 2 * index + 1, limit, found)
        return found

    @staticmethod
    def _check(
        buffer: bytes, entry: _Magic, position: int, limit: int, found: dict[str, set[int]]
    ) -> None:
        start = position - entry.at
        if 0 <= start < limit and position >= 0 and buffer.startswith(entry.magic, position):
            found[entry.carver].add(start)
