"""Read-only access to evidence: containers, volumes, file systems and carving extents."""
