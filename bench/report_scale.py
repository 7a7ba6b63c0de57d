"""Report and review at phone scale: page load times of 100,000 pictures in headless Chromium.

    python bench/report_scale.py [--count 100000] [--folder /tmp/report-scale] [--keep]
                                 [--review-only]

Builds a case database directly (no scan): COUNT pictures on one evidence item, each
with a real 160-pixel JPEG thumbnail, a nudity score, 2 % flagged, 30 % attributed to a
chat app, 5 % deleted and 1 % carved. Then writes every report (`write_reports`, timed),
loads report.html and inventory pages (first, middle, last) in headless Chromium and
prints the time to the load event and to every visible picture decoded (target < 2 s
each); then starts `dftriage review` on the case and times grid pages (first, 50 pages
deep by keyset, filtered, sorted by nudity) and a detail page (target < 1 s each).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from scanner.case.database import CaseDatabase

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"]
APPS = ("whatsapp", "telegram", "signal")


def thumbnails(count: int, seed: int) -> list[bytes]:
    """`count` different 160×120 JPEGs (a few kB each, like the scanner's thumbnails)."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        image = Image.new("RGB", (160, 120), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            box = (
                sorted(rng.randrange(160) for _ in range(2)),
                sorted(rng.randrange(120) for _ in range(2)),
            )
            colour = tuple(rng.randrange(256) for _ in range(3))
            draw.ellipse((box[0][0], box[1][0], box[0][1], box[1][1]), fill=colour)
        output = io.BytesIO()
        image.save(output, format="JPEG", quality=75)
        found.append(output.getvalue())
    return found


def build_case(folder: Path, count: int, seed: int = 7) -> None:
    """A case database of `count` pictures, filled in one transaction."""
    rng = random.Random(seed)
    pictures = thumbnails(64, seed)
    db = CaseDatabase(folder)
    db.begin()
    run = db.start_run("dftriage scan phone.ufdr --case bench", "0.1.0", {"bench": True})
    db.update_run(run, finished="2026-01-01T00:00:00+00:00", status="finished")
    evidence = db.add_evidence("/cases/bench/phone.ufdr", "phone.ufdr", "ufdr", 1 << 36, [], {}, {})
    blobs, items, scores, findings, attributions = [], [], [], [], []
    for number in range(count):
        sha = hashlib.sha256(b"bench %d" % number).hexdigest()
        md5 = hashlib.md5(sha.encode()).hexdigest()
        sha1 = hashlib.sha1(sha.encode()).hexdigest()
        blobs.append((sha, md5, sha1, 2000 + number, "image/jpeg", pictures[number % 64]))
        carved = rng.random() < 0.01
        deleted = carved or rng.random() < 0.05
        app = rng.choice(APPS) if rng.random() < 0.3 else None
        folder_name = f"{app}/media/chat-{number % 97}" if app else "DCIM/Camera"
        locator = f"ufdr:phone.ufdr > file:/data/{folder_name}/IMG_{number:06d}.jpg"
        path = f"/data/{folder_name}/IMG_{number:06d}<b>{number}</b>.jpg"
        items.append(
            (evidence, locator, json.dumps([["file", path]]), path, 2000 + number, int(deleted))
            + (int(carved), "unallocated" if carved else None, None, 1, None, sha, "image/jpeg")
        )
        nudity = rng.random()
        scores.append((sha, "nudity", nudity, "nudenet-320n", "ab" * 32, ""))
        if rng.random() < 0.02:
            priority = rng.choice((1, 2, 3))
            findings.append((sha, "nudity", priority, "nudity", f"nudity {nudity:.2f}"))
        if app:
            attributions.append((evidence, locator, app, f"chat-{number % 97}", "+4670000000"))
    db.conn.executemany(
        "INSERT INTO blobs (sha256, md5, sha1, size, media_type, thumbnail) VALUES (?,?,?,?,?,?)",
        blobs,
    )
    db.conn.executemany(
        "INSERT INTO items (evidence_id, locator, locator_json, path, size, deleted, carved,"
        " extent_kind, runs, complete, times, sha256, media_type) VALUES"
        " (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        items,
    )
    db.conn.executemany("INSERT INTO scores VALUES (?,?,?,?,?,?)", scores)
    db.conn.executemany("INSERT INTO findings VALUES (?,?,?,?,?)", findings)
    db.conn.executemany("INSERT INTO attributions VALUES (?,?,?,?,?)", attributions)
    db.commit()
    db.close()


