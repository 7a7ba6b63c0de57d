"""report.html: one self-contained page (inline CSS and JS, no URL of any kind).

Rendered by jinja2 with autoescaping on, so every string from evidence is shown as text.
A Content-Security-Policy allows only the page's own inline style and script (by hash)
and `data:` images: nothing is fetched, and an injected handler could not run.
Thumbnails are inline JPEG `data:` URIs, blurred and greyed until clicked.
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from scanner.report.registry import WriteContext, writer
from scanner.report.text import format_runs

FILE_NAME = "report.html"
NO_PRIORITY = 99
WRITE_CHUNKS = 4096  # template output pieces joined per write


@writer("html")
def write_html(model: dict[str, Any], case_dir: Path, context: WriteContext) -> Path:
    """Render the model into report.html, streamed: one row's thumbnail in memory at a time."""
    css, js = _asset("report.css"), _asset("report.js")
    chunks = (
        _environment()
        .get_template("report.html.j2")
        .generate(
            model=model,
            rows=(_row(blob, context) for blob in model["blobs"]),
            row_count=len(model["blobs"]),
            priorities=sorted(model["summary"]["findings_by_priority"], key=int),
            css=Markup(css),
            js=Markup(js),
            csp=_policy(css, js),
        )
    )
    path = case_dir / FILE_NAME
    with open(path, "wb") as handle:
        while batch := list(islice(chunks, WRITE_CHUNKS)):  # one write per many small chunks
            handle.write("".join(batch).encode("utf-8"))
    return path


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("scanner.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["show"] = show
    environment.filters["runs"] = format_runs
    return environment


def _asset(name: str) -> str:
    text = resources.files("scanner.report").joinpath("templates", name).read_text("utf-8")
    if "</" in text:
        raise ValueError(f"inline asset {name} must not contain '</'")
    return text


def _policy(css: str, js: str) -> str:
    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")

    return (
        "default-src 'none'; img-src data:; "
        f"style-src 'sha256-{digest(css)}'; script-src 'sha256-{digest(js)}'; "
        "base-uri 'none'; form-action 'none'"
    )


def show(value: Any) -> str:
    """A value as short text: numbers rounded, structures as compact JSON, None as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _row(blob: dict[str, Any], context: WriteContext) -> dict[str, Any]:
    first = blob["locations"][0] if blob["locations"] else None
    name = "" if first is None else (first["locator"] if first["carved"] else first["path"])
    priority = blob["priority"]
    return {
        "blob": blob,
        "name": name,
        "priority_key": NO_PRIORITY if priority is None else priority,
        "priority_value": "none" if priority is None else str(priority),
        "categories": sorted({f["category"] for f in blob["findings"]}),
        **{
            key: sorted({value for loc in blob["locations"] for value in loc[key]})
            for key in ("apps", "chat_ids", "account_ids")
        },
        "thumbnail": _thumbnail(blob, context),
        "exported": context.exported.get(blob["sha256"]),
        "face_matches": _face_matches(blob),
        "sources": _sources(blob, context),
        "set_matches": [m for m in blob["matches"] if m["face_idx"] < 0],
    }


def _thumbnail(blob: dict[str, Any], context: WriteContext) -> str | None:
    if context.thumbnails is None or not blob["media_type"].startswith("image/"):
        return None
    data = context.thumbnails(blob["sha256"])
    if not data or not data.startswith(b"\xff\xd8\xff"):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _sources(blob: dict[str, Any], context: WriteContext) -> dict[int, str]:
    """Per face made from a victim's reference photo: that photo's thumbnail as a data URI."""
    if context.references is None:
        return {}
    found = {}
    for face in blob["faces"]:
        if face.get("source_label"):
            data = context.references(face["source_set"], face["source_reference"])
            if data and data.startswith(b"\xff\xd8\xff"):
                found[face["idx"]] = "data:image/jpeg;base64," + base64.b64encode(data).decode(
                    "ascii"
                )
    return found


def _face_matches(blob: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for match in blob["matches"]:
        if match["face_idx"] >= 0:
            grouped.setdefault(match["face_idx"], []).append(match)
    return grouped
