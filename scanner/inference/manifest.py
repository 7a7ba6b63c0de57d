"""Model manifests: one YAML file per model, read with `yaml.safe_load` only.

Schema (top-level keys; `*` = required)::

    name*:      lower-case id, unique (e.g. mtcnn, nudenet-320n, mobilefacenet)
    task*:      face-detect | face-embed | nudity | deepfake
    family*:    adapter family in scanner.inference.registry.FAMILIES
    file:       the ONNX file (single-file models), see "where the file lives"
    sha256:     its SHA-256 (lower-case hex); the model is loaded only if it matches
    inputs:     [{name, shape, dtype}]  shape items: int = fixed, str or null = dynamic
    outputs:    [{name, shape, dtype}]  dtype as numpy names (float32, int64, ...)
    parts:      {part: {file, sha256, inputs, outputs}} instead of the four keys above,
                for models made of several ONNX files (MTCNN: pnet, rnet, onet)
    package:    a Python distribution that ships the file(s); `file` is then relative
                to its install root (located with importlib.metadata, never imported)
    build:      a builder in our code that makes the file (e.g. dlib-resnet, int8); the
                file then lives in $DFTRIAGE_HOME/models/
    quantise:   with `build: int8`, how the file is made from a float model:
                {from: float model name, format: qdq | qoperator, per_channel: bool,
                float_nodes: [node-name prefixes kept in float], quantised_nodes:
                [prefixes quantised even under a float_nodes prefix]}; see quantise.py
    default:    true if this is the default model for its task when its file is present
    params:     family-specific preprocessing and decoding (input size, channel order,
                mean/std, score and NMS thresholds, crop margin, which output is "fake")
    metric:     cosine | euclidean (face-embed); threshold: match threshold for it
    license:    {model: ..., package: ..., notes: ...} or a string
    source:     {repository, commit, path, url}: the pinned upstream origin
    measured:   free-form accuracy block: what was scored, on what data, how many samples
    description: one paragraph for `dftriage models list`

Where the file lives: with `package:`, inside that distribution; with `build:`, in
$DFTRIAGE_HOME/models/; otherwise next to the manifest (added models are copied with
their manifest into $DFTRIAGE_HOME/models/ by `dftriage models add`).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scanner.errors import ModelError
from scanner.lib.resources import models_dir

TASKS = ("face-detect", "face-embed", "nudity", "deepfake", "age")
METRICS = ("cosine", "euclidean")
SINGLE_PART = "model"
_FILE_KEYS = ("file", "sha256", "inputs", "outputs")
_KEYS = frozenset(
    {
        "name",
        "task",
        "family",
        "parts",
        "package",
        "build",
        "default",
        "params",
        "metric",
        "threshold",
        "license",
        "source",
        "measured",
        "description",
        "quantise",
        *_FILE_KEYS,
    }
)


@dataclass(frozen=True)
class TensorSpec:
    """One ONNX input or output as the manifest states it."""

    name: str
    shape: tuple[int | str | None, ...]
    dtype: str = "float32"


@dataclass(frozen=True)
class ModelFile:
    """One ONNX file of a model, with its pinned hash and I/O contract."""

    file: str
    sha256: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]


@dataclass(frozen=True)
class Manifest:
    """A validated model manifest (see the module docstring for the schema)."""

    name: str
    task: str
    family: str
    parts: Mapping[str, ModelFile]
    package: str | None = None
    build: str | None = None
    default: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)
    metric: str | None = None
    threshold: float | None = None
    license: Any = None
    source: Mapping[str, Any] = field(default_factory=dict)
    measured: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    path: Path | None = None
    quantise: Mapping[str, Any] | None = None

    @property
    def single(self) -> ModelFile:
        """The only file of a single-file model."""
        if SINGLE_PART not in self.parts:
            raise ModelError(f"model {self.name!r} has parts {sorted(self.parts)}, not one file")
        return self.parts[SINGLE_PART]

    @property
    def sha256(self) -> str:
        """The pinned hash of a single-file model, or of all parts joined by '+'."""
        return "+".join(part.sha256 for part in self.parts.values())

    def locate(self, part: str = SINGLE_PART, home: Path | None = None) -> Path:
        """Where the file of `part` is expected (it may not exist)."""
        spec = self.parts[part]
        if self.package:
            return _package_file(self.package, spec.file, self.name)
        if self.build:
            return _home(home) / "models" / spec.file
        if self.path is None:
            raise ModelError(f"model {self.name!r}: manifest has no folder to find {spec.file}")
        return self.path.parent / spec.file

    def origin(self) -> str:
        """A short description of where the model comes from, for listings."""
        if self.package:
            return f"package {self.package}"
        if self.quantise:
            return f"built by dftriage (int8 from {self.quantise.get('from')})"
        if self.build:
            return f"built by dftriage ({self.build})"
        return "added file"


def _home(home: Path | None) -> Path:
    if home is not None:
        return home
    from scanner.lib.home import data_home

    return data_home()


def _package_file(package: str, file: str, name: str) -> Path:
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelError(f"model {name!r}: package {package!r} is not installed") from exc
    return Path(str(dist.locate_file(file)))


def load_manifest(path: Path) -> Manifest:
    """Read and validate one manifest file; ModelError names the file and the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: cannot read manifest: {exc}") from exc
    try:
        return parse_manifest(data, path)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def parse_manifest(data: Any, path: Path | None = None) -> Manifest:
    """Validate a manifest already parsed from YAML."""
    if not isinstance(data, dict):
        raise ModelError("manifest must be a mapping")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ModelError(f"unknown manifest keys {unknown}")
    for key in ("name", "task", "family"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ModelError(f"manifest needs a string {key!r}")
    if data["task"] not in TASKS:
        raise ModelError(f"task {data['task']!r} is not one of {', '.join(TASKS)}")
    if data.get("package") and data.get("build"):
        raise ModelError("a manifest has either 'package' or 'build', not both")
    metric = data.get("metric")
    if metric is not None and metric not in METRICS:
        raise ModelError(f"metric {metric!r} is not one of {', '.join(METRICS)}")
    quantise = data.get("quantise")
    if quantise is not None and (not isinstance(quantise, dict) or data.get("build") != "int8"):
        raise ModelError("'quantise' must be a mapping, in a manifest with 'build: int8'")
    threshold = data.get("threshold")
    if threshold is not None and not isinstance(threshold, int | float):
        raise ModelError(f"threshold must be a number, got {threshold!r}")
    return Manifest(
        name=data["name"],
        task=data["task"],
        family=data["family"],
        parts=_parse_parts(data),
        package=data.get("package"),
        build=data.get("build"),
        default=bool(data.get("default", False)),
        params=dict(data.get("params") or {}),
        metric=metric,
        threshold=None if threshold is None else float(threshold),
        license=data.get("license"),
        source=dict(data.get("source") or {}),
        measured=dict(data.get("measured") or {}),
        description=str(data.get("description") or "").strip(),
        path=path,
        quantise=dict(quantise) if quantise is not None else None,
    )


def _parse_parts(data: dict[str, Any]) -> dict[str, ModelFile]:
    has_single = any(key in data for key in _FILE_KEYS)
    if "parts" in data:
        if has_single:
            raise ModelError("use either 'parts' or 'file'/'sha256'/'inputs'/'outputs'")
        parts = data["parts"]
        if not isinstance(parts, dict) or not parts:
            raise ModelError("'parts' must be a non-empty mapping")
        return {str(key): _parse_file(value, f"parts.{key}") for key, value in parts.items()}
    return {SINGLE_PART: _parse_file(data, "")}


def _parse_file(data: Any, where: str) -> ModelFile:
    prefix = f"{where}." if where else ""
    if not isinstance(data, dict):
        raise ModelError(f"{where} must be a mapping")
    file, sha = data.get("file"), data.get("sha256")
    if not isinstance(file, str) or not file:
        raise ModelError(f"manifest needs a string '{prefix}file'")
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ModelError(f"'{prefix}sha256' must be 64 lower-case hex digits, got {sha!r}")
    return ModelFile(
        file=file,
        sha256=sha,
        inputs=_parse_tensors(data.get("inputs"), f"{prefix}inputs"),
        outputs=_parse_tensors(data.get("outputs"), f"{prefix}outputs"),
    )


def _parse_tensors(items: Any, where: str) -> tuple[TensorSpec, ...]:
    if not isinstance(items, list) or not items:
        raise ModelError(f"'{where}' must be a non-empty list of {{name, shape, dtype}}")
    specs = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ModelError(f"'{where}' entries need a string 'name', got {item!r}")
        shape = item.get("shape")
        if not isinstance(shape, list) or not all(
            dim is None or isinstance(dim, int | str) for dim in shape
        ):
            raise ModelError(f"'{where}' {item['name']!r}: shape must be a list, got {shape!r}")
        specs.append(TensorSpec(item["name"], tuple(shape), str(item.get("dtype", "float32"))))
    return tuple(specs)


def builtin_manifest_dir() -> Path:
    """The manifests shipped with dftriage (the repository's top-level `models/` folder)."""
    return models_dir()


def home_manifest_dir(home: Path | None = None) -> Path:
    """`$DFTRIAGE_HOME/models/`, where added and built models live."""
    return _home(home) / "models"


def discover(home: Path | None = None) -> dict[str, Manifest]:
    """Every manifest by name: shipped ones, then added ones; a name used twice is an error."""
    found: dict[str, Manifest] = {}
    folders = [builtin_manifest_dir(), home_manifest_dir(home)]
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            if path.name == "catalog.yaml":
                continue
            manifest = load_manifest(path)
            if manifest.name in found:
                other = found[manifest.name].path
                raise ModelError(f"{path}: model name {manifest.name!r} already used by {other}")
            found[manifest.name] = manifest
    return found
