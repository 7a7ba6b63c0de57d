"""The package layers of ARCHITECTURE.md: a package imports only those above it (function-
level imports included), and nothing but the core modules sits at the root of scanner/."""

from __future__ import annotations

import ast
from pathlib import Path

SCANNER = Path(__file__).resolve().parents[1] / "scanner"
LAYERS = [
    {"__init__", "types", "errors", "config"},
    {"lib"},
    {"evidence"},
    {"carve"},
    {"media"},
    {"hashing"},
    {"knownsets"},  # sets and their indexes need only hashing (ARCHITECTURE: moved up)
    {"inference"},
    {"analyse"},
    {"match"},
    {"triage"},
    {"case"},
    {"report"},
    {"pipeline"},
    {"review"},
    {"cli", "commands", "__main__"},
]
ROOT_MODULES = {"__init__.py", "__main__.py", "types.py", "errors.py", "config.py", "cli.py"}


def layer(package: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if package in names)


def imports(module: Path) -> list[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name.startswith("scanner.")]


def test_no_import_goes_against_the_layer_order() -> None:
    wrong = []
    for module in sorted(SCANNER.rglob("*.py")):
        parts = module.relative_to(SCANNER).with_suffix("").parts
        own = layer(parts[0])
        for name in imports(module):
            target = name.split(".")[1]
            if target not in {p for names in LAYERS for p in names}:
                continue  # `scanner.__version__` and the like
            if layer(target) > own:
                wrong.append(f"{module.relative_to(SCANNER)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_nothing_but_the_core_sits_at_the_root_of_scanner() -> None:
    root = {path.name for path in SCANNER.glob("*.py")}
    assert root <= ROOT_MODULES, root - ROOT_MODULES
