"""inference stage of dftriage (see ARCHITECTURE.md)."""
