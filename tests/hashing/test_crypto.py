"""One-pass MD5/SHA-1/SHA-256 against hashlib and coreutils."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.hashing.crypto import CryptoHashes, hash_bytes, hash_chunks, hash_file


def reference(data: bytes) -> CryptoHashes:
    return CryptoHashes(
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=70000), max_size=6))
def test_chunks_equal_whole(chunks: list[bytes]) -> None:
    assert hash_chunks(chunks) == reference(b"".join(chunks))
    assert hash_chunks(chunks, parallel=False) == reference(b"".join(chunks))


def test_empty_content() -> None:
    assert hash_chunks([]).md5 == "d41d8cd98f00b204e9800998ecf8427e"


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils absent")
def test_file_matches_coreutils(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 20000)
    got = hash_file(path)
    for name in ("md5", "sha1", "sha256"):
        out = subprocess.run([f"{name}sum", str(path)], capture_output=True, text=True, check=True)
        assert getattr(got, name) == out.stdout.split()[0]
    assert hash_bytes(path.read_bytes()) == got


def test_value_checks() -> None:
    with pytest.raises(ValueError, match="expected 32 lower-case hex digits for md5"):
        CryptoHashes("ABC", "0" * 40, "0" * 64)
