"""carve stage of dftriage (see ARCHITECTURE.md)."""
