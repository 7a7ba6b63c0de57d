"""carve stage of dftriage: signature + structure-validated carvers over extents.

Public API: `carve()` (on the caller's executor; `process_pool()` makes one for a caller
that has none), `CarvedFile`, `Failure`, `all_kinds()`; carvers live one per format
family and register themselves in `CARVERS`, a `Registry` (see registry.py).
"""

from scanner.carve.engine import CarvedFile, carve, process_pool
from scanner.carve.registry import CARVERS, Failure, all_kinds

__all__ = ["CARVERS", "CarvedFile", "Failure", "all_kinds", "carve", "process_pool"]
