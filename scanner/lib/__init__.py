"""Small helpers every layer may import: registries, time limits."""