def write_all(folder: Path) -> float:
    from scanner.content import ContentSource

    from scanner.report.writers import write_reports

    db = CaseDatabase(folder)
    try:
        started = time.perf_counter()
        source = ContentSource(db)
        write_reports(db, folder, thumbnails=source.thumbnail)
        return time.perf_counter() - started
    finally:
        db.close()


def load_times(browser: Any, urls: list[str]) -> list[tuple[str, float, float]]:
    """Per URL: seconds to the load event, and to every picture in view decoded."""
    measured = []
    for url in urls:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        started = time.perf_counter()
        page.goto(url, wait_until="load", timeout=60_000)
        loaded = time.perf_counter() - started
        page.wait_for_function(
            "() => Array.from(document.images).filter(i => i.getBoundingClientRect().top"
            " < innerHeight).every(i => i.complete)",
            timeout=60_000,
        )
        measured.append((url, loaded, time.perf_counter() - started))
        page.close()
    return measured


def review_times(browser: Any, folder: Path) -> list[tuple[str, float]]:
    """Start `dftriage review` on the case; time its start and pages in Chromium."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "scanner", "review", str(folder), "--examiner", "bench"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        measured = [("start (grid built)", time.perf_counter() - started)]
        origin = url.split("/?", 1)[0]
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        measured.append(("first page (token redirect)", _goto(page, url)))
        deep = []
        for _ in range(50):
            following = page.get_attribute("#next", "href")
            deep.append(_goto(page, origin + following))
        measured += [("next page x50: mean", sum(deep) / len(deep)), ("next page: max", max(deep))]
        for query in QUERIES:
            measured.append((query, _goto(page, f"{origin}/?{query}")))
        href = page.get_attribute("article.tile a.open", "href")
        measured.append(("detail view", _goto(page, origin + href)))
        page.close()
        return measured
    finally:
        process.terminate()
        process.wait(timeout=10)


QUERIES = (
    "sort=nudity",
    "priority=1",
    "app=telegram&deleted=1",
    "chat=chat-5",
    "carved=1&sort=nudity",
    "nudity_min=0.9&sort=size",
)


def _goto(page: Any, url: str) -> float:
    """Seconds until the page has loaded and every picture in view is decoded."""
    started = time.perf_counter()
    page.goto(url, wait_until="load", timeout=60_000)
    page.wait_for_function(
        "() => Array.from(document.images).filter(i => i.getBoundingClientRect().top"
        " < innerHeight).every(i => i.complete)",
        timeout=60_000,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/report-scale"))
    parser.add_argument("--keep", action="store_true", help="reuse a case built before")
    parser.add_argument("--review-only", action="store_true", help="skip the static report")
    args = parser.parse_args()
    folder: Path = args.folder
    if not (args.keep and (folder / "case.sqlite").is_file()):
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        build_case(folder, args.count)
        print(f"case of {args.count} pictures built in {time.perf_counter() - started:.1f} s")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        if not args.review_only:
            print(f"write_reports: {write_all(folder):.1f} s")
            pages = sorted((folder / "report").glob("items-*.html"))
            chosen = [folder / "report.html", pages[0], pages[len(pages) // 2], pages[-1]]
            size = sum(p.stat().st_size for p in chosen[:1]) / 1e6
            print(f"report.html {size:.2f} MB; {len(pages)} inventory pages")
            for url, loaded, pictures in load_times(browser, [p.as_uri() for p in chosen]):
                print(
                    f"  {url.rsplit('/', 1)[-1]:>16}: load {loaded:.2f} s, pictures {pictures:.2f} s"
                )
        for name, seconds in review_times(browser, folder):
            print(f"  review {name:>28}: {seconds:.3f} s")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    raise SystemExit(main())
