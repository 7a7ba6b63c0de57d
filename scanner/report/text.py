"""Text helpers shared by the writers: evidence strings made safe for each output format."""

from __future__ import annotations

import re
from pathlib import Path

# Characters XML 1.0 forbids (control characters can occur in file names from evidence).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """`value` as text XML 1.0 can carry: forbidden characters become \\xNN / \\uNNNN."""
    return _NOT_XML.sub(_escape, str(value))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def write_text(path: Path, text: str) -> Path:
    """Write `text` as UTF-8 with the line ends given (byte-stable on every platform)."""
    path.write_bytes(text.encode("utf-8"))
    return path


def format_runs(runs: list[list[int]] | None) -> str:
    """Carved byte runs as `0x3000+81920, 0x9000+4096` (offset in hex, length in bytes)."""
    return ", ".join(f"0x{offset:x}+{length}" for offset, length in runs or [])
