"""PictureAnalyser loading rules, per-picture results, video aggregation and bad input."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest

from scanner.errors import MediaError, ModelError
from scanner.inference.analyser import Face, PictureAnalyser, analyse_video
from scanner.media.decode import decode_picture
from scanner.media.video import sample_frames
from tests.inference.inference_support import FACES, face_photo

CLIP = FACES / "face_recognition" / "short_hamilton_clip.mp4"


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory) -> PictureAnalyser:
    return PictureAnalyser.load(
        tasks=("face-detect", "nudity"), home=tmp_path_factory.mktemp("empty-home")
    )


def test_defaults_are_the_bundled_and_built_models(tmp_path: Path) -> None:
    analyser = PictureAnalyser.load(home=tmp_path)
    names = [ref.name for ref in analyser.models]
    assert names[0] == "mtcnn" and names[-1] == "nudenet-320n"
    assert names[1:-1] in ([], ["dlib-resnet-v1"])  # built on first use when dlib's .dat is there
    assert all(len(part) == 64 for ref in analyser.models for part in ref.sha256.split("+"))


def test_missing_optional_model_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        analyser = PictureAnalyser.load(tasks=("face-detect", "deepfake"), home=tmp_path)
    assert [ref.name for ref in analyser.models] == ["mtcnn"]
    assert "no deepfake model available" in caplog.text


def test_explicit_choice_of_a_missing_model_fails(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model named 'arcface-r100'"):
        PictureAnalyser.load(choose={"face-embed": "arcface-r100"}, home=tmp_path)
    with pytest.raises(ModelError, match="is for nudity, not face-detect"):
        PictureAnalyser.load(choose={"face-detect": "nudenet-320n"}, home=tmp_path)
    with pytest.raises(ModelError, match="unknown tasks"):
        PictureAnalyser.load(tasks=("gender",), home=tmp_path)


def test_added_model_is_picked_for_its_task(home: Path) -> None:
    if not (home / "models" / "meso4-df.yaml").is_file():
        pytest.skip("meso4-df not available")
    analyser = PictureAnalyser.load(tasks=("deepfake",), home=home)
    assert [ref.name for ref in analyser.models] == ["mtcnn", "meso4-df"]


def test_analyse_real_photo(defaults: PictureAnalyser) -> None:
    result = defaults.analyse(face_photo("face_recognition/two_people.jpg"))
    assert len(result.faces) == 2
    assert result.nudity is not None and result.nudity < 0.2
    assert any(label.startswith("FACE_") for label, _ in result.nudity_labels)
    assert result.deepfake is None and all(face.embedding is None for face in result.faces)
    assert result.models == defaults.models


def test_bad_arrays_and_tiny_pictures(defaults: PictureAnalyser) -> None:
    with pytest.raises(ValueError, match="expected uint8 shape"):
        defaults.analyse(np.zeros((10, 10), dtype=np.uint8))
    with pytest.raises(ValueError, match="expected uint8 shape"):
        defaults.analyse(np.zeros((10, 10, 3), dtype=np.float32))
    empty = defaults.analyse(np.zeros((1, 1, 3), dtype=np.uint8))
    assert empty.faces == () and empty.nudity is None


def test_face_validates_its_fields() -> None:
    with pytest.raises(ValueError, match=r"expected shape \(5, 2\)"):
        Face((0, 0, 1, 1), np.zeros((4, 2)), 0.9, None, None)
    with pytest.raises(ValueError, match="score"):
        Face((0, 0, 1, 1), np.zeros((5, 2)), 1.5, None, None)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width×height pixels but holds one row: a decompression-bomb probe."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def test_hostile_pictures_are_errors_or_no_faces(defaults: PictureAnalyser, tmp_path: Path) -> None:
    real = (FACES / "face_recognition" / "obama.jpg").read_bytes() if FACES.is_dir() else b""
    for data in (b"", b"\xff\xd8\xff\xe0" + b"\0" * 100, real[: len(real) // 3]):
        try:
            rgb = decode_picture(data)
        except MediaError:
            continue
        defaults.analyse(rgb)  # a truncated JPEG decodes partially: any result, no crash
    from PIL import Image

    with pytest.raises(MediaError, match="exceeds"):
        decode_picture(_png_header_only(30000, 30000), max_pixels=100_000_000)
    for mode in ("CMYK", "I;16", "RGBA", "LA", "P"):
        path = tmp_path / f"x.{'tiff' if mode in ('CMYK', 'I;16') else 'png'}"
        Image.new(mode, (64, 48)).save(path)
        assert defaults.analyse(decode_picture(path.read_bytes())).faces == ()


def test_video_sampling_and_aggregation(defaults: PictureAnalyser) -> None:
    if not CLIP.is_file():
        pytest.skip(f"{CLIP} not available")
    frames = list(sample_frames(str(CLIP), fps=1.0))
    assert 9 <= len(frames) <= 12
    times = [frame.time for frame in frames if not frame.scene_change]
    assert all(later - earlier >= 0.99 for earlier, later in zip(times, times[1:], strict=False))
    result = analyse_video(str(CLIP), defaults, fps=1.0)
    assert len(result.faces) >= len(frames) // 2
    assert all(face.time is not None and 0 <= face.time < 10 for face in result.faces)
    assert result.nudity is not None and result.nudity < 0.2


def test_broken_videos_never_crash(defaults: PictureAnalyser, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0\0\0\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(MediaError):
        analyse_video(str(junk), defaults)
    if not CLIP.is_file():
        return
    truncated = tmp_path / "truncated.mp4"
    data = CLIP.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    try:
        analyse_video(str(truncated), defaults)
    except MediaError:
        pass
    ffmpeg = subprocess.run(["which", "ffmpeg"], capture_output=True, check=False).stdout.strip()
    if ffmpeg:
        corrupted = tmp_path / "corrupted.mp4"
        middle = bytearray(data)
        middle[len(data) // 3 : len(data) // 3 + 20000] = b"\xff" * 20000
        corrupted.write_bytes(bytes(middle))
        result = analyse_video(str(corrupted), defaults)
        assert isinstance(result.faces, tuple)


def test_animated_webp_is_sampled(defaults: PictureAnalyser) -> None:
    path = FACES.parent / "deepfakes" / "ghost" / "orig.webp"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    frames = list(sample_frames(str(path), fps=1.0))
    assert len(frames) >= 2 and frames[0].rgb.ndim == 3
