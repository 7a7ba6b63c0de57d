"""report.json: the report model itself, byte-stable (sorted keys, no added timestamps)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.report.registry import WriteContext, writer
from scanner.report.text import write_text

FILE_NAME = "report.json"


@writer("json")
def write_json(model: dict[str, Any], case_dir: Path, context: WriteContext) -> Path:
    """Write the model as indented JSON with sorted keys, so two runs compare equal."""
    text = json.dumps(model, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    return write_text(case_dir / FILE_NAME, text)
