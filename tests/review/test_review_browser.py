"""`dftriage review` as a process, driven by headless Chromium (Debian chromium, playwright)."""

from __future__ import annotations

import http.client
import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import needs_chromium
from tests.report.report_case import FORMULA_PATH, HOSTILE_NAME, HOSTILE_PATH, Case
from tests.review.review_app import EXAMINER, Server

pytestmark = needs_chromium


class Session:
    """One browser context on the app, with what its pages did recorded."""

    def __init__(self, browser: Any, server: Server) -> None:
        self.server = server
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(server.url)
        self.page.wait_for_load_state("load")

    def filter_of(self, index: int) -> str:
        return self.page.eval_on_selector_all(
            "button.thumb img", f"imgs => getComputedStyle(imgs[{index}]).filter"
        )


@pytest.fixture
def session(browser: Any, server: Server) -> Iterator[Session]:
    opened = Session(browser, server)
    yield opened
    opened.context.close()


def request(server: Server, path: str, **headers: str) -> http.client.HTTPResponse:
    address = urlsplit(server.origin)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    method = "POST" if headers.pop("method", "") == "POST" else "GET"
    connection.request(method, path, body=b"{}" if method == "POST" else None, headers=headers)
    return connection.getresponse()


def decisions_of(case: Case) -> list[sqlite3.Row]:
    with sqlite3.connect(case.folder / "case.sqlite") as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute("SELECT * FROM decisions ORDER BY id"))


def test_token_and_host_are_required(server: Server) -> None:
    host = urlsplit(server.origin).netloc
    assert request(server, "/").status == 403
    assert request(server, "/thumb/" + "0" * 64 + ".jpg").status == 403
    assert request(server, "/?token=wrong").status == 403
    assert request(server, f"/?token={server.token}", Host="evil.example").status == 400
    assert request(server, f"/?token={server.token}", Host=f"evil.example:{host}").status == 400
    answer = request(server, f"/?token={server.token}&sort=size")
    assert answer.status == 303 and answer.getheader("Location") == "/?sort=size"
    cookie = answer.getheader("Set-Cookie") or ""
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    value = cookie.split(";", 1)[0]
    assert request(server, "/", Cookie=value).status == 200
    assert request(server, "/", Cookie=value, Host="localhost.evil:1").status == 400
    json = {"Content-Type": "application/json"}
    assert request(server, "/decide", method="POST", Cookie=value, **json).status == 403
    page = request(server, "/", Cookie=value).read().decode()
    csrf = page.split('name="csrf" content="', 1)[1].split('"', 1)[0]
    foreign = {"Origin": "http://evil.example", "X-CSRF": csrf, **json}
    assert request(server, "/decide", method="POST", Cookie=value, **foreign).status == 403
    own = {"Origin": server.origin, "X-CSRF": csrf, **json}
    assert request(server, "/decide", method="POST", Cookie=value, **own).status == 404  # no target


def test_grid_is_blurred_and_reveals_one_at_a_time(session: Session) -> None:
    page = session.page
    assert session.page.url == session.server.origin + "/"  # the token left the address bar
    tiles = page.locator("article.tile")
    assert tiles.count() == 3
    for index in range(3):
        assert "blur" in session.filter_of(index) and "grayscale" in session.filter_of(index)
    page.keyboard.press("Space")
    assert session.filter_of(0) == "none" and "blur" in session.filter_of(1)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    assert "blur" in session.filter_of(0) and session.filter_of(1) == "none"
    page.locator("button.thumb").nth(1).click()
    assert all("blur" in session.filter_of(index) for index in range(3))
    assert page.eval_on_selector_all("img", "imgs => imgs.every(i => i.naturalWidth > 0)")
    policy = page.evaluate("() => fetch('/').then(r => r.headers.get('content-security-policy'))")
    assert policy.startswith("default-src 'none'; img-src 'self'; style-src 'self';")
    assert all(url.startswith(session.server.origin + "/") for url in session.requests)
    assert session.errors == []


