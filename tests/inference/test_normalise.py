"""Chip normalisation: the manifest's formula, channel order and layout, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from scanner.inference.normalise import ChipNormalisation


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"channels": "BGR", "mean": [127.5] * 3, "std": [128.0] * 3, "scale": 1.0},
        {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
    ],
)
def test_blob_is_the_formula_in_float32_nchw(params) -> None:
    chips = np.random.default_rng(5).integers(0, 256, (3, 20, 30, 3), dtype=np.uint8)
    blob = ChipNormalisation.from_params(params, default_scale=1 / 255).blob(chips)
    assert blob.shape == (3, 3, 20, 30) and blob.dtype == np.float32 and blob.flags.c_contiguous
    order = [2, 1, 0] if params.get("channels") == "BGR" else [0, 1, 2]
    scale = np.float32(params.get("scale", 1 / 255))
    mean = np.asarray(params.get("mean", [0.0] * 3), dtype=np.float32)
    std = np.asarray(params.get("std", [1.0] * 3), dtype=np.float32)
    for channel, source in enumerate(order):
        pixels = chips[..., source].astype(np.float32)
        expected = (pixels * scale - mean[channel]) / std[channel]
        assert np.array_equal(blob[:, channel], expected)


def test_bad_mean_or_std_is_refused() -> None:
    with pytest.raises(ValueError):
        ChipNormalisation.from_params({"std": [1.0, 0.0, 1.0]}, default_scale=1.0)
    with pytest.raises(ValueError):
        ChipNormalisation.from_params({"mean": [0.5]}, default_scale=1.0)
