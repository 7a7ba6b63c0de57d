"""Scale-out on Dask distributed: the scan's units run as Dask tasks on a cluster.

`--cluster tcp://HOST:8786` (or `tls://…`) uses a running `dask scheduler`; `local:N`
starts a `LocalCluster` of N worker processes. The client's executor (a
concurrent.futures Executor) is handed to `WorkPool`, so the worker functions of the
process pool run unchanged as Dask tasks, bounded in flight, their results stored by
this process as they come; as a Dask task costs thirty times a pool's, a batch of files
and the analyses of its new pictures are one task (`hash_and_analyse`).
`ScanWorkerPlugin` does once per Dask worker what `init_worker` does per pool process.
Imported only when a cluster is asked for.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import dask
from distributed import Client, KilledWorker, LocalCluster
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.security import Security

from scanner import __version__
from scanner.errors import ConfigError, ScannerError
from scanner.evidence.containers import ContainerOptions
from scanner.lib.processes import WORKER_ENVIRONMENT
from scanner.pipeline.tasks import BlobTask, ItemResult, ItemTask
from scanner.pipeline.worker import analyse_blob, hash_items
from scanner.types import BlobAnalysis

log = logging.getLogger(__name__)

PLUGIN_NAME = "dftriage-scan"
CONNECT_SECONDS = 20  # to reach the scheduler
WORKERS_SECONDS = 60  # for at least one worker to be connected
# a task that was running on two workers that died is a poisoned unit (KilledWorker)
ALLOWED_FAILURES = 1
LOST_UNIT: tuple[type[BaseException], ...] = (KilledWorker,)
# Units on a cluster: a Dask task costs milliseconds of CPU and, as a worker gets its
# next task from the scheduler only when it finishes one (worker-saturation 1.0), about
# 10 ms of waiting (bench/scan_cluster.py); a pool's task a tenth of a millisecond. So a
# batch of files is hashed and its new pictures analysed in the same task (about 0.3 s of
# work for 8 MiB of 1280-px JPEGs without models), and small files go up to 1,024 to a
# task (about 0.1 s). Blobs analysed apart (retries, resumed scans) go 4 to a task.
BATCH_ITEMS = 1024
BATCH_BYTES = 8 << 20
BATCH_BLOBS = 4
# a local cluster's background work, for a dashboard nobody watches: the workers' profiler
# (stack samples every 10 ms), event-loop ticks (every 20 ms) and system and memory
# monitors, every second or less often (an idle local:2 used 4-5 % of a core, 1 % so)
QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}
# the blobs a worker analysed during this scan: not analysed again when seen again
# (their first result already went to the client); cleared when it holds this many
ANALYSED: set[str] = set()
ANALYSED_LIMIT = 1 << 20


@dataclass(frozen=True)
class ClusterSpec:
    """Where the Dask scheduler is, how to reach it, and where workers see the evidence."""

    address: str  # tcp://HOST:PORT, tls://HOST:PORT or local:N
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    path_map: tuple[tuple[str, str], ...] = ()  # (as seen here, as seen by the workers)

    def __post_init__(self) -> None:
        scheme = self.address.partition("://")[0] if "://" in self.address else ""
        tls = (self.tls_ca, self.tls_cert, self.tls_key)
        if self.local_workers is None and scheme not in ("tcp", "tls"):
            raise ConfigError(
                f"--cluster {self.address!r}: expected tcp://HOST:PORT, tls://HOST:PORT or local:N"
            )
        if scheme == "tls" and not all(tls):
            raise ConfigError(
                "--cluster tls://…: give --cluster-tls-ca, --cluster-tls-cert and --cluster-tls-key"
            )
        if scheme != "tls" and any(tls):
            raise ConfigError("--cluster-tls-* options need a tls:// cluster address")

    @property
    def local_workers(self) -> int | None:
        """N for `local:N`, else None."""
        kind, _, count = self.address.partition(":")
        if kind != "local":
            return None
        if not count.isdigit() or int(count) < 1:
            raise ConfigError(f"--cluster {self.address!r}: expected local:N with N >= 1")
        return int(count)

    def security(self) -> Security | None:
        if not self.tls_ca:
            return None
        return Security(
            tls_ca_file=self.tls_ca,
            tls_client_cert=self.tls_cert,
            tls_client_key=self.tls_key,
            require_encryption=True,
        )


def parse_path_map(pairs: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """`--path-map LOCAL=REMOTE` arguments: evidence under LOCAL here is REMOTE on workers."""
    mapped = []
    for pair in pairs:
        local, sep, remote = pair.partition("=")
        if not sep or not local.startswith("/") or not remote.startswith("/"):
            raise ConfigError(f"--path-map {pair!r}: expected LOCAL=REMOTE, two absolute paths")
        mapped.append((os.path.abspath(local), remote))
    return tuple(mapped)


def analyse_blobs(tasks: tuple[BlobTask, ...]) -> list[BlobAnalysis]:
    """`analyse_blob` over a batch: one Dask task for several blobs."""
    return [analyse_blob(task) for task in tasks]


def hash_and_analyse(settings: dict[str, Any], tasks: tuple[ItemTask, ...]) -> list[ItemResult]:
    """`hash_items` over a batch, and `analyse_blob` of every picture or video in it that
    this worker has not analysed yet, attached to its item: one Dask task for a batch and
    its analyses instead of one more per few blobs. The client keeps an analysis only for a
    blob new to the case; a new blob that comes without one is analysed the usual way."""
    return [_with_analysis(result, settings) for result in hash_items(tasks)]


def _with_analysis(result: ItemResult, settings: dict[str, Any]) -> ItemResult:
    if result.error or not result.is_media or result.sha256 in ANALYSED:
        return result
    if len(ANALYSED) >= ANALYSED_LIMIT:
        ANALYSED.clear()
    ANALYSED.add(result.sha256)
    task = result.task
    blob = BlobTask(result.sha256, result.media_type, task.size, task.locator, settings)
    return replace(result, analysis=analyse_blob(blob))


class ScanWorkerPlugin(WorkerPlugin):
    """Once per Dask worker: the scan's container options (the password held in memory
    only), the evidence roots, one compute thread, quiet decoders; models are loaded once
    per worker process on first use (worker.CONTEXT keeps them between tasks)."""

    def __init__(self, options: ContainerOptions, roots: dict[str, str], scan_pid: int) -> None:
        self.options, self.roots, self.scan_pid = options, roots, scan_pid
        self.version = __version__

    def __repr__(self) -> str:  # never the options: they hold the password
        return f"ScanWorkerPlugin(version={self.version})"

    def setup(self, worker: Any) -> None:
        from scanner import __version__ as here
        from scanner.pipeline.worker import init_worker

        if here != self.version:
            raise ScannerError(f"worker runs dftriage {here}, the scan {self.version}")
        if worker.state.nthreads != 1:
            raise ScannerError(
                f"Dask worker {worker.address} has {worker.state.nthreads} threads: start"
                " workers with --nthreads 1 (use --nworkers for more processes)"
            )
        init_worker(self.scan_pid, self.options, self.roots)  # one cv2 thread, quiet PIL
        ANALYSED.clear()  # a remote worker outlives scans

    def teardown(self, worker: Any) -> None:
        from scanner.pipeline.worker import CONTEXT

        CONTEXT.resolver.close()


@contextmanager
def cluster_executor(
    spec: ClusterSpec, options: ContainerOptions
) -> Iterator[tuple[Executor, int]]:
    """A Dask executor on the cluster of `spec`, its workers set up for this scan, and the
    number of task slots (worker threads) it has."""
    settings = {
        # a local scheduler's: one task per worker thread, so that only the unit running
        # on a worker that dies is suspected, and a second death makes it KilledWorker
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        "distributed.scheduler.worker-saturation": 1.0,
        "distributed.worker.multiprocessing-method": "forkserver",  # the scan's, preloaded
        **QUIET,
    }
    if not logging.getLogger().isEnabledFor(logging.DEBUG):  # Dask's INFO lines only with -v
        logging.getLogger("distributed").setLevel(logging.WARNING)
    with dask.config.set(settings), _client(spec) as client:
        slots = _slots(client, spec.address)
        # a local cluster's workers end with this process, as the pool's do
        pid = os.getpid() if spec.local_workers else 0
        plugin = ScanWorkerPlugin(options, dict(spec.path_map), pid)
        try:
            client.register_plugin(plugin, name=PLUGIN_NAME)
        except ScannerError as exc:
            raise ScannerError(f"Dask worker set-up failed: {exc}") from exc
        log.info("cluster %s: %d worker threads", spec.address, slots)
        executor = client.get_executor(pure=False)
        try:
            yield executor, slots
        finally:
            executor.shutdown(wait=False)
            _forget_plugin(client)  # the scheduler holds the password until then


@contextmanager
def _client(spec: ClusterSpec) -> Iterator[Client]:
    """A client of the scheduler at `spec.address`, or of a new local cluster."""
    local = spec.local_workers
    cluster: LocalCluster | None = None
    try:
        if local is not None:
            cluster = LocalCluster(
                n_workers=local,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                env=dict(WORKER_ENVIRONMENT),
            )
            client = Client(cluster, timeout=CONNECT_SECONDS)
        else:
            client = Client(spec.address, security=spec.security(), timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, RuntimeError) as exc:  # RuntimeError: a worker did not start
        if cluster is not None:
            cluster.close()
        raise ScannerError(f"cannot reach the Dask cluster at {spec.address}: {exc}") from exc
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _slots(client: Client, address: str) -> int:
    """Worker threads on the cluster, once at least one worker is connected."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except TimeoutError as exc:
        raise ScannerError(f"no Dask worker joined {address} in {WORKERS_SECONDS} s") from exc
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    return sum(int(w["nthreads"]) for w in workers) or 1


def _forget_plugin(client: Client) -> None:
    try:
        client.unregister_worker_plugin(PLUGIN_NAME)
    except Exception as exc:  # noqa: BLE001 - the scan is over; a stale plugin is no error
        log.debug("could not unregister the worker plugin: %s", exc)
