"""Pixel normalisation of face chips, as a manifest's params describe it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ChipNormalisation:
    """(pixel * scale - mean) / std per channel, in RGB or BGR order, to NCHW float32."""

    bgr: bool
    scale: float
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def from_params(cls, params: Mapping[str, Any], default_scale: float) -> ChipNormalisation:
        """From params `channels`, `scale`, `mean`, `std`; ValueError when malformed."""
        mean = np.asarray(params.get("mean", [0.0, 0.0, 0.0]), dtype=np.float32)
        std = np.asarray(params.get("std", [1.0, 1.0, 1.0]), dtype=np.float32)
        if mean.shape != (3,) or std.shape != (3,) or np.any(std == 0):
            raise ValueError("mean and std need three values, std non-zero")
        bgr = str(params.get("channels", "RGB")).upper() == "BGR"
        return cls(bgr, float(params.get("scale", default_scale)), mean, std)

    def blob(self, chips: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB chips as a contiguous (N, 3, H, W) float32 input
        (computed in place in the output, in the same float32 steps)."""
        chips = np.asarray(chips)
        out = np.empty((len(chips), 3, *chips.shape[1:3]), dtype=np.float32)
        view = out.transpose(0, 2, 3, 1)
        np.multiply(chips[..., ::-1] if self.bgr else chips, self.scale, out=view, dtype=np.float32)
        view -= self.mean
        view /= self.std
        return out
