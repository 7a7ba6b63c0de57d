"""Deepfake evidence without a strong classifier.

- `consistency`: per-face anomaly of pasting traces (noise, sharpness, blend seam, JPEG)
  against genuine photos, with the calibration shipped in ``genuine_stats.json``;
- `provenance`: which victim reference photo a pasted face was made from;
- `generator_metadata`: what generators and editors leave in a file's metadata.

See docs/deepfake.md for what each signal means and how accurate it was measured to be.
"""
