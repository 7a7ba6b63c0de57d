"""Writing VICS 2.0 JSON (`$metadata#Media`), streamed record by record.

Used by the report writer (matched items) and by `dftriage sets export`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"


@dataclass(frozen=True)
class VicsMedia:
    """One VICS 2.0 Media record; hashes are hex (written upper-case as VICS does)."""

    media_id: int | str
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    category: int | str | None = None
    media_size: int | None = None
    file_name: str | None = None
    file_path: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # Series, Tags, VictimIdentified, ...

    def __post_init__(self) -> None:
        if not (self.md5 or self.sha1 or self.sha256 or self.pdq):
            raise ValueError(f"VICS media {self.media_id!r} needs at least one hash")


def media_json(media: VicsMedia) -> dict[str, Any]:
    """The JSON object of one Media record."""
    out: dict[str, Any] = {"MediaID": media.media_id}
    if media.category is not None:
        out["Category"] = _category(media.category)
    if media.md5:
        out["MD5"] = media.md5.upper()
    if media.sha1:
        out["SHA1"] = media.sha1.upper()
    if media.media_size is not None:
        out["MediaSize"] = int(media.media_size)
    alternatives = []
    if media.sha256:
        alternatives.append({"HashName": "SHA256", "HashValue": media.sha256.upper()})
    if media.pdq:
        alternatives.append({"HashName": "PDQ", "HashValue": media.pdq.lower()})
    if alternatives:
        out["AlternativeHashes"] = alternatives
    if media.file_name or media.file_path:
        out["MediaFiles"] = [
            {k: v for k, v in (("FileName", media.file_name), ("FilePath", media.file_path)) if v}
        ]
    for key, value in media.extra.items():
        out.setdefault(key, value)
    return out


def _category(value: int | str) -> int | str:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def export_vics(records: Iterable[VicsMedia | Mapping[str, Any]], out: TextIO) -> None:
    """Write VICS 2.0 JSON to a text stream; mappings are taken as VicsMedia fields."""
    out.write('{"@odata.context": ' + json.dumps(CONTEXT) + ',\n "value": [')
    first = True
    for record in records:
        media = record if isinstance(record, VicsMedia) else VicsMedia(**record)
        out.write(
            ("\n  " if first else ",\n  ") + json.dumps(media_json(media), ensure_ascii=False)
        )
        first = False
    out.write("\n ]\n}\n")
