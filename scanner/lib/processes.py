"""The forkserver that worker processes start from, started as early as possible.

Workers start from a clean process, not from the scan's, which may already hold
onnxruntime thread pools (forking a threaded process can deadlock a child). The
forkserver imports what every worker needs once; started before the scan imports its own
modules, that import runs on the other core meanwhile.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
from multiprocessing import forkserver
from multiprocessing.context import ForkServerContext

# One compute thread per worker process: the pool already fills every core, and BLAS
# threads spin-waiting for a core the other worker holds made hashing several times slower.
# FFmpeg (inside OpenCV) quiet: a damaged video made it print hundreds of lines naming no
# file over the progress bars; the video's own error row says what failed.
WORKER_ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENCV_FFMPEG_LOGLEVEL": "-8",
}


def worker_context(preload: list[str]) -> ForkServerContext:
    """The forkserver context, its server started (once) with `preload` imported (modules
    that start no thread on import, so the server stays safe to fork)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload)
    os.environ.update(WORKER_ENVIRONMENT)  # before the server starts: workers inherit it
    forkserver.ensure_running()
    return context


EXIT_ORPHANED = 70  # a worker's exit code when the scan that started it is gone


def exit_with(pid: int) -> None:
    """Make this worker process exit as soon as process `pid` (the scan) ends, even when it
    is killed with SIGKILL or by the OOM killer: a pool worker otherwise waits for work from
    the dead scan forever, and keeps the forkserver (and the evidence files) open with it.
    Linux pidfd; elsewhere workers still end with a scan that exits normally."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(EXIT_ORPHANED)
    except (AttributeError, OSError):
        return
    threading.Thread(target=_exit_when_ended, args=(handle,), name="exit-with", daemon=True).start()


def _exit_when_ended(handle: int) -> None:
    select.select([handle], [], [])  # a pidfd turns readable when its process ends
    os._exit(EXIT_ORPHANED)
