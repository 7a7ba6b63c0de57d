"""Paths and digests shared by the known-set tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "knownsets"
FACES = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"


def digests(n: int) -> dict[str, str]:
    """The digests the fixtures use for item n (see tests/data/knownsets/make_fixtures.py)."""
    data = f"item-{n}".encode()
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
