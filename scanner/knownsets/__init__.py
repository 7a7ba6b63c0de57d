"""knownsets stage of dftriage (see ARCHITECTURE.md)."""
