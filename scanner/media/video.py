"""Sample frames from videos (and animated pictures): `fps` per second plus scene changes.

Videos are decoded sequentially with OpenCV (`cv2.VideoCapture`); animated GIF/WebP/PNG
with Pillow. Every frame is decoded (so scene changes can be seen) but only the
sampled ones are converted and returned, reduced to `max_side`. A broken stream ends
the sampling at the last good frame; a file that yields no frame at all is a MediaError.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageSequence

from scanner.errors import MediaError
from scanner.media.decode import DEFAULT_MAX_PIXELS
from scanner.media.resize import shrink_to_side

DEFAULT_MAX_FRAMES = 600
SCENE_THRESHOLD = 30.0  # mean absolute difference of 32×32 grey thumbnails, 0..255
ANIMATED_SUFFIXES = (".gif", ".webp", ".png", ".apng")


@dataclass(frozen=True)
class VideoFrame:
    """One sampled frame: its index in decode order, time in seconds and RGB pixels."""

    index: int
    time: float
    rgb: np.ndarray
    scene_change: bool = False


class _Sampler:
    """Decides which decoded frames to keep: one per 1/fps seconds, and scene changes."""

    def __init__(self, fps: float, scene_threshold: float) -> None:
        self.period = 1.0 / fps if fps > 0 else float("inf")
        self.scene_threshold = scene_threshold
        self.next_time = 0.0
        self.previous: np.ndarray | None = None

    def wants(self, time: float, bgr_or_rgb: np.ndarray) -> tuple[bool, bool]:
        grey = cv2.resize(bgr_or_rgb, (32, 32), interpolation=cv2.INTER_AREA).mean(axis=2)
        changed = self.previous is not None and (
            float(np.abs(grey - self.previous).mean()) > self.scene_threshold
        )
        self.previous = grey
        due = time + 1e-6 >= self.next_time
        if due:
            self.next_time = time + self.period
        return due or changed, changed and not due


def _reduce(rgb: np.ndarray, max_side: int | None) -> np.ndarray:
    return rgb if max_side is None else shrink_to_side(rgb, max_side)


def sample_frames(
    path: str,
    fps: float = 1.0,
    max_side: int | None = None,
    scene_threshold: float = SCENE_THRESHOLD,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Iterator[VideoFrame]:
    """Sampled frames of the video or animated picture at `path`, in order."""
    if path.lower().endswith(ANIMATED_SUFFIXES):
        try:
            yield from _animated_frames(
                path, fps, max_side, scene_threshold, max_frames, max_pixels
            )
            return
        except MediaError:
            pass
    yield from _video_frames(path, fps, max_side, scene_threshold, max_frames, max_pixels)


def _video_frames(
    path: str, fps: float, max_side: int | None, threshold: float, limit: int, max_pixels: int
) -> Iterator[VideoFrame]:
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise MediaError("cannot open as a video")
        width = capture.get(cv2.CAP_PROP_FRAME_WIDTH)
        height = capture.get(cv2.CAP_PROP_FRAME_HEIGHT)
        if width * height > max_pixels:
            raise MediaError(f"video frames of {width:.0f}x{height:.0f} exceed the pixel budget")
        rate = capture.get(cv2.CAP_PROP_FPS)
        rate = rate if rate and 0 < rate < 1000 else 25.0
        sampler, index, count = _Sampler(fps, threshold), 0, 0
        while count < limit:
            try:
                ok, frame = capture.read()
            except cv2.error:
                break
            if not ok or frame is None or frame.ndim != 3:
                break
            keep, scene = sampler.wants(index / rate, frame)
            if keep:
                rgb = _reduce(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), max_side)
                yield VideoFrame(index, index / rate, np.ascontiguousarray(rgb), scene)
                count += 1
            index += 1
        if index == 0:
            raise MediaError("no decodable frame in the video")
    finally:
        capture.release()


def _animated_frames(
    path: str, fps: float, max_side: int | None, threshold: float, limit: int, max_pixels: int
) -> Iterator[VideoFrame]:
    try:
        image = Image.open(path)
    except Exception as exc:  # Pillow raises many types on hostile input
        raise MediaError(f"cannot open as an animation: {exc}") from exc
    with image:
        if image.size[0] * image.size[1] > max_pixels:
            raise MediaError(f"animation of {image.size} pixels exceeds the pixel budget")
        if not getattr(image, "is_animated", False):
            raise MediaError("not animated")
        sampler, time, count = _Sampler(fps, threshold), 0.0, 0
        try:
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if count >= limit:
                    break
                rgb = np.asarray(frame.convert("RGB"))
                keep, scene = sampler.wants(time, rgb)
                if keep:
                    yield VideoFrame(
                        index, time, np.ascontiguousarray(_reduce(rgb, max_side)), scene
                    )
                    count += 1
                time += max(float(frame.info.get("duration", 40) or 40), 10.0) / 1000.0
        except (OSError, ValueError, EOFError):
            return
