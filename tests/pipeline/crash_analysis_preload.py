"""Dask worker preload for the poisoned-analysis test: analysing the content of a file
named poison.jpg kills the worker process, as a decoder crash would; hashing it does not."""

from __future__ import annotations

import os

from scanner.pipeline import worker

# Dask may import a preload twice: wrap the original only
_analyse_blob = getattr(worker, "_unpatched_analyse_blob", worker.analyse_blob)
worker._unpatched_analyse_blob = _analyse_blob  # type: ignore[attr-defined]


def _crashing(task):  # type: ignore[no-untyped-def]
    if str(task.locator).endswith("poison.jpg"):
        os._exit(13)
    return _analyse_blob(task)


worker.analyse_blob = _crashing
