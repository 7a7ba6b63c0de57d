"""report.json: the report model itself, byte-stable (sorted keys, no added timestamps)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.report.registry import WRITERS, WriteContext
from scanner.report.text import write_text

FILE_NAME = "report.json"


@WRITERS.decorator(
    "json", "report.json: the report model itself, byte-stable (sorted keys, no timestamps added)"
)
def write_json(model: dict[str, Any], case_dir: Path, context: WriteContext) -> Path:
    """Write the model as compact JSON with sorted keys, so two runs compare equal (the C
    encoder: indented output goes through json's Python encoder, ten times slower)."""
    text = json.dumps(model, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    return write_text(case_dir / FILE_NAME, text)
