"""`dftriage review CASE_DIR`: the review web app on 127.0.0.1, behind a random token."""

from __future__ import annotations

import argparse
import getpass
import logging
import secrets
from pathlib import Path
from typing import Any

from scanner.case.database import DB_NAME, CaseDatabase
from scanner.errors import CaseError

HELP = "review a case in the browser and record the examiner's decisions (127.0.0.1 only)"
HOST = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", type=Path, help="case folder holding case.sqlite")
    parser.add_argument("--examiner", help="who decides (default: the login name)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a random free one)")
    parser.add_argument(
        "--categories",
        default="0,1,2,3,4",
        help="the categories keys 0-9 assign, comma-separated (default VICS 0,1,2,3,4)",
    )


def run(args: argparse.Namespace) -> int:
    from werkzeug.serving import make_server

    from scanner.review.app import Settings, create_app

    case: Path = args.case
    if not (case / DB_NAME).is_file():
        raise CaseError(f"{case}: no {DB_NAME} here; is this a case folder?")
    CaseDatabase(case).close()  # applies pending migrations (the decisions table) only
    categories = tuple(c.strip() for c in args.categories.split(",") if c.strip())[:10]
    if not categories:
        raise CaseError("--categories: give at least one")
    examiner = (args.examiner or getpass.getuser()).strip()
    token = secrets.token_urlsafe(32)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log (it holds the token)
    holder: dict[str, Any] = {}
    server = make_server(
        HOST, args.port, lambda env, start: holder["app"](env, start), threaded=True
    )
    port = server.server_port
    settings = Settings(
        case_dir=case,
        examiner=examiner,
        token=token,
        hosts=frozenset({f"{HOST}:{port}", f"localhost:{port}"}),
        categories=categories,
    )
    holder["app"] = create_app(settings)
    print(f"dftriage review: open http://{HOST}:{port}/?token={token}", flush=True)
    print(f"examiner: {examiner}; decisions go to {case / DB_NAME}; Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
