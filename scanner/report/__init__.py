"""report stage of dftriage (see ARCHITECTURE.md)."""
