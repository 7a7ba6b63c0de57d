"""Adding models from files: the catalog of well-known models and `add_model`.

`models/catalog.yaml` holds complete manifests of models that dftriage knows how to
run, each pinned to an upstream commit and a sha256. A lab downloads a file on a
connected machine, carries it over, and `add_model(file)` recognises it by its hash;
any other model needs its own manifest. The file and its manifest are copied into
$DFTRIAGE_HOME/models/ only after the sha256 and the ONNX I/O check pass.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from scanner.errors import ModelError
from scanner.hashing.crypto import sha256_file
from scanner.inference.manifest import (
    Manifest,
    builtin_manifest_dir,
    discover,
    home_manifest_dir,
    parse_manifest,
)
from scanner.inference.session import open_session


def catalog_path() -> Path:
    """The shipped catalog file."""
    return builtin_manifest_dir() / "catalog.yaml"


def load_catalog(path: Path | None = None) -> list[dict[str, Any]]:
    """The catalog's manifests as plain mappings (each validated)."""
    path = path or catalog_path()
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: cannot read catalog: {exc}") from exc
    entries = data.get("models") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ModelError(f"{path}: expected a mapping with a 'models' list")
    for entry in entries:
        try:
            parse_manifest(entry)
        except ModelError as exc:
            raise ModelError(f"{path}: entry {entry.get('name')!r}: {exc}") from None
    return entries


def catalog_entry(sha256: str) -> dict[str, Any] | None:
    """The catalog manifest of the single-file model with this sha256, if any."""
    for entry in load_catalog():
        if entry.get("sha256") == sha256:
            return entry
    return None


def add_model(file: Path, manifest_file: Path | None = None, home: Path | None = None) -> Manifest:
    """Verify `file` against its manifest (given, or found in the catalog by sha256) and
    copy both into $DFTRIAGE_HOME/models/; returns the installed manifest."""
    if not file.is_file():
        raise ModelError(f"{file}: no such file")
    sha = sha256_file(file)
    if manifest_file is not None:
        try:
            data = yaml.safe_load(manifest_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ModelError(f"{manifest_file}: cannot read manifest: {exc}") from exc
    else:
        data = catalog_entry(sha)
        if data is None:
            raise ModelError(
                f"{file}: sha256 {sha} is not in the catalog; give its manifest with --manifest"
            )
    data = dict(data)
    target_dir = home_manifest_dir(home)
    manifest = parse_manifest(data, target_dir / f"{data.get('name')}.yaml")
    if manifest.package or manifest.build or list(manifest.parts) != ["model"]:
        raise ModelError(f"{file}: `models add` takes single-file models only")
    if manifest.single.sha256 != sha:
        raise ModelError(f"{file}: sha256 is {sha}, manifest says {manifest.single.sha256}")
    existing = discover(home).get(manifest.name)
    if existing is not None and existing.sha256 != sha:
        raise ModelError(f"a different model named {manifest.name!r} exists: {existing.path}")
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / Path(manifest.single.file).name
    data["file"] = target.name
    manifest = parse_manifest(data, target_dir / f"{manifest.name}.yaml")
    already = target.is_file()
    if already and sha256_file(target) != sha:
        raise ModelError(f"{target} already holds another model; rename {file.name} first")
    if not already:
        staged = target.with_suffix(target.suffix + ".partial")
        shutil.copyfile(file, staged)
        staged.replace(target)
    try:
        open_session(manifest, "model", home)
    except ModelError:
        if not already:
            target.unlink(missing_ok=True)
        raise
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    (target_dir / f"{manifest.name}.yaml").write_text(text, encoding="utf-8")
    return manifest
