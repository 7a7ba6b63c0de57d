"""carve stage of dftriage: signature + structure-validated carvers over extents.

Public API: `carve()`, `CarvedFile`, `all_kinds()`; carvers live one per format family
and register themselves in `CARVERS` (see registry.py).
"""

from scanner.carve.engine import CarvedFile, carve
from scanner.carve.registry import CARVERS, all_kinds

__all__ = ["CARVERS", "CarvedFile", "all_kinds", "carve"]
