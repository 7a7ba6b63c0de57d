"""Decoding of pictures and videos, frame sampling, EXIF and thumbnails."""
