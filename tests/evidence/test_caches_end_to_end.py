"""`dftriage scan` of a folder laid out like a Windows profile: every picture in
thumbcache_256.db and in a Thumbs.db is an item, hashed, with its origin in report.json."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from tests.evidence.windows_cache_builders import (
    CacheEntry,
    catalog,
    compound_file,
    picture,
    thumbcache,
    thumbs_stream,
)

EXPLORER = "Users/x/AppData/Local/Microsoft/Windows/Explorer"


def test_cached_pictures_are_items_with_their_origin(tmp_path: Path) -> None:
    evidence = tmp_path / "profile"
    (evidence / EXPLORER).mkdir(parents=True)
    (evidence / "Users/x/Pictures").mkdir(parents=True)
    red, blue = picture((200, 30, 30), (64, 48)), picture((30, 30, 200), (48, 64), "PNG")
    green = picture((20, 200, 20), (96, 72))
    cache = thumbcache(
        32, 4, [CacheEntry(0xA1B2, red), CacheEntry(0xC3D4, blue, bad_header_crc=True)]
    )
    (evidence / EXPLORER / "thumbcache_256.db").write_bytes(cache)
    thumbs = compound_file(
        {"Catalog": catalog([(1, "beach.jpg", 1_300_000_000)]), "1": thumbs_stream(green)}
    )
    (evidence / "Users/x/Pictures/Thumbs.db").write_bytes(thumbs)
    case = tmp_path / "case"
    command = [sys.executable, "-m", "scanner", "scan", str(evidence), "--case", str(case)]
    done = subprocess.run([*command, "--no-models"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr  # 1: the damaged entry is an error row
    report = json.loads((case / "report.json").read_text())
    by_sha = {blob["sha256"]: blob for blob in report["blobs"]}
    expected = {
        red: (f"/{EXPLORER}/thumbcache_256.db/000000000000a1b2.jpg", "thumbcache", "000000000000a1b2"),
        blue: (f"/{EXPLORER}/thumbcache_256.db/000000000000c3d4.png", "thumbcache", "000000000000c3d4"),
        green: ("/Users/x/Pictures/Thumbs.db/1.jpg", "thumbs.db", "1"),
    }  # fmt: skip
    assert set(by_sha) == {hashlib.sha256(data).hexdigest() for data in expected}
    for data, (path, store, entry) in expected.items():
        (location,) = by_sha[hashlib.sha256(data).hexdigest()]["locations"]
        assert location["path"] == path
        assert location["origin"]["store"] == store
        assert location["origin"]["entry"] == entry
        assert "original may be gone" in location["origin"]["note"]
    green_origin = by_sha[hashlib.sha256(green).hexdigest()]["locations"][0]["origin"]
    assert green_origin["original_path"] == "beach.jpg"
    assert green_origin["original_modified"] == "2011-03-13T07:06:40+00:00"
    red_origin = by_sha[hashlib.sha256(red).hexdigest()]["locations"][0]["origin"]
    assert red_origin["thumbnail"] == "256 px"
    (error,) = report["errors"]
    assert error["locator"].endswith("file:" + EXPLORER + "/thumbcache_256.db")
    assert "entry 000000000000c3d4 at offset" in error["reason"]
    assert "header checksum does not match" in error["reason"]
