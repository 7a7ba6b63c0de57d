"""report.html and its inventory pages in a real headless browser (Debian chromium, playwright).

report.html lists the flagged contents (pictures inline); report/items-0001.html lists all
three contents of the test case, pictures as files in report/thumbs/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.report.writers import write_reports
from tests.browser import needs_chromium
from tests.report.report_case import ATTRIBUTE_PATH, HOSTILE_NAME, Case

pytestmark = needs_chromium


class Page:
    """A loaded report page with everything the page did recorded."""

    def __init__(self, browser: Any, report: Path) -> None:
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", self._dialog)
        self.url = report.as_uri()
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visible_rows(self) -> list[str]:
        bodies = self.page.locator("tbody.blob")
        return [
            bodies.nth(i).get_attribute("data-sort-sha256")
            for i in range(bodies.count())
            if bodies.nth(i).is_visible()
        ]

    def priorities(self) -> list[str]:
        return self.page.eval_on_selector_all(
            "tbody.blob", "bodies => bodies.map(b => b.getAttribute('data-priority'))"
        )

    def filter_of(self, index: int) -> str:
        return self.page.eval_on_selector_all(
            "button.thumb img", f"imgs => getComputedStyle(imgs[{index}]).filter"
        )


@pytest.fixture
def report(browser: Any, case: Case) -> Iterator[Page]:
    write_reports(case.db, case.folder, thumbnails=case.thumbnail)
    loaded = Page(browser, case.folder / "report.html")
    yield loaded
    loaded.page.close()


@pytest.fixture
def page(browser: Any, case: Case) -> Iterator[Page]:
    """The first inventory page: every content of the case."""
    write_reports(case.db, case.folder, thumbnails=case.thumbnail)
    loaded = Page(browser, case.folder / "report" / "items-0001.html")
    yield loaded
    loaded.page.close()


def test_loads_offline_without_errors(report: Page) -> None:
    report.page.wait_for_timeout(300)
    assert report.console_errors == []
    assert report.requests == [report.url]
    assert report.page.locator("h1").inner_text() == "dftriage report"


def test_report_lists_findings_inline_and_links_the_inventory(report: Page) -> None:
    assert report.priorities() == ["1", "2"]
    sources = report.page.eval_on_selector_all("tbody.blob img", "imgs => imgs.map(i => i.src)")
    assert len(sources) == 2 and all(src.startswith("data:image/jpeg;base64,") for src in sources)
    report.page.locator("#inventory a").first.click()
    report.page.wait_for_load_state("load")
    assert report.page.url.endswith("/report/items-0001.html")
    assert len(report.page.locator("tbody.blob").all()) == 3


def test_inventory_loads_its_pictures_lazily_from_files_only(page: Page, case: Case) -> None:
    images = page.page.locator("tbody.blob button.thumb img")
    assert images.count() == 3
    assert {images.nth(i).get_attribute("loading") for i in range(3)} == {"lazy"}
    expected = {f"thumbs/{sha}.jpg" for sha in case.pictures}
    assert {images.nth(i).get_attribute("src") for i in range(3)} == expected
    page.page.wait_for_timeout(300)
    thumbs = (case.folder / "report" / "thumbs").as_uri()
    assert all(url == page.url or url.startswith(thumbs + "/") for url in page.requests)
    assert page.page.eval_on_selector_all("img", "imgs => imgs.every(i => i.naturalWidth > 0)")
    assert page.console_errors == []
    policy = page.page.locator("meta[http-equiv='Content-Security-Policy']").get_attribute(
        "content"
    )
    assert "default-src 'none'; img-src 'self' data:;" in policy


def test_hostile_file_name_is_text(page: Page) -> None:
    page.page.locator("tbody.blob details").first.locator("summary").click()
    assert page.page.get_by_text(HOSTILE_NAME, exact=False).count() >= 1
    assert HOSTILE_NAME in page.page.locator("tbody.blob td.name").first.inner_text()
    assert page.page.locator("img[src='x']").count() == 0
    assert page.page.locator("script").count() == 1
    assert page.page.locator("[onclick], [onerror]").count() == 0
    names = page.page.eval_on_selector_all("tbody.blob", "bs => bs.map(b => b.dataset.sortName)")
    assert ATTRIBUTE_PATH in names
    page.page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.console_errors == []


def test_filter_hides_rows(page: Page, case: Case) -> None:
    everything = page.visible_rows()
    assert len(everything) == 3
    page.page.fill("#filter", "telegram desktop")
    shown = page.visible_rows()
    assert len(shown) == 1 and case.pictures[shown[0]].startswith(b"\xff\xd8")
    assert page.page.locator("#shown").inner_text() == "1"
    page.page.fill("#filter", "no such thing anywhere")
    assert page.visible_rows() == []
    page.page.fill("#filter", "")
    assert page.visible_rows() == everything
    page.page.select_option("#priority", "2")
    assert len(page.visible_rows()) == 1
    page.page.select_option("#priority", "none")
    assert len(page.visible_rows()) == 1
    page.page.select_option("#priority", "all")
    assert page.visible_rows() == everything


def test_priority_sort(page: Page) -> None:
    assert page.priorities() == ["1", "2", "none"]
    header = page.page.locator("button.sort[data-key='priority']")
    header.click()
    assert page.priorities() == ["none", "2", "1"]
    assert header.get_attribute("aria-sort") == "descending"
    header.click()
    assert page.priorities() == ["1", "2", "none"]


def test_thumbnails_blurred_until_clicked_one_at_a_time(page: Page) -> None:
    thumbs = page.page.locator("button.thumb")
    assert thumbs.count() == 3
    for index in range(3):
        assert "blur" in page.filter_of(index) and "grayscale" in page.filter_of(index)
    thumbs.nth(0).click()
    assert page.filter_of(0) == "none"
    assert "blur" in page.filter_of(1)
    thumbs.nth(1).click()
    assert "blur" in page.filter_of(0)
    assert page.filter_of(1) == "none"
    thumbs.nth(1).click()
    assert all("blur" in page.filter_of(index) for index in range(3))