def test_keyboard_tagging_records_decisions(session: Session, case: Case) -> None:
    page = session.page
    first = page.locator("article.tile").first
    key = first.get_attribute("data-key")
    page.keyboard.press("c")
    page.wait_for_function("() => /decision 1/.test(document.getElementById('status').textContent)")
    page.keyboard.press("3")
    page.wait_for_function("() => /decision 2/.test(document.getElementById('status').textContent)")
    page.keyboard.press("n")
    page.keyboard.type("face pasted onto an adult body")
    page.keyboard.press("Enter")
    page.wait_for_function("() => /decision 3/.test(document.getElementById('status').textContent)")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("x")
    page.wait_for_function("() => /decision 4/.test(document.getElementById('status').textContent)")
    rows = decisions_of(case)
    assert [(r["decision"], r["value"]) for r in rows] == [
        ("confirm", ""),
        ("category", "3"),
        ("note", ""),
        ("reject", ""),
    ]
    assert {r["examiner"] for r in rows} == {EXAMINER}
    assert rows[0]["target_kind"] == "blob" and rows[0]["target_key"] == key
    assert rows[2]["note"] == "face pasted onto an adult body"
    assert '"priority": 1' in rows[0]["overrides"] and "victim-deepfake" in rows[0]["overrides"]
    page.reload()
    marks = page.locator("article.tile").first.locator(".mark").all_inner_texts()
    assert marks == ["confirmed", "category: 3", "note: face pasted onto an adult body"]
    assert session.errors == []


def test_hostile_names_are_inert(session: Session) -> None:
    page = session.page
    assert HOSTILE_NAME in page.locator("article.tile .name").first.inner_text()
    assert EXAMINER in page.locator("header").inner_text()
    page.locator("article.tile a.open").first.click()
    page.wait_for_load_state("load")
    text = page.locator("main").inner_text()
    assert HOSTILE_PATH in text and FORMULA_PATH in text
    assert page.locator("img[src='x'], [onclick], [onerror], header b").count() == 0
    assert page.locator("script").count() == 1
    page.wait_for_timeout(200)
    assert session.dialogs == [] and session.errors == []


def test_detail_view_names_a_victim_on_a_face(session: Session, case: Case) -> None:
    page = session.page
    page.locator("article.tile a.open").first.click()
    page.wait_for_load_state("load")
    text = page.locator("main").inner_text()
    for expected in ("victims-2026", "@victim <b>A</b>", "nudenet-320n", "Telegram Desktop"):
        assert expected in text
    sha256 = page.locator("#subject").get_attribute("data-key")
    assert sha256 is not None and sha256 in text
    face = page.locator("div.face").first
    assert "blur" in page.eval_on_selector_all(
        "button.thumb img", "imgs => getComputedStyle(imgs[0]).filter"
    )
    face.locator("input.victim").fill("A. Victim")
    face.locator("button[value=victim]").click()
    page.wait_for_load_state("load")
    assert "victim: A. Victim" in page.locator("div.face").first.inner_text()
    (row,) = decisions_of(case)
    assert (row["target_kind"], row["target_key"], row["value"]) == (
        "face",
        f"{sha256}/0",
        "A. Victim",
    )
    assert "victims-2026: @victim <b>A</b>" in row["overrides"]
    assert "A. Victim" in page.locator("#history").inner_text()


def test_the_scanner_tables_are_left_unchanged(session: Session, case: Case) -> None:
    def dump() -> list[str]:
        with sqlite3.connect(case.folder / "case.sqlite") as conn:
            return [line for line in conn.iterdump() if "decisions" not in line]

    before = dump()
    session.page.keyboard.press("c")
    session.page.wait_for_function(
        "() => /decision 1/.test(document.getElementById('status').textContent)"
    )
    session.page.locator("article.tile a.open").first.click()
    session.page.wait_for_load_state("load")
    assert dump() == before
    assert len(decisions_of(case)) == 1
