"""Evidence for the cluster tests (the bundled E01; a folder of pictures with a zip) and
what the process pool concludes from it, computed once per session."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from daskprocs import DaskCluster, scan
from PIL import Image
from test_scan_end_to_end import results

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example.E01"
PICTURES = 120  # enough work for a worker to be killed in the middle of it


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
