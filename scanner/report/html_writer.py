"""report.html and its inventory pages: self-contained HTML (inline CSS and JS).

report.html holds the summary, the findings (the FINDINGS_INLINE most urgent flagged
contents, pictures inline as `data:` URIs), the examiner's decisions and the methods; the
whole inventory goes to `report/items-0001.html …`, PAGE_SIZE contents a page, pictures as
files `report/thumbs/<sha256>.jpg` loaded lazily. Rendered by jinja2 with autoescaping on,
so every string from evidence is shown as text. A Content-Security-Policy allows only the
page's own inline style and script (by hash) and its pictures (`data:` on report.html, the
page's own folder on inventory pages): nothing else is fetched, and an injected handler
could not run. Pictures are blurred and greyed until clicked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from scanner.report.html_rows import THUMBS, Pictures, decision_marks, row
from scanner.report.registry import WRITERS, WriteContext
from scanner.report.text import format_runs

FILE_NAME = "report.html"
PAGES = "report"  # folder of the inventory pages
PAGE_SIZE = 500  # contents per inventory page
FINDINGS_INLINE = 250  # flagged contents shown (pictures inline) on report.html
WRITE_CHUNKS = 4096  # template output pieces joined per write
PAGE_NAME = re.compile(r"items-[0-9]{4,}\.html")


@WRITERS.decorator(
    "html", "report.html: findings first, then the paged inventory, pictures blurred"
)
def write_html(model: dict[str, Any], case_dir: Path, context: WriteContext) -> list[Path]:
    """Write report.html, then the inventory pages; returns report.html first, then every
    companion file (pages and pictures). Streamed: one row's pictures in memory at a time."""
    css, js = _asset("report.css"), _asset("report.js")
    environment = _environment()
    marks = decision_marks(model)
    blobs = model["blobs"]
    pages = _pages(len(blobs))
    folder = case_dir / PAGES
    common = {
        "model": model,
        "priorities": sorted(model["summary"]["findings_by_priority"], key=int),
        "css": Markup(css),
        "js": Markup(js),
        "pages": pages,
        "page_size": PAGE_SIZE,
    }
    flagged = [blob for blob in blobs if blob["findings"]]
    shown = flagged[:FINDINGS_INLINE]
    inline = Pictures(context)
    main = case_dir / FILE_NAME
    _render(
        environment.get_template("report.html.j2"),
        main,
        rows=(row(blob, inline, marks) for blob in shown),
        row_count=len(shown),
        flagged=len(flagged),
        csp=_policy(css, js, "data:"),
        **common,
    )
    written = [main]
    if pages:
        (folder / THUMBS).mkdir(parents=True, exist_ok=True)
    files = Pictures(context, folder / THUMBS)
    template = environment.get_template("items.html.j2")
    for page in pages:
        chunk = blobs[page["first"] - 1 : page["last"]]
        path = folder / page["name"]
        _render(
            template,
            path,
            page=page,
            rows=(row(blob, files, marks) for blob in chunk),
            row_count=len(chunk),
            csp=_policy(css, js, "'self' data:"),
            **common,
        )
        written.append(path)
    _remove_stale(folder, {page["name"] for page in pages})
    return written + sorted(set(files.written))


def _pages(count: int) -> list[dict[str, Any]]:
    pages = []
    for number, first in enumerate(range(0, count, PAGE_SIZE), start=1):
        name = f"items-{number:04d}.html"
        last = min(first + PAGE_SIZE, count)
        pages.append(
            {
                "number": number,
                "name": name,
                "href": f"{PAGES}/{name}",
                "first": first + 1,
                "last": last,
                "title": f"page {number}: contents {first + 1}–{last}",
            }
        )
    return pages


def _render(template: Any, path: Path, **values: Any) -> None:
    chunks: Iterator[str] = template.generate(**values)
    with open(path, "wb") as handle:
        while batch := list(islice(chunks, WRITE_CHUNKS)):  # one write per many small chunks
            handle.write("".join(batch).encode("utf-8"))


def _remove_stale(folder: Path, current: Iterable[str]) -> None:
    """Remove inventory pages of an earlier, larger write (only files named as pages)."""
    if not folder.is_dir():
        return
    keep = set(current)
    for path in folder.iterdir():
        if PAGE_NAME.fullmatch(path.name) and path.name not in keep:
            path.unlink()


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


def _policy(css: str, js: str, images: str) -> str:
    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")

    return (
        f"default-src 'none'; img-src {images}; "
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
