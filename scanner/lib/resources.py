"""The data folders that ship inside the `scanner` package, found with importlib.resources.

In the repository they live at the top level (`rules/`, `models/`, `sample_configs/`) and in
`tests/data/`; `scanner/rules`, `scanner/models`, `scanner/sample_configs` and the files in
`scanner/examples/` are symbolic links to them, which setuptools follows, so the sdist and
the wheel carry the files themselves. A checkout, an editable install and a wheel all find
them here. dftriage is always installed as files (it has a C extension), so each is a real
folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _bundled(name: str) -> Path:
    return Path(str(resources.files("scanner").joinpath(name)))


def rules_dir() -> Path:
    """The bundled triage rules (`rules/*.yaml`)."""
    return _bundled("rules")


def models_dir() -> Path:
    """The shipped model manifests and `catalog.yaml`."""
    return _bundled("models")


def sample_configs_dir() -> Path:
    """The ready-made scan settings (`quick-triage.yaml`, `full.yaml`, `victim-search.yaml`)."""
    return _bundled("sample_configs")


def examples_dir() -> Path:
    """The example evidence `example.E01` and its known-bad list `example-known-bad.md5`."""
    return _bundled("examples")
