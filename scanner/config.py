"""Every scan setting in one place, with its default and help; YAML files are validated."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from scanner.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    default: Any
    kind: type | tuple[type, ...]
    help: str


SETTINGS: dict[str, Setting] = {
    "files": Setting(True, bool, "list files of every file system (allocated and deleted)"),
    "deleted": Setting(True, bool, "include deleted files and orphans"),
    "carve": Setting(
        True, bool, "carve pictures and videos from unallocated space and gaps (--no-carve: skip)"
    ),
    "carve_types": Setting(None, (list, type(None)), "carved formats (null = every format)"),
    "analyse": Setting(True, bool, "decode pictures: perceptual hashes, generator metadata"),
    "models": Setting(
        ["face-detect", "face-embed", "nudity", "age"],
        list,
        "model tasks to run: face-detect, face-embed, nudity, deepfake, age ([] = none;"
        " a default task without a model is skipped with a warning)",
    ),
    "model_choice": Setting(
        {},
        dict,
        "model to use per task, e.g. {face-detect: yunet-n} (default: the bundled model,"
        " else the first added one; none = skip the task)",
    ),
    "device": Setting(
        "cpu",
        str,
        "where the models run: cpu, cuda (needs pip install 'dftriage[gpu]') or auto"
        " (cuda when available)",
    ),
    "small_face_grid": Setting(
        0,
        int,
        "also look for small faces on tiles at about GRID x the detector's resolution"
        " (0 = off; 2 costs about 2.3x the analysis time)",
    ),
    "sets": Setting(None, (list, type(None)), "known sets to match (null = every imported set)"),
    "pdq_max_distance": Setting(31, int, "PDQ Hamming distance for a near-duplicate match"),
    "max_pixels": Setting(100_000_000, int, "pictures above this many pixels are refused"),
    "min_picture_side": Setting(32, int, "pictures smaller than this (pixels) are not analysed"),
    "workers": Setting(0, int, "worker processes (0 = one per core)"),
    "rules": Setting(None, (str, type(None)), "folder of triage rules (null = the bundled rules)"),
    "export": Setting(False, bool, "copy media into CASE/export named by SHA-256"),
    "walk_max_entries": Setting(5_000_000, int, "stop a file-system walk after this many entries"),
    "walk_max_seconds": Setting(1800, int, "stop a file-system walk after this many seconds"),
    "container_max_depth": Setting(
        8, int, "containers (archives, documents, databases) opened inside each other at most"
    ),
    "container_max_members": Setting(
        1_000_000, int, "members listed of one container at most (the rest is a warning)"
    ),
    "container_max_member_bytes": Setting(
        16 << 30, int, "a container member larger than this (decompressed) is not read"
    ),
    "container_max_bytes": Setting(
        256 << 30, int, "members of one container add up to this many bytes at most"
    ),
    "container_max_ratio": Setting(
        100,
        int,
        "members adding up to 1 GiB or more and more than this many times the container's"
        " size are a decompression bomb: listing stops there",
    ),
    "container_max_seconds": Setting(
        300, int, "seconds to list one container found inside evidence (0 = no limit)"
    ),
}


@dataclass(frozen=True)
class ScanConfig:
    """The effective configuration of a scan (stored with each run)."""

    values: dict[str, Any] = field(
        default_factory=lambda: {k: s.default for k, s in SETTINGS.items()}
    )

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def with_overrides(self, **overrides: Any) -> ScanConfig:
        merged = dict(self.values)
        for key, value in overrides.items():
            if value is not None:
                _check(key, value, "command line")
                merged[key] = value
        return ScanConfig(merged)

    def as_dict(self) -> dict[str, Any]:
        return dict(sorted(self.values.items()))


def load_config(path: Path | None) -> ScanConfig:
    """Defaults, overridden by a YAML file; unknown keys and wrong types name file and line."""
    config = ScanConfig()
    if path is None:
        return config
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from exc
    if data is None:
        return config
    if not isinstance(data, dict) or node is None:
        raise ConfigError(f"{path}: expected a mapping of settings")
    lines = {key.value: key.start_mark.line + 1 for key, _ in node.value}
    values = dict(config.values)
    for key, value in data.items():
        _check(key, value, f"{path}:{lines.get(key, '?')}")
        values[key] = value
    return ScanConfig(values)


def _check(key: str, value: Any, where: str) -> None:
    setting = SETTINGS.get(key)
    if setting is None:
        raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(SETTINGS)})")
    kinds = setting.kind if isinstance(setting.kind, tuple) else (setting.kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ConfigError(f"{where}: {key} must be {_names(kinds)}, got a boolean")
    if not isinstance(value, kinds):
        raise ConfigError(f"{where}: {key} must be {_names(kinds)}, got {type(value).__name__}")
    if isinstance(value, dict) and not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{where}: {key} must map names to names, e.g. face-detect: yunet-n")


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join("null" if k is type(None) else k.__name__ for k in kinds)


__all__ = ["SETTINGS", "ScanConfig", "Setting", "load_config", "asdict", "fields"]
