"""case stage of dftriage (see ARCHITECTURE.md)."""
