"""Processes of a session, for the tests that kill a scan and look for what it left."""

from __future__ import annotations

from pathlib import Path


def session_processes(session: int) -> set[int]:
    """Live processes (not zombies) whose session id is `session`."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == session:
            found.add(int(stat.parent.name))
    return found
