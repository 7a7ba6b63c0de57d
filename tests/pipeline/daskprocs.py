"""A real `dask scheduler` and `dask worker` processes on 127.0.0.1 for the cluster tests,
started as subprocesses and stopped by pid; scans run as `python -m scanner` subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "data" / "example.E01"
PICTURES = 120  # enough work for a worker to be killed in the middle of it


# one task per worker thread, a second worker death makes a task KilledWorker (as local:N)
SCHEDULER_ENV = {
    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
    "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
}
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENCV_FFMPEG_LOGLEVEL": "-8"}


def environment(**extra: str) -> dict[str, str]:
    """This checkout's scanner first on the path of every subprocess."""
    env = dict(os.environ, **WORKER_ENV, **extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@dataclass
class DaskCluster:
    """A scheduler and its workers, all processes of this test run."""

    folder: Path
    tls: tuple[str, ...] = ()  # --tls-ca-file CA --tls-cert CERT --tls-key KEY
    address: str = ""
    scheduler: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, workers: int, *worker_args: str) -> DaskCluster:
        scheduler_file = self.folder / "scheduler.json"
        protocol = ["--protocol", "tls"] if self.tls else []
        self.scheduler = self._spawn(
            "dask_scheduler",
            "scheduler",
            "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
            "--scheduler-file", str(scheduler_file), *protocol, *self.tls,
            env=SCHEDULER_ENV,
        )  # fmt: skip
        self.address = _address(scheduler_file, time.monotonic() + 60)
        for index in range(workers):
            self.add_worker(f"worker-{index}", *worker_args)
        self.wait_for(workers)
        return self

    def add_worker(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        worker = self._spawn(
            "dask_worker",
            name,
            self.address,
            "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1", "--name", name,
            *(args or ("--no-nanny",)), *self.tls,
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def wait_for(self, count: int) -> None:
        """Until `count` workers are connected to the scheduler."""
        from distributed import Client

        with Client(self.address, security=self._security(), timeout=30) as client:
            client.wait_for_workers(count, timeout=90)

    def _security(self) -> object:
        if not self.tls:
            return None
        from distributed.security import Security

        ca, cert, key = self.tls[1], self.tls[3], self.tls[5]
        return Security(
            tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key, require_encryption=True
        )

    def _spawn(self, cli: str, log: str, *args: str, env: dict[str, str] | None = None):
        with open(self.folder / f"{log}.log", "ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", f"distributed.cli.{cli}", *args],
                cwd=self.folder,
                env=environment(**(env or {})),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        """Every process this cluster started, by pid (and its session: a nanny's worker)."""
        for process in [*self.workers, *filter(None, [self.scheduler])]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, *filter(None, [self.scheduler])]:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")


def scan_command(case: Path, evidence: list[Path], *extra: str) -> list[str]:
    """`dftriage scan` without models of `evidence` into `case`."""
    paths = [str(path.resolve()) for path in evidence]
    command = [sys.executable, "-m", "scanner", "scan", *paths, "--case", str(case)]
    return [*command, "--no-models", *extra]


def scan(case: Path, evidence: list[Path], *extra: str) -> subprocess.CompletedProcess[str]:
    command = scan_command(case, evidence, *extra)
    return subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=environment(), cwd=ROOT
    )


def write_pictures(folder: Path, count: int, seed: int) -> None:
    """`count` distinct noisy JPEGs, a copy of the first, a zip of ten, and a text file."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for index in range(count):
        pixels = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
        pixels[:, : 10 + index] //= 2  # not only noise: PDQ differs picture to picture
        Image.fromarray(pixels).save(folder / f"p{index:03}.jpg", quality=85)
    (folder / "copy").mkdir()
    (folder / "copy" / "p000.jpg").write_bytes((folder / "p000.jpg").read_bytes())
    with zipfile.ZipFile(folder / "archive.zip", "w") as archive:
        for index in range(10):
            pixels = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / "member.png")
            archive.write(folder / "member.png", f"DCIM/m{index}.png")
        (folder / "member.png").unlink()
    (folder / "notes.txt").write_text("not a picture\n")


def _address(scheduler_file: Path, deadline: float) -> str:
    """The scheduler's address from its file, once the file is there and written whole
    (the scheduler creates it first and writes it after: a loaded machine sees it empty)."""
    while True:
        try:
            return str(json.loads(scheduler_file.read_text())["address"])
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
