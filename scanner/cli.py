"""The `dftriage` command: argument parsing, exit codes and one-line error messages.

Each sub-command lives in `scanner/commands/<name>.py` and provides `HELP`,
`add_arguments(parser)` and `run(args) -> int`; adding one is one line in COMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from scanner import __version__
from scanner.errors import ScannerError

EXIT_OK = 0
EXIT_ITEM_ERRORS = 1
EXIT_FATAL = 2

COMMANDS = (
    "carve",
    "info",
    "report",
    "review",
    "scan",
    "sets",
    "models",
    "example",
    "formats",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or, for a known command `only`, one that imports just that command."""
    parser = argparse.ArgumentParser(
        prog="dftriage",
        description="Forensic triage of pictures and videos on seized devices.",
    )
    parser.add_argument("--version", action="version", version=f"dftriage {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (only,) if only in COMMANDS else COMMANDS:
        module = importlib.import_module(f"scanner.commands.{name}")
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    named = next((word for word in words if not word.startswith("-")), None)
    args = build_parser(named).parse_args(words)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="dftriage: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.run(args))
    except ScannerError as exc:
        print(f"dftriage: error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    except KeyboardInterrupt:
        print("dftriage: interrupted", file=sys.stderr)
        return 130
