"""Mutated files and random data: no exception escapes, no output leaves its extent,
and random data yields nothing."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scanner.carve.registry import registered
from scanner.carve.window import Window

from .conftest import BytesReader, make_media, random_bytes

MEDIA = make_media()


def _carve_all(data: bytes) -> None:
    window = Window(BytesReader(data), 0, len(data), data, 0)
    for carver in registered():
        for magic, at in carver.signatures:
            index = data.find(magic, at)
            while index != -1:
                found = carver.carve(window, index - at)
                if found is not None:
                    for offset, length in found.runs:
                        assert 0 <= offset and offset + length <= len(data)
                index = data.find(magic, index + 1)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        pos = rng.randrange(len(out))
        action = rng.random()
        if action < 0.5:
            out[pos] = rng.randrange(256)
        elif action < 0.75:
            del out[pos : pos + rng.randint(1, 64)]
        else:
            out[pos:pos] = rng.randbytes(rng.randint(1, 64))
    return bytes(out[: rng.randint(1, len(out))]) if rng.random() < 0.3 else bytes(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(MEDIA)), seed=st.integers(0, 2**32))
@example(name="gif", seed=908)  # a sub-block chain cut where a 4 KiB read ended: past the end
def test_mutated_files_never_raise(name: str, seed: int):
    rng = random.Random(seed)
    _carve_all(rng.randbytes(rng.randint(0, 300)) + _mutate(MEDIA[name], rng) + rng.randbytes(99))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(data: bytes):
    prefixes = [magic for c in registered() for magic, at in c.signatures if at == 0]
    for magic in prefixes:
        _carve_all(magic + data)


def test_random_data_with_magic_numbers_yields_nothing():
    rng = random.Random(5)
    data = bytearray(random_bytes(1 << 20, 11))
    magics = [magic for c in registered() for magic, _ in c.signatures]
    for _ in range(2000):
        magic = rng.choice(magics)
        pos = rng.randrange(len(data) - 16)
        data[pos : pos + len(magic)] = magic
    found = []
    window = Window(BytesReader(bytes(data)), 0, len(data), bytes(data), 0)
    for carver in registered():
        for magic, at in carver.signatures:
            index = data.find(magic, at)
            while index != -1:
                item = carver.carve(window, index - at)
                if item is not None:
                    found.append(item)
                index = data.find(magic, index + 1)
    assert found == []
