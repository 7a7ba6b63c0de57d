"""Apps, chat ids and account ids per location in report.json, findings.csv and report.html."""

from __future__ import annotations

import csv
import json

from scanner.case.writer import replace_attributions
from scanner.report.writers import write_reports
from scanner.triage import load_rules
from scanner.triage.gather import attributions
from tests.report.report_case import HOSTILE_PATH, Case

HOSTILE_ROOM = "<img src=x onerror=alert(7)>"


def test_attribution_of_each_location_in_every_report(case: Case) -> None:
    items = [dict(row) for row in case.db.rows("SELECT evidence_id, locator, path FROM items")]
    kakao = f"/sdcard/Android/data/com.kakao.talk/contents/Mg==/{HOSTILE_ROOM}/a1b2"
    hostile = next(item for item in items if item["path"] == HOSTILE_PATH)
    hostile["path"] = kakao  # as if the extraction held it there
    replace_attributions(case.db, attributions(items, load_rules()))
    write_reports(case.db, case.folder)

    report = json.loads((case.folder / "report.json").read_text())
    locations = {loc["locator"]: loc for blob in report["blobs"] for loc in blob["locations"]}
    room = locations[hostile["locator"]]
    assert (room["apps"], room["chat_ids"], room["account_ids"]) == (
        ["kakaotalk"],
        [f"kakaotalk:{HOSTILE_ROOM}"],
        [],
    )
    others = [loc for key, loc in locations.items() if key != hostile["locator"]]
    assert others and all(loc["chat_ids"] == [] for loc in others)

    with (case.folder / "findings.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    flagged = [row for row in rows if row["locator"] == hostile["locator"]]
    assert flagged and all(row["chat_ids"] == f"kakaotalk:{HOSTILE_ROOM}" for row in flagged)
    assert all(row["apps"] == "kakaotalk" for row in flagged)

    page = (case.folder / "report.html").read_text()
    assert "onerror=alert(7)" in page and HOSTILE_ROOM not in page
    assert "chat kakaotalk:&lt;img src=x onerror=alert(7)&gt;" in page
