"""`dftriage scan EVIDENCE... --case DIR`: the whole triage, resumable."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.config import SETTINGS, load_config
from scanner.errors import ConfigError
from scanner.lib.processes import worker_context
from scanner.lib.resources import sample_configs_dir
from scanner.pipeline import WORKER_MODULES
from scanner.pipeline.progress import Progress

if TYPE_CHECKING:
    from scanner.pipeline.cluster import ClusterSpec

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
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), help=SETTINGS["device"].help)
    parser.add_argument("--sets", help="comma-separated known sets to match (default: all)")
    parser.add_argument(
        "--json", action="store_true", help="JSON progress events and summary on stdout"
    )
    parser.add_argument(
        "--password",
        help=f"password of encrypted evidence (iTunes backup, .ab, zip); or set {PASSWORD_VARIABLE}"
        " to keep it off the command line; never stored with the run",
    )
    add_cluster_arguments(parser)


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    """--cluster and its options (docs/scale.md); without --cluster the process pool runs."""
    group = parser.add_argument_group("Dask cluster (pip install 'dftriage[cluster]')")
    group.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run the work on a Dask scheduler (tcp://HOST:8786, tls://HOST:8786) or on a new"
        " local cluster of N worker processes (local:N)",
    )
    group.add_argument("--cluster-tls-ca", metavar="FILE", help="CA certificate (PEM) of tls://")
    group.add_argument("--cluster-tls-cert", metavar="FILE", help="this client's certificate")
    group.add_argument("--cluster-tls-key", metavar="FILE", help="this client's private key")
    group.add_argument(
        "--path-map",
        action="append",
        metavar="LOCAL=REMOTE",
        help="evidence under LOCAL here is under REMOTE on the workers (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config).with_overrides(
        workers=args.workers,
        carve=args.carve,
        export=args.export,
        models=[] if args.no_models else None,
        sets=args.sets.split(",") if args.sets else None,
        model_choice=_model_choice(args.model) if args.model else None,
        device=args.device,
    )
    worker_context(WORKER_MODULES)  # the workers' imports overlap this process's own
    from scanner.pipeline.engine import Scan

    progress = Progress(enabled=sys.stderr.isatty() and not args.json, json_events=args.json)
    command = shlex.join(["dftriage", *redacted(sys.argv[1:])])
    password = args.password or os.environ.get(PASSWORD_VARIABLE) or None
    cluster = _cluster(args)
    try:
        scan = Scan(args.case, args.evidence, config, command, progress, password, cluster)
        summary = scan.run()
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


def _cluster(args: argparse.Namespace) -> ClusterSpec | None:
    """The cluster the scan runs on, or None for the process pool."""
    if not args.cluster:
        if args.path_map or args.cluster_tls_ca or args.cluster_tls_cert or args.cluster_tls_key:
            raise ConfigError("--path-map and --cluster-tls-* need --cluster")
        return None
    try:
        from scanner.pipeline.cluster import ClusterSpec, parse_path_map
    except ImportError as exc:
        raise ConfigError(
            f"--cluster needs Dask distributed ({exc}): pip install 'dftriage[cluster]'"
        ) from exc
    return ClusterSpec(
        args.cluster,
        args.cluster_tls_ca,
        args.cluster_tls_cert,
        args.cluster_tls_key,
        parse_path_map(args.path_map or ()),
    )


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
