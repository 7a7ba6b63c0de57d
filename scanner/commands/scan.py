"""`dftriage scan EVIDENCE... --case DIR`: the whole triage, resumable."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from scanner.config import SETTINGS, load_config
from scanner.errors import ConfigError
from scanner.progress import Progress
from scanner.resources import sample_configs_dir
from scanner.worker_server import worker_context

HELP = "scan evidence into a case folder: find, hash, analyse, match, triage and report"
PASSWORD_VARIABLE = "DFTRIAGE_PASSWORD"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("evidence", nargs="+", type=Path, help="images, first segments or folders")
    parser.add_argument(
        "--case", required=True, type=Path, help="case folder (created; re-run to resume)"
    )
    parser.add_argument(
        "--config", type=Path, help=f"YAML settings (ready-made ones in {sample_configs_dir()})"
    )
    parser.add_argument("--workers", type=int, help=SETTINGS["workers"].help)
    carving = parser.add_mutually_exclusive_group()
    carving.add_argument("--carve", action="store_true", default=None, help=SETTINGS["carve"].help)
    carving.add_argument(
        "--no-carve", dest="carve", action="store_false", help="do not carve (the default carves)"
    )
    parser.add_argument("--export", action="store_true", default=None, help=SETTINGS["export"].help)
    parser.add_argument("--no-models", action="store_true", help="run no models")
    parser.add_argument(
        "--model",
        action="append",
        metavar="TASK=NAME",
        help="use model NAME for TASK, e.g. face-detect=yunet-n (repeatable; see `models list`)",
    )
    parser.add_argument("--sets", help="comma-separated known sets to match (default: all)")
    parser.add_argument(
        "--json", action="store_true", help="JSON progress events and summary on stdout"
    )
    parser.add_argument(
        "--password",
        help=f"password of encrypted evidence (iTunes backup, .ab, zip); or set {PASSWORD_VARIABLE}"
        " to keep it off the command line; never stored with the run",
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config).with_overrides(
        workers=args.workers,
        carve=args.carve,
        export=args.export,
        models=[] if args.no_models else None,
        sets=args.sets.split(",") if args.sets else None,
        model_choice=_model_choice(args.model) if args.model else None,
    )
    worker_context()  # the workers' imports overlap this process's own
    from scanner.pipeline import Scan

    progress = Progress(enabled=sys.stderr.isatty() and not args.json, json_events=args.json)
    command = shlex.join(["dftriage", *redacted(sys.argv[1:])])
    password = args.password or os.environ.get(PASSWORD_VARIABLE) or None
    try:
        summary = Scan(args.case, args.evidence, config, command, progress, password).run()
    finally:
        progress.close()
    report = args.case / "report.html"
    if args.json:
        progress.event(
            "finished",
            case=str(args.case),
            blobs=summary.blobs,
            items=summary.items,
            errors=summary.errors,
            reports=summary.reports,
        )
    else:
        print(
            f"{summary.items} media items, {summary.blobs} distinct; {summary.errors} errors",
            file=sys.stderr,
        )
        print(f"report: {report}")
    return 1 if summary.errors else 0


def _model_choice(pairs: list[str]) -> dict[str, str]:
    """`--model TASK=NAME` arguments as {task: name}; a clear error when one is malformed."""
    choice = {}
    for pair in pairs:
        task, sep, name = pair.partition("=")
        if not sep or not task.strip() or not name.strip():
            raise ConfigError(f"--model {pair!r}: expected TASK=NAME, e.g. face-detect=yunet-n")
        choice[task.strip()] = name.strip()
    return choice


def redacted(words: list[str]) -> list[str]:
    """Command-line words with the value of --password hidden (the command is stored)."""
    out, hide = [], False
    for word in words:
        if hide:
            out.append("***")
        elif word.startswith("--password="):
            out.append("--password=***")
        else:
            out.append(word)
        hide = word == "--password"
    return out
