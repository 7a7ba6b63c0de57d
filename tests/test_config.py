"""Scan settings: defaults, YAML validation with file and line, and every setting documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.config import SETTINGS, load_config
from scanner.errors import ConfigError
from scanner.lib.resources import sample_configs_dir

ROOT = Path(__file__).parents[1]


def test_defaults_without_a_file() -> None:
    config = load_config(None)
    assert config.as_dict() == {name: setting.default for name, setting in sorted(SETTINGS.items())}


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("carve: true\n\ncarv_types: [jpg]\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:3: unknown setting 'carv_types'"):
        load_config(path)


def test_wrong_type_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("workers: two\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:1: workers must be int, got str"):
        load_config(path)
    path.write_text("workers: true\n")
    with pytest.raises(ConfigError, match="got a boolean"):
        load_config(path)


def test_broken_yaml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("carve: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "\n" not in str(caught.value) and "bad.yaml" in str(caught.value)


@pytest.mark.parametrize(
    "sample", sorted((ROOT / "sample_configs").glob("*.yaml")), ids=lambda p: p.name
)
def test_sample_configs_are_valid_and_bundled(sample: Path) -> None:
    load_config(sample)
    assert (sample_configs_dir() / sample.name).read_bytes() == sample.read_bytes()


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in SETTINGS if f"`{name}`" not in readme]
    assert not missing, f"settings missing from README.md: {missing}"


def test_command_line_overrides_are_checked() -> None:
    config = load_config(None).with_overrides(workers=3, carve=None)
    assert config.workers == 3 and config.carve is True  # carving is on by default
    with pytest.raises(ConfigError):
        load_config(None).with_overrides(workers="3")


def test_model_choice_maps_task_names_to_model_names(tmp_path: Path) -> None:
    path = tmp_path / "choice.yaml"
    path.write_text("model_choice: {face-detect: yunet-n}\n")
    assert load_config(path).model_choice == {"face-detect": "yunet-n"}
    path.write_text("model_choice:\n  face-detect: 5\n")
    with pytest.raises(ConfigError, match=r"choice\.yaml:1: model_choice must map names to names"):
        load_config(path)
