"""Parsing and checking hex hash values taken from sources."""

from __future__ import annotations

import string

from scanner.knownsets.model import HASH_BYTES

_HEX = frozenset(string.hexdigits)
_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256"}


def parse_hash(value: object, method: str) -> bytes:
    """Hex text to bytes for `method`, or ValueError naming what is wrong."""
    if not isinstance(value, str):
        raise ValueError(f"{method.upper()} is not text: {value!r}")
    text = value.strip()
    digits = 2 * HASH_BYTES[method]
    if len(text) != digits:
        raise ValueError(
            f"bad {method.upper()} {_show(text)}: expected {digits} hex digits, got {len(text)}"
        )
    if not _HEX.issuperset(text):
        raise ValueError(f"bad {method.upper()} {_show(text)}: not hexadecimal")
    return bytes.fromhex(text)


def optional_hash(value: object, method: str) -> bytes | None:
    """Like parse_hash, but None/empty gives None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_hash(value, method)


def method_for_length(text: str) -> str | None:
    """md5/sha1/sha256 from a hex string's length, or None."""
    return _BY_LENGTH.get(len(text))


def is_hex(text: str) -> bool:
    return bool(text) and _HEX.issuperset(text)


def _show(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")
