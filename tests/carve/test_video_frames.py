"""Motion-JPEG videos: their frames are part of the video, not pictures of their own; a
picture that is not exactly one of the frames their index lists is still carved."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.carve import CARVERS
from scanner.carve.window import Window

from .conftest import BytesReader, content, ffmpeg_clip, plant, run_carve

FORMATS = {"mov": "m.mov", "mp4": "m.mp4", "avi": "m.avi"}


@pytest.fixture(scope="module")
def mjpeg(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("mjpeg")
    clips = {kind: ffmpeg_clip(tmp, name, ["-c:v", "mjpeg"]) for kind, name in FORMATS.items()}
    if any(clip is None for clip in clips.values()):
        pytest.skip("ffmpeg cannot make motion-JPEG clips here")
    return clips  # type: ignore[return-value]


def frames(kind: str, clip: bytes) -> tuple[tuple[int, int], ...]:
    """The frame ranges the carver found in the clip's index (none unless it is complete)."""
    window = Window(BytesReader(clip), 0, len(clip), clip, 0)
    found = CARVERS["riff" if kind == "avi" else "isobmff"].carve(window, 0)
    return found.samples if found is not None else ()


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_the_index_lists_every_frame_as_a_whole_jpeg(mjpeg: dict[str, bytes], kind: str):
    ranges = frames(kind, mjpeg[kind])
    assert len(ranges) == 20  # two seconds at ten frames a second
    for offset, length in ranges:
        frame = mjpeg[kind][offset : offset + length]
        assert frame[:3] == b"\xff\xd8\xff" and frame.rstrip(b"\x00")[-2:] == b"\xff\xd9"


@pytest.mark.parametrize("kind", sorted(FORMATS))
@pytest.mark.parametrize("chunk", [16 << 10, 8 << 20])
def test_frames_of_a_complete_video_are_not_carved_again(
    tmp_path: Path, mjpeg: dict[str, bytes], media: dict[str, bytes], kind: str, chunk: int
):
    clip = mjpeg[kind]
    video_at, after = 5000, 5000 + len(clip) + 1000
    image = plant(tmp_path / "img.raw", 1 << 20, {video_at: clip, after: media["jpg"]})
    found = run_carve(image, chunk_size=chunk, workers=2)
    assert [(i.kind, i.offset) for i in found] == [(kind, video_at), ("jpg", after)]
    assert content(image, found[0]) == clip


def test_a_picture_over_a_frame_is_kept_and_a_cut_video_keeps_its_frames(
    tmp_path: Path, mjpeg: dict[str, bytes], media: dict[str, bytes]
):
    clip = mjpeg["mov"]
    offset, length = frames("mov", clip)[5]
    other = media["jpg-other"]  # a later file written over frame 5: not the frame's length
    assert len(other) != length
    image = plant(tmp_path / "img.raw", 1 << 20, {4096: clip, 4096 + offset: other})
    found = run_carve(image)
    assert ("jpg", 4096 + offset) in [(i.kind, i.offset) for i in found]
    assert [i for i in found if i.offset == 4096 + offset][0].valid_length == len(other)

    cut = clip[: len(clip) - 200]  # the index (moov, at the end) is lost: frames stay
    found = run_carve(plant(tmp_path / "cut.raw", 1 << 20, {4096: cut}))
    assert sum(i.kind == "jpg" for i in found) >= 19


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(sorted(FORMATS)), seed=st.integers(0, 2**32))
def test_a_damaged_index_never_raises_nor_points_outside(
    mjpeg: dict[str, bytes], kind: str, seed: int
):
    rng = random.Random(seed)
    clip = bytearray(mjpeg[kind])
    for _ in range(rng.randint(1, 20)):
        low = len(clip) - 4096 if rng.random() < 0.7 else 0  # mostly the index (moov, idx1)
        at = rng.randrange(low, len(clip) - 8)
        clip[at : at + 4] = rng.randbytes(4)  # sizes, counts, offsets: anything
    for offset, length in frames(kind, bytes(clip)):
        assert 0 <= offset and 0 < length and offset + length <= len(clip)
