"""The scan's driver: stage order (`engine`), bounded pool (`pool`), the task and result
types both sides share (`tasks`), what runs in worker processes (`worker`), progress."""

# What every worker process imports once, in the forkserver (scipy.fftpack: imagehash's
# pHash imports it on first use; the carvers: the carve stage runs on the same workers);
# none of them starts a thread on import.
WORKER_MODULES = [
    "scanner.pipeline.worker",
    "scanner.analyse.picture",
    "scipy.fftpack",
    "scanner.carve.engine",
]
