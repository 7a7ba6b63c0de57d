"""hashing stage of dftriage (see ARCHITECTURE.md)."""
