"""The package layers of ARCHITECTURE.md: a package imports only those above it, no module
imports itself through others (function-level imports included in both), and nothing but
the core modules sits at the root of scanner/."""

from __future__ import annotations

import ast
import re
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
# SQL may appear only where a database is owned: the case (case/), the known sets' own
# database (knownsets/store.py and its users) and databases found in evidence (evidence/);
# those two sit below case/ in the layer order, so they cannot reach the case's modules.
SQL_PACKAGES = {"case", "knownsets", "evidence"}
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN)\b")
SQL_CALLS = {"execute", "executemany", "executescript"}
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


def module_name(path: Path) -> str:
    parts = path.relative_to(SCANNER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every scanner module → the scanner modules it imports (`from a import b` is module
    `a.b` where that is a module, else `a`; compiled extensions are left out)."""
    paths = {module_name(path): path for path in SCANNER.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    inner = f"{node.module}.{alias.name}"
                    found.add(inner if inner in paths else node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {target for target in found if target in paths and target != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules (the first again at the end), or []."""
    state: dict[str, str] = {}  # "open" while on the path, "done" once fully explored
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = "open"
        path.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[name] = "done"
        path.pop()
        return []

    for name in sorted(graph):
        if name not in state and (cycle := visit(name)):
            return cycle
    return []


def test_no_import_cycles() -> None:
    cycle = find_cycle(import_graph())
    assert not cycle, " -> ".join(cycle)


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = import_graph()
    assert "scanner.lib.registry" in graph["scanner.knownsets.formats"]
    graph["scanner.lib.registry"] = {"scanner.knownsets.formats"}  # a loop of two
    cycle = find_cycle(graph)
    assert len(cycle) == 3 and set(cycle) == {"scanner.lib.registry", "scanner.knownsets.formats"}


def sql_uses(module: Path) -> list[str]:
    """The SQL texts and cursor calls in a module, by line."""
    found = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            found.append(f"line {node.lineno}: {node.value[:60]!r}")
        elif isinstance(node, ast.Attribute) and node.attr in SQL_CALLS:
            found.append(f"line {node.lineno}: .{node.attr}(")
    return found


def test_only_case_runs_sql_on_the_case_database() -> None:
    wrong = [
        f"{module.relative_to(SCANNER)} {use}"
        for module in sorted(SCANNER.rglob("*.py"))
        if module.relative_to(SCANNER).parts[0] not in SQL_PACKAGES
        for use in sql_uses(module)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_sql_check_sees_queries_and_cursor_calls() -> None:
    uses = sql_uses(SCANNER / "case" / "review_queries.py")
    assert any("SELECT" in use for use in uses) and any(".execute(" in use for use in uses)


def test_nothing_but_the_core_sits_at_the_root_of_scanner() -> None:
    root = {path.name for path in SCANNER.glob("*.py")}
    assert root <= ROOT_MODULES, root - ROOT_MODULES
