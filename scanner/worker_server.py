"""The forkserver that worker processes start from, started as early as possible.

Workers start from a clean process, not from the scan's, which may already hold
onnxruntime thread pools (forking a threaded process can deadlock a child). The
forkserver imports what every worker needs once; started before the scan imports its own
modules, that import runs on the other core meanwhile.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing import forkserver
from multiprocessing.context import ForkServerContext

# One compute thread per worker process: the pool already fills every core, and BLAS
# threads spin-waiting for a core the other worker holds made hashing several times slower.
WORKER_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
# What every worker imports (scipy.fftpack: imagehash's pHash imports it on first use);
# none of them starts a thread on import, so the forkserver stays safe to fork.
WORKER_MODULES = ["scanner.workers", "scanner.analysis_stage", "scipy.fftpack"]


def worker_context() -> ForkServerContext:
    """The forkserver context, its server started (once) with the worker modules loaded."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_MODULES)
    os.environ.update(WORKER_ENVIRONMENT)  # before the server starts: workers inherit it
    forkserver.ensure_running()
    return context
