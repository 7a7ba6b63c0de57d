"""The review grid on a real SQLite case of 1,200 pictures: keyset paging, sorts and filters."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from scanner.case import grid
from scanner.case.database import open_readonly

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))

from report_scale import build_case  # noqa: E402

COUNT = 1200


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    folder = tmp_path_factory.mktemp("grid")
    build_case(folder, COUNT)
    connection = open_readonly(folder)
    grid.build(connection)
    return connection


def every_page(conn: sqlite3.Connection, filters: grid.Filters) -> list[list[str]]:
    pages = []
    while True:
        found = grid.page(conn, filters, size=100)
        pages.append([row["sha256"] for row in found.rows])
        if not found.next_cursor:
            return pages
        filters = grid.Filters(**{**filters.__dict__, "after": found.next_cursor})


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("priority", "priority, sha256"),
        ("nudity", "-COALESCE(nudity, -1), sha256"),
        ("size", "size, sha256"),
        ("sha256", "sha256"),
    ],
)
def test_keyset_pages_cover_every_content_once_in_order(
    conn: sqlite3.Connection, sort: str, order: str
) -> None:
    pages = every_page(conn, grid.Filters(sort=sort))
    assert len(pages) == COUNT // 100 and all(len(page) == 100 for page in pages)
    expected = [row[0] for row in conn.execute(f"SELECT sha256 FROM grid ORDER BY {order}")]
    assert [sha for page in pages for sha in page] == expected


def test_filters_agree_with_plain_sql(conn: sqlite3.Connection) -> None:
    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    cases = {
        grid.Filters(deleted=True): count("SELECT COUNT(DISTINCT sha256) FROM items WHERE deleted"),
        grid.Filters(carved=True): count("SELECT COUNT(DISTINCT sha256) FROM items WHERE carved"),
        grid.Filters(app="telegram"): count(
            "SELECT COUNT(*) FROM attributions WHERE app = 'telegram'"
        ),
        grid.Filters(chat="chat-5"): count(
            "SELECT COUNT(*) FROM attributions WHERE chat_id = 'chat-5'"
        ),
        grid.Filters(priority="1"): count(
            "SELECT COUNT(DISTINCT sha256) FROM findings WHERE priority = 1"
        ),
        grid.Filters(priority="none"): COUNT - count("SELECT COUNT(DISTINCT sha256) FROM findings"),
        grid.Filters(nudity_min=0.9): count("SELECT COUNT(*) FROM scores WHERE value >= 0.9"),
        grid.Filters(evidence=1): COUNT,
        grid.Filters(category="nudity", app="signal", deleted=True): count(
            "SELECT COUNT(DISTINCT f.sha256) FROM findings f JOIN items i ON i.sha256 = f.sha256"
            " JOIN attributions a ON a.locator = i.locator WHERE a.app = 'signal' AND i.deleted"
        ),
    }
    for filters, expected in cases.items():
        found = grid.page(conn, filters, size=COUNT)
        assert found.total == len(found.rows) == expected, filters
        assert 0 < expected < COUNT or filters.evidence == 1 or filters.category


def test_a_foreign_cursor_starts_from_the_top(conn: sqlite3.Connection) -> None:
    first = grid.page(conn, grid.Filters())
    assert grid.page(conn, grid.Filters(after="not a cursor!")).rows == first.rows


def test_the_apparent_age_filter(tmp_path: Path) -> None:
    build_case(tmp_path, 20)
    with sqlite3.connect(tmp_path / "case.sqlite") as writable:
        shas = [row[0] for row in writable.execute("SELECT sha256 FROM blobs LIMIT 3")]
        for age, sha in zip((12.0, 15.0, 30.0), shas, strict=True):
            writable.execute(
                "INSERT INTO faces (sha256, idx, box, landmarks, score, apparent_age)"
                " VALUES (?, 0, '[0,0,1,1]', '[]', 0.9, ?)",
                (sha, age),
            )
    conn = open_readonly(tmp_path)
    grid.build(conn)
    assert grid.has_age(conn)
    found = grid.page(conn, grid.Filters(age_max=16))
    assert sorted(row["sha256"] for row in found.rows) == sorted(shas[:2])
