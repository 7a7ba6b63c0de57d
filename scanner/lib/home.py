"""The data directory (`$DFTRIAGE_HOME`) that holds imported sets and added models."""

import os
from pathlib import Path


def data_home() -> Path:
    """`$DFTRIAGE_HOME`, else `~/.local/share/dftriage`; created on first use."""
    root = os.environ.get("DFTRIAGE_HOME") or Path.home() / ".local" / "share" / "dftriage"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path
