"""triage stage of dftriage (see ARCHITECTURE.md)."""
