"""Models dftriage makes itself, on first use or with `dftriage models build`.

A manifest's `build:` names the builder; each builder writes the file into
`$DFTRIAGE_HOME/models/` and checks it against the sha256 pinned in the manifest.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from scanner.errors import ModelError
from scanner.inference.manifest import Manifest

log = logging.getLogger(__name__)

BUILDERS = {
    "dlib-resnet": ("scanner.inference.dlib_convert", "build_for"),
    "int8": ("scanner.inference.quantise", "build_for"),
}
"""manifest `build:` → (module, function(home, manifest) -> Path)."""


def present(manifest: Manifest, home: Path | None) -> bool:
    """True when every file of `manifest` exists where it is expected."""
    return all(manifest.locate(part, home).is_file() for part in manifest.parts)


def build(manifest: Manifest, home: Path) -> Path:
    """Build the file of `manifest` (ModelError when it has no builder or the build fails)."""
    target = BUILDERS.get(manifest.build or "")
    if target is None:
        raise ModelError(f"model {manifest.name!r} is not built by dftriage")
    module = importlib.import_module(target[0])
    path: Path = getattr(module, target[1])(home, manifest)
    return path


def try_build(manifest: Manifest, home: Path) -> bool:
    """Build `manifest` if needed; False (with a warning) when it cannot be built. A model
    built from a file the user gives (the age model, from its wheel) is only built on
    request (`dftriage models build`): False, said at info level."""
    if present(manifest, home):
        return True
    if (manifest.build or "") not in BUILDERS:
        log.info("model %s is not present (built on request: dftriage models build)", manifest.name)
        return False
    try:
        build(manifest, home)
    except (ImportError, AttributeError, ModelError, OSError) as exc:
        log.warning("cannot build model %s: %s", manifest.name, exc)
        return False
    return present(manifest, home)
