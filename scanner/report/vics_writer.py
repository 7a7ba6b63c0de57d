"""vics.json: VICS 2.0 Media records (Project VIC) for every matched or flagged blob.

Category is the examiner's (`dftriage review`, a VICS number) where there is one, else
taken from a known-set match whose category is a VICS number, else 0 (uncategorised).
IsPrecategorized is always false (no record comes graded from a hash set import). Blobs the
examiner decided on are included; their decisions are in Comments, and a face named as a
victim sets VictimIdentified.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from scanner.report.decided import by_blob, category, summary
from scanner.report.registry import WRITERS, WriteContext
from scanner.report.text import write_text

FILE_NAME = "vics.json"
ODATA_CONTEXT = "http://github.com/ICMEC/ProjectVic/DataModels/2.0.xml/CUSTOM/$metadata#Media"


@WRITERS.decorator("vics", "vics.json: a VICS media record per blob with a set match or a finding")
def write_vics(model: dict[str, Any], case_dir: Path, context: WriteContext) -> Path:
    """Write one Media record per blob that has a set match or a finding."""
    decided = by_blob(model)
    flagged = [
        blob
        for blob in model["blobs"]
        if blob["matches"] or blob["findings"] or blob["sha256"] in decided
    ]
    records = [media_record(number, blob) for number, blob in enumerate(flagged, start=1)]
    for record, blob in zip(records, flagged, strict=True):
        _add_decisions(record, decided.get(blob["sha256"], []))
    document = {"@odata.context": ODATA_CONTEXT, "value": records}
    text = json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    return write_text(case_dir / FILE_NAME, text)


def media_record(media_id: int, blob: dict[str, Any]) -> dict[str, Any]:
    """The VICS Media record of one blob."""
    hash_matches = [m for m in blob["matches"] if m["set_kind"] != "victim"]
    return {
        "MediaID": media_id,
        "Category": _category(hash_matches),
        "MD5": blob["md5"].upper(),
        "SHA1": blob["sha1"].upper(),
        "MediaSize": blob["size"],
        "IsPrecategorized": False,
        "VictimIdentified": any(m["set_kind"] == "victim" for m in blob["matches"]),
        "OffenderIdentified": False,
        "Series": "; ".join(sorted({m["label"] for m in hash_matches if m["label"]})),
        "Tags": "; ".join(sorted({f["category"] for f in blob["findings"]})),
        "AlternativeHashes": _alternative_hashes(blob),
        "MediaFiles": [_media_file(location) for location in blob["locations"]],
    }


def _add_decisions(record: dict[str, Any], decisions: list[dict[str, Any]]) -> None:
    """The examiner's decisions: category, victim identified, and all of them as Comments."""
    if not decisions:
        return
    chosen = category(decisions)
    if chosen is not None and chosen.isdigit():
        record["Category"] = int(chosen)
    if any(d["decision"] == "victim" for d in decisions):
        record["VictimIdentified"] = True
    record["Comments"] = summary(decisions)


def _category(matches: list[dict[str, Any]]) -> int:
    numbers = [int(m["category"]) for m in matches if str(m["category"] or "").isdigit()]
    return numbers[0] if numbers else 0


def _alternative_hashes(blob: dict[str, Any]) -> list[dict[str, str]]:
    hashes = [("SHA256", blob["sha256"]), ("PDQ", blob["pdq"])]
    return [{"HashName": name, "HashValue": value} for name, value in hashes if value]


def _media_file(location: dict[str, Any]) -> dict[str, Any]:
    """Where the blob was found; a carved blob has no name, its path is its locator."""
    if location["carved"]:
        return {"FileName": "", "FilePath": location["locator"]}
    path = location["path"]
    name = PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name
    return {"FileName": name, "FilePath": path}
