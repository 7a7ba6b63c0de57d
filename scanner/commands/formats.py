"""`dftriage formats`: every registered container, file system, carver, set format, report
writer and model family, with a one-line description each."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

HELP = "list the containers, file systems, carvers, set formats, reports and model families"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def registered() -> dict[str, list[tuple[str, str]]]:
    """(name, description) of every entry of every registry, by registry."""
    from scanner.carve import CARVERS
    from scanner.evidence.containers import CONTAINERS
    from scanner.evidence.tsk_filesystem import FILE_SYSTEMS
    from scanner.inference.registry import load_families
    from scanner.knownsets.formats import FORMATS
    from scanner.report.writers import WRITERS

    return {
        "containers": CONTAINERS.describe(),
        "file systems": FILE_SYSTEMS.describe(),
        "carvers": CARVERS.describe(),
        "set formats": FORMATS.describe(),
        "report writers": WRITERS.describe(),
        "model families": load_families().describe(),
    }


def run(args: argparse.Namespace) -> int:
    found = registered()
    if args.json:
        payload = {
            kind: [{"name": n, "description": d} for n, d in rows] for kind, rows in found.items()
        }
        json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    console = Console()
    for kind, rows in found.items():
        table = Table(title=kind, title_justify="left")
        table.add_column("name")
        table.add_column("description")
        for name, description in rows:
            table.add_row(escape(name), escape(description))
        console.print(table)
    return 0
