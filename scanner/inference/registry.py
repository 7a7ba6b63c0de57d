"""Model families: the adapter classes that turn one model's raw outputs into results.

`FAMILIES` (a `Registry`) maps a lower-case family name (the manifest's `family:`) to its
adapter class, filled by the `@family("name")` decorator with the first paragraph of the
class's docstring as its description; a duplicate name is an error.
Built-in adapters are registered exactly like additions: any module of
`scanner.inference` whose name ends in `_detector`, `_embedder` or `_classifier`
is imported by `adapter_class()` / `load_families()` before the first look-up.

Adapter convention: `Adapter(manifest: Manifest, session)` where `session` is an
`onnxruntime.InferenceSession`, or, for a manifest with several `parts:`, a mapping
of part name to session. By task, an adapter provides:

- face-detect: `detect(rgb) -> Detections`, and `max_side`: the longer side it reduces pictures to
- face-embed:  `embed(rgb, landmarks: Sequence[np.ndarray]) -> np.ndarray (N, D) float32`
- nudity:      `classify(rgb) -> NudityResult`
- deepfake:    `score(rgb, detections: Detections) -> np.ndarray (N,) float32 in 0..1, 1 = fake`
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any, TypeVar

from scanner.errors import ModelError
from scanner.lib.registry import Registry

FAMILIES: Registry[type[Any]] = Registry("model family")
ADAPTER_SUFFIXES = ("_detector", "_embedder", "_classifier", "_estimator")

T = TypeVar("T", bound=type)


def family(name: str) -> Callable[[T], T]:
    """Class decorator registering an adapter under `name` (lower-case, unique)."""

    def register(cls: T) -> T:
        FAMILIES.add(name, cls, summary(cls.__doc__))
        return cls

    return register


def summary(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    return " ".join((doc or "").strip().split("\n\n", 1)[0].split())


_loaded = False


def load_families() -> Registry[type[Any]]:
    """Import every adapter module of this package once; return `FAMILIES`."""
    global _loaded
    if not _loaded:
        package = importlib.import_module("scanner.inference")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.endswith(ADAPTER_SUFFIXES):
                importlib.import_module(f"scanner.inference.{info.name}")
        _loaded = True
    return FAMILIES


def adapter_class(name: str) -> type[Any]:
    """The adapter class of family `name`, or ModelError naming the known families."""
    families = load_families()
    if name not in families:
        known = ", ".join(sorted(families)) or "none"
        raise ModelError(f"unknown model family {name!r} (known: {known})")
    return families[name]
