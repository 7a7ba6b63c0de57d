"""Evidence for the cluster tests (the bundled E01; a folder of pictures with a zip) and
what the process pool concludes from it, computed once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands.test_scan import results
from tests.pipeline.daskprocs import EXAMPLE, PICTURES, DaskCluster, scan, write_pictures


@pytest.fixture(scope="session")
def folder_evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("evidence") / "pictures"
    write_pictures(folder, PICTURES, 18)
    return folder


@pytest.fixture(scope="session")
def pool_results(
    tmp_path_factory: pytest.TempPathFactory, folder_evidence: Path
) -> dict[str, dict[str, list[tuple]]]:
    """The process pool's conclusions: the E01 carved, and the folder."""
    found = {}
    for name, evidence, extra in (
        ("e01", [EXAMPLE], ("--carve",)),
        ("folder", [folder_evidence], ()),
    ):
        case = tmp_path_factory.mktemp(f"pool-{name}")
        done = scan(case, evidence, *extra)
        assert done.returncode == 0, done.stderr
        found[name] = results(case)
        assert found[name]["items"] and found[name]["blobs"]
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    """A scheduler and two workers (no nanny) on 127.0.0.1, for the whole module."""
    running = DaskCluster(tmp_path_factory.mktemp("dask"))
    try:
        yield running.start(2)
    finally:
        running.stop()
