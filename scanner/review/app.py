"""The review web app (Flask): grid, detail view and decisions, for one examiner on 127.0.0.1.

Every request must carry the Host the server listens on (else 400) and the access token:
once in the URL (`?token=…`, answered by a redirect that sets an HttpOnly, SameSite=Strict
cookie and drops the token from the address), then the cookie (else 403). A POST must also
carry the page's CSRF value and, if it says one, our own Origin. Pages have a strict CSP:
nothing but this server's own script, style and pictures.
"""

from __future__ import annotations

import hmac
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, abort, g, jsonify, redirect, render_template, request
from jinja2 import StrictUndefined

from scanner.case import decisions, grid, review_queries
from scanner.case.database import open_decisions, open_readonly
from scanner.report.html_rows import mark
from scanner.report.html_writer import show
from scanner.report.text import format_runs
from scanner.review import detail

COOKIE = "dftriage_review"
SHA256 = re.compile(r"[0-9a-f]{64}")
VICS = ("0", "1", "2", "3", "4")
POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class Settings:
    case_dir: Path
    examiner: str
    token: str
    hosts: frozenset[str]  # Host header values accepted, e.g. {"127.0.0.1:8123"}
    categories: tuple[str, ...] = VICS


def create_app(settings: Settings) -> Flask:
    """The app over one case; build the grid once (about a second per 100,000 contents)."""
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    app.jinja_env.autoescape = True
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.filters["show"] = show
    app.jinja_env.filters["runs"] = format_runs
    reader = open_readonly(settings.case_dir)
    writer = open_decisions(settings.case_dir)
    grid.build(reader)
    options = grid.choices(reader)
    csrf = secrets.token_urlsafe(24)
    lock = threading.Lock()

    @app.before_request
    def guard() -> Any:
        if request.headers.get("Host", "") not in settings.hosts:
            abort(400)
        given = request.args.get("token")
        if given is not None and request.method == "GET":
            if not hmac.compare_digest(given.encode(), settings.token.encode()):
                abort(403)
            rest = {k: v for k, v in request.args.items() if k != "token"}
            path = "/" if request.path.startswith("//") else request.path
            response = redirect(path + ("?" + urlencode(rest) if rest else ""), 303)
            response.set_cookie(COOKIE, settings.token, httponly=True, samesite="Strict")
            return response
        if not hmac.compare_digest(
            request.cookies.get(COOKIE, "").encode(), settings.token.encode()
        ):
            abort(403)
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin is not None and origin != f"http://{request.headers['Host']}":
                abort(403)
            sent = request.headers.get("X-CSRF") or request.form.get("csrf", "")
            if not hmac.compare_digest(sent.encode(), csrf.encode()):
                abort(403)
        lock.acquire()  # one reader connection (it holds the grid), one request at a time
        g.locked = True
        return None

    @app.teardown_request
    def release(_error: BaseException | None) -> None:
        if g.pop("locked", False):
            lock.release()

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"  # no-referrer would send Origin: null
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    def index() -> str:
        filters = parse_filters(request.args)
        found = grid.page(reader, filters)
        shas = [row["sha256"] for row in found.rows]
        marks = marks_by_blob(decisions.for_blobs(reader, shas), reader, shas)
        return render_template(
            "grid.html",
            page=found,
            filters=filters,
            options=options,
            marks=marks,
            age=grid.has_age(reader),
            settings=settings,
            csrf=csrf,
            url=lambda **changes: "/?" + urlencode(filters.query(**changes)),
        )

    @app.get("/blob/<sha256>")
    def blob(sha256: str) -> str:
        found = detail.blob(reader, sha256) if SHA256.fullmatch(sha256) else None
        if found is None:
            abort(404)
        winners = decisions.latest(found["decisions"])
        return render_template(
            "detail.html", blob=found, latest=winners, settings=settings, csrf=csrf
        )

    @app.get("/thumb/<sha256>.jpg")
    def thumb(sha256: str) -> Response:
        ok = SHA256.fullmatch(sha256)
        return _jpeg(review_queries.thumbnail(reader, sha256) if ok else None)

    @app.get("/source/<sha256>/<int:idx>.jpg")
    def source(sha256: str, idx: int) -> Response:
        ok = SHA256.fullmatch(sha256)
        return _jpeg(detail.reference_thumbnail(reader, sha256, idx) if ok else None)

    @app.post("/decide")
    def decide() -> Any:
        body = request.get_json(silent=True) if request.is_json else request.form
        if body is None or not hasattr(body, "get"):
            abort(400)
        sent: Any = body
        kind, key = str(sent.get("kind", "")), str(sent.get("key", ""))
        said = detail.overrides(reader, kind, key) if kind in decisions.KINDS else None
        if said is None:
            abort(404)
        try:
            number = decisions.record(
                writer,
                settings.examiner,
                kind,
                key,
                str(sent.get("decision", "")),
                str(sent.get("value", "")).strip(),
                str(sent.get("note", "")).strip(),
                said,
            )
        except decisions.DecisionError as exc:
            return jsonify(error=str(exc)), 400
        if request.is_json:
            sha256 = detail.blob_of_target(reader, kind, key)
            shas = [sha256] if sha256 else []
            marks = marks_by_blob(decisions.for_blobs(reader, shas), reader, shas)
            return jsonify(id=number, marks=marks.get(sha256 or "", []))
        back = str(sent.get("back", "/"))
        return redirect(back if back.startswith("/") and not back.startswith("//") else "/", 303)

    return app


def parse_filters(args: Any) -> grid.Filters:
    def number(name: str) -> float | None:
        try:
            return float(args.get(name, ""))
        except ValueError:
            return None

    evidence = args.get("evidence", "")
    return grid.Filters(
        priority=args.get("priority", ""),
        category=args.get("category", ""),
        set_name=args.get("set_name", ""),
        victim=args.get("victim", ""),
        nudity_min=number("nudity_min"),
        app=args.get("app", ""),
        chat=args.get("chat", ""),
        deleted=args.get("deleted") == "1",
        carved=args.get("carved") == "1",
        evidence=int(evidence) if evidence.isdigit() else None,
        age_max=number("age_max"),
        sort=args.get("sort", "priority") if args.get("sort") in grid.SORTS else "priority",
        after=args.get("after", ""),
    )


def marks_by_blob(
    found: list[dict[str, Any]], conn: sqlite3.Connection, shas: list[str]
) -> dict[str, list[str]]:
    """Per blob: the latest decision of each target and aspect, as short texts."""
    items = review_queries.item_blobs(conn, shas)
    marks: dict[str, list[str]] = {}
    for decision in sorted(decisions.latest(found).values(), key=lambda d: int(d["id"])):
        kind, key = decision["target_kind"], decision["target_key"]
        sha256 = decisions.blob_of(kind, key, items)
        if sha256:
            marks.setdefault(sha256, []).append(mark(kind, key, decision)["text"])
    return marks


def _jpeg(data: bytes | None) -> Response:
    if not data or not data.startswith(b"\xff\xd8\xff"):
        abort(404)
    return Response(data, mimetype="image/jpeg")
