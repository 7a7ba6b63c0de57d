"""`dftriage example --case DIR`: the README's set-up command 1 on the example shipped inside
the package, so an installed wheel can be tried without the source checkout."""

from __future__ import annotations

import argparse
import contextlib
import sys

from scanner.lib.resources import examples_dir

HELP = "import the bundled example known-bad list and scan the bundled example E01 (--carve)"
SET_NAME = "example-known-bad"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--case", required=True, help="case folder (created; re-run to resume)")
    parser.add_argument("--no-models", action="store_true", help="run no models")
    parser.add_argument(
        "--json", action="store_true", help="JSON progress events and summary on stdout"
    )


def run(args: argparse.Namespace) -> int:
    from scanner.cli import build_parser

    folder = examples_dir()
    steps = [
        ["sets", "import", str(folder / "example-known-bad.md5"), "--name", SET_NAME]
        + ["--kind", "known-bad", "--category", "1", "--replace"],
        ["scan", str(folder / "example.E01"), "--case", args.case, "--carve"]
        + ["--no-models"] * args.no_models
        + ["--json"] * args.json,
    ]
    for words in steps:
        step = build_parser(words[0]).parse_args(words)
        # the import's summary goes to stderr: stdout is the scan's (`report: ...` or JSON)
        with contextlib.redirect_stdout(sys.stderr if words[0] == "sets" else sys.stdout):
            code = int(step.run(step))
        if code:
            return code
    return 0
