"""The PDQ index is exact: same answers as a brute-force scan, for any radius and batch."""

from __future__ import annotations

import numpy as np
import pytest

from scanner.knownsets.pdq_index import PdqIndex, hex_to_words


def brute(words: np.ndarray, queries: np.ndarray, radius: int) -> set[tuple[int, int, int]]:
    dist = np.bitwise_count(queries[:, None, :] ^ words[None, :, :]).sum(axis=2)
    q, r = np.nonzero(dist <= radius)
    return {(int(a), int(b), int(dist[a, b])) for a, b in zip(q, r, strict=True)}


def flip(row: np.ndarray, bits: np.ndarray) -> np.ndarray:
    as_bits = np.unpackbits(row.view(np.uint8))
    as_bits[bits] ^= 1
    return np.packbits(as_bits).view(np.uint64)


@pytest.mark.parametrize("radius", [0, 1, 15, 16, 31, 32, 40, 47, 60])
def test_exact_against_brute_force(radius: int) -> None:
    rng = np.random.default_rng(radius)
    words = rng.integers(0, 2**64, size=(6000, 4), dtype=np.uint64)
    queries = rng.integers(0, 2**64, size=(300, 4), dtype=np.uint64)
    for i in range(200):  # planted neighbours at every distance up to radius + 3
        k = int(rng.integers(0, radius + 4))
        queries[i] = flip(words[rng.integers(len(words))].copy(), rng.choice(256, k, replace=False))
    words[100:110] = words[99]  # duplicates must all be found
    queries[250] = words[99]
    hits = PdqIndex(words).search(queries, radius)
    found = set(zip(hits.query.tolist(), hits.row.tolist(), hits.distance.tolist(), strict=True))
    assert found == brute(words, queries, radius)
    assert len(found) == len(hits.query)  # no pair twice


def test_clustered_bits_still_exact() -> None:
    """Hashes sharing whole 16-bit chunks (real PDQ is not uniform) do not fool the index."""
    rng = np.random.default_rng(5)
    words = rng.integers(0, 2**64, size=(3000, 4), dtype=np.uint64)
    words[:, 0] = words[0, 0]  # 4 chunks identical everywhere
    queries = words[:50].copy()
    queries[:, 1] ^= np.uint64(0xFFFF)  # 16 bits off in one chunk
    hits = PdqIndex(words).search(queries, 31)
    found = set(zip(hits.query.tolist(), hits.row.tolist(), hits.distance.tolist(), strict=True))
    assert found == brute(words, queries, 31)


def test_single_query_and_empty_index() -> None:
    words = hex_to_words(["00" * 32, "ff" * 32])
    hits = PdqIndex(words).search(hex_to_words(["00" * 31 + "07"]), 31)
    assert (hits.query.tolist(), hits.row.tolist(), hits.distance.tolist()) == ([0], [0], [3])
    empty = PdqIndex(np.zeros((0, 4), dtype=np.uint64)).search(words, 31)
    assert empty.query.size == 0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"expected uint64 array of shape \(N, 4\)"):
        PdqIndex(np.zeros((3, 32), dtype=np.uint8))
    with pytest.raises(ValueError, match="64 hex digits"):
        hex_to_words(["abcd"])
    with pytest.raises(ValueError, match="radius"):
        PdqIndex(hex_to_words(["00" * 32])).search(hex_to_words(["00" * 32]), 300)
