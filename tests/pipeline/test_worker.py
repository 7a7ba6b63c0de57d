"""Worker-side settings: the small-face grid reaches the model analyser."""

from __future__ import annotations

from scanner.pipeline.tasks import BlobTask
from scanner.pipeline.worker import _analyser
from scanner.types import Locator


def blob_task(grid: int) -> BlobTask:
    settings = {"models": ["face-detect"], "small_face_grid": grid}
    locator = Locator((("raw", "/evidence.img"),))
    return BlobTask("0" * 64, "image/jpeg", 1, locator, settings)


def test_small_face_grid_setting_reaches_the_analyser() -> None:
    plain, tiled = _analyser(blob_task(0)), _analyser(blob_task(2))
    assert (plain.small_faces.grid, tiled.small_faces.grid) == (0, 2)
    assert tiled.decode_side > plain.decode_side  # tiles look at a larger picture
    assert _analyser(blob_task(2)) is tiled  # loaded once per process
