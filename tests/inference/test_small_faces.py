"""Small faces in large pictures: tiled detection finds what the reduced picture loses."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner.inference.analyser import PictureAnalyser
from scanner.inference.results import Detections
from scanner.inference.tiling import SmallFaces, merge, tile_spans
from scanner.media.decode import decode_picture
from tests.inference.inference_support import face_photo

CANVAS = (2250, 3000)
PLACE = (1500, 2100)  # row, column of the pasted photo's top-left corner


def _analyser(home: Path, grid: int) -> PictureAnalyser:
    return PictureAnalyser.load(("face-detect",), home=home, small_faces=SmallFaces(grid))


def _small_face_jpeg(width: int) -> bytes:
    """A 3000×2250 face-free photo-like JPEG with obama.jpg pasted `width` pixels wide."""
    rng = np.random.default_rng(3)
    canvas = np.clip(rng.normal(120, 25, (*CANVAS, 3)), 0, 255).astype(np.uint8)
    canvas = cv2.GaussianBlur(canvas, (0, 0), 3)
    face = face_photo("face_recognition/obama.jpg")
    height = round(width * face.shape[0] / face.shape[1])
    small = cv2.resize(face, (width, height), interpolation=cv2.INTER_AREA)
    canvas[PLACE[0] : PLACE[0] + height, PLACE[1] : PLACE[1] + width] = small
    ok, data = cv2.imencode(".jpg", canvas[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return data.tobytes()


def test_tile_spans_cover_with_overlap() -> None:
    assert tile_spans(700, 800, 0.2) == [(0, 700)]
    for length in (801, 1080, 1440, 2080, 3001):
        spans = tile_spans(length, 800, 0.2)
        assert spans[0][0] == 0 and spans[-1][1] == length
        assert all(end - start <= 800 for start, end in spans)
        assert all(a[1] - b[0] >= 160 for a, b in zip(spans, spans[1:], strict=False))


def test_small_face_in_a_large_photo_is_found_only_with_tiles(tmp_path: Path) -> None:
    data = _small_face_jpeg(100)  # the face is about 45 px wide: 1.5 % of the longer side
    plain, tiled = _analyser(tmp_path, 0), _analyser(tmp_path, 2)
    assert plain.analyse(decode_picture(data, max_side=plain.decode_side)).faces == ()
    assert tiled.decode_side > plain.decode_side
    rgb = decode_picture(data, max_side=tiled.decode_side)
    faces = tiled.analyse(rgb).faces
    assert len(faces) == 1
    scale = rgb.shape[1] / CANVAS[1]
    x1, y1, x2, y2 = faces[0].box
    assert PLACE[1] * scale <= x1 < x2 <= (PLACE[1] + 100) * scale
    assert PLACE[0] * scale <= y1 < y2 <= (PLACE[0] + 125) * scale
    assert np.isfinite(faces[0].landmarks).all()


def test_tiles_do_not_duplicate_large_faces(tmp_path: Path) -> None:
    rgb = face_photo("face_recognition/two_people.jpg")
    rgb = cv2.resize(rgb, (rgb.shape[1] * 2, rgb.shape[0] * 2), interpolation=cv2.INTER_LINEAR)
    assert len(_analyser(tmp_path, 0).analyse(rgb).faces) == 2
    assert len(_analyser(tmp_path, 3).analyse(rgb).faces) == 2


def test_merge_keeps_main_faces_and_drops_cut_and_repeated_ones() -> None:
    def found(*boxes: tuple[float, float, float, float], score: float = 0.95) -> Detections:
        points = np.zeros((len(boxes), 5, 2))
        return Detections(np.array(boxes, dtype=float), np.full(len(boxes), score), points)

    main = found((100, 100, 300, 300), (250, 250, 400, 400))  # overlapping faces both stay
    cut = found((100, 100, 180, 300), score=0.99)  # the left part of a main face on a tile
    small = found((600, 600, 620, 620), score=0.9)
    again = found((601, 600, 621, 621), score=0.92)  # the same small face on the next tile
    merged = merge(main, [cut, small, again])
    assert merged.boxes.tolist() == [
        [100, 100, 300, 300],
        [250, 250, 400, 400],
        [601, 600, 621, 621],
    ]
    assert len(merge(Detections.empty(), [])) == 0


def test_small_faces_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="grid"):
        SmallFaces(-1)
    with pytest.raises(ValueError, match="overlap"):
        SmallFaces(2, overlap=0.6)
    assert SmallFaces(2).picture_side(800) == 1440
