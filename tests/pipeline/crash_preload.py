"""Dask worker preload for the poison test: reading a file named poison.jpg kills the
worker process, as a decoder crash would."""

from __future__ import annotations

import os

from scanner.pipeline import worker

# Dask may import a preload twice: wrap the original only
_hash_item = getattr(worker, "_unpatched_hash_item", worker.hash_item)
worker._unpatched_hash_item = _hash_item  # type: ignore[attr-defined]


def _crashing(task, stream=None):  # type: ignore[no-untyped-def]
    if task.path.endswith("poison.jpg"):
        os._exit(13)
    return _hash_item(task, stream)


worker.hash_item = _crashing
