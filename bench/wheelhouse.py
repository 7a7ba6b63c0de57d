"""Air-gapped installation, both steps, timed: a wheelhouse made online, installed offline.

    python bench/wheelhouse.py [--keep]

1. Connected machine (PyPI only; no pip configuration file, no find-links, no cache):
   `python -m build` makes the sdist and wheel of this checkout, then `pip wheel` puts
   dftriage and every dependency into a wheelhouse as wheels (face_recognition_models is
   an sdist: pip builds it into a wheel there).
2. Workstation: a fresh venv (no system site-packages), `pip install --no-index
   --find-links WHEELHOUSE dftriage` with the HTTP(S) proxies pointed at a closed port, so
   any network access fails; then, from an empty folder and a private $DFTRIAGE_HOME,
   `dftriage models list` and `dftriage example --case CASE --json`.
Prints the time of each step and the sizes of the dist, the wheelhouse and the venv.
Everything happens in one temporary folder (removed at the end unless --keep).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLOSED = "http://127.0.0.1:9"


def pip_env(offline: bool) -> dict[str, str]:
    """The environment without pip configuration; offline: every proxy points nowhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k == "PIP_CERT"}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if offline:
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            env[name] = CLOSED
        env.pop("no_proxy", None)
        env.pop("NO_PROXY", None)
    return env


def timed(
    label: str, command: list[str], env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs `command`, prints its wall time; stops the bench if it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{label} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    print(f"{label:<42} {seconds:7.1f} s")
    return done


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="dftriage-wheelhouse-"))
    dist, wheelhouse, venv, work = root / "dist", root / "wheelhouse", root / "venv", root / "work"
    online = pip_env(offline=False)
    print(f"folder: {root}")

    build = [sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)]
    timed("1a python -m build (sdist + wheel)", build, online)
    wheel = next(dist.glob("dftriage-*.whl"))
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-cache-dir", "--wheel-dir"]
    timed(
        "1b pip wheel (dftriage + dependencies)", [*pip_wheel, str(wheelhouse), str(wheel)], online
    )
    built = sorted(p.name for p in wheelhouse.glob("*.whl"))

    offline = pip_env(offline=True)
    timed("2a python -m venv", [sys.executable, "-m", "venv", str(venv)], offline)
    install = [str(venv / "bin" / "pip"), "install", "--no-index", "--find-links", str(wheelhouse)]
    timed("2b pip install --no-index dftriage", [*install, "dftriage"], offline)
    work.mkdir()
    run_env = {**offline, "DFTRIAGE_HOME": str(root / "home")}
    dftriage = str(venv / "bin" / "dftriage")
    listed = timed("2c dftriage models list", [dftriage, "models", "list", "--json"], run_env, work)
    example = [dftriage, "example", "--case", str(work / "case"), "--json"]
    scan = timed("2d dftriage example (with models)", example, run_env, work)

    models = [m["name"] for m in json.loads(listed.stdout) if m["present"]]
    finished = json.loads(scan.stdout.splitlines()[-1])
    print(f"dist            {size_mb(dist):8.1f} MB  {sorted(p.name for p in dist.iterdir())}")
    print(f"wheelhouse      {size_mb(wheelhouse):8.1f} MB  {len(built)} wheels")
    biggest = sorted(wheelhouse.glob("*.whl"), key=lambda p: -p.stat().st_size)[:5]
    for path in biggest:
        print(f"    {path.stat().st_size / 1e6:8.1f} MB  {path.name}")
    print(f"venv            {size_mb(venv):8.1f} MB")
    print(f"models present  {models}")
    print(
        f"example scan    exit {scan.returncode}: {finished['items']} items, "
        f"{finished['blobs']} distinct, {finished['errors']} errors"
    )
    if args.keep:
        print(f"kept {root}")
    else:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
