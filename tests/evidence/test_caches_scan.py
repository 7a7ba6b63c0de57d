"""End to end: a folder laid out like an Android extraction with a Gallery image cache and
Chrome/WebView caches, scanned by `python -m scanner scan`: each cached picture is an
item with its origin in report.json, and `cached-copy-of-matched-material` fires for a
known-bad picture only a cache holds, not for one whose original is still there."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

from tests.evidence.cache_builders import gallery_key, imgcache, jpeg, simple_entry

GALLERY = "data/data/com.sec.android.gallery3d/cache/imgcache.0"
CHROME = "data/data/com.android.chrome/cache/Cache/Cache_Data/0123456789abcdef_0"
WEBVIEW = "data/data/com.example.app/app_webview/Default/HTTP Cache/Cache_Data/fedcba9876543210_0"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DFTRIAGE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    return done


def test_cached_pictures_are_items_with_their_origin_and_the_cache_rule_fires(
    tmp_path: Path,
) -> None:
    gone, kept, web, other = (jpeg(n, (96, 72)) for n in (1, 2, 3, 4))
    evidence = tmp_path / "extraction"
    data, offsets = imgcache(
        [(gallery_key(11, 1_650_000_000), gone), (gallery_key(12, 1_650_000_001), kept)]
    )
    data += struct.pack("<QIII", 9, 0, len(data) + 5, 10)  # a damaged last record
    files = {
        GALLERY: data,
        CHROME: simple_entry(
            "1/0/_dk_https://x.org https://x.org https://x.org/img/c.jpg",
            gzip.compress(web),
            ["HTTP/1.1 200", "content-type: image/jpeg", "content-encoding: gzip"],
        ),
        WEBVIEW: simple_entry("https://cdn.example/o.jpg", other, ["HTTP/1.1 200"], sha256=False),
        "data/media/0/DCIM/Camera/kept.jpg": kept,
    }
    for path, content in files.items():
        (evidence / path).parent.mkdir(parents=True, exist_ok=True)
        (evidence / path).write_bytes(content)
    home = tmp_path / "home"
    bad = tmp_path / "bad.sha256"
    bad.write_text("".join(hashlib.sha256(p).hexdigest() + "\n" for p in (gone, kept, web)))
    run("sets", "import", str(bad), "--name", "cache-bad", "--kind", "known-bad", home=home)
    case = tmp_path / "case"
    run("scan", str(evidence), "--case", str(case), "--no-models", "--sets", "cache-bad", home=home)
    report = json.loads((case / "report.json").read_text())
    blobs = {blob["sha256"]: blob for blob in report["blobs"]}

    def blob(picture: bytes) -> dict:
        return blobs[hashlib.sha256(picture).hexdigest()]

    (location,) = blob(gone)["locations"]
    assert location["locator"].endswith(f"{GALLERY} > imgcache:record={offsets[0]}")
    assert location["origin"]["store"] == "android-gallery-imgcache"
    assert location["origin"]["entry"] == gallery_key(11, 1_650_000_000)
    assert location["origin"]["media_store_id"] == "11"
    rules = {f["rule"]: f["reason"] for f in blob(gone)["findings"]}
    assert "known-bad-hash" in rules
    assert "copy survives in android-gallery-imgcache" in rules["cached-copy-of-matched-material"]

    kept_rules = {f["rule"] for f in blob(kept)["findings"]}
    assert "known-bad-hash" in kept_rules and "cached-copy-of-matched-material" not in kept_rules
    assert {loc["origin"].get("store", "") for loc in blob(kept)["locations"]} == {
        "",
        "android-gallery-imgcache",
    }

    (web_location,) = blob(web)["locations"]
    assert web_location["origin"]["url"] == "https://x.org/img/c.jpg"
    assert web_location["origin"]["cached"] == "2023-11-14T22:13:20+00:00"
    assert (
        "chromium-simple-cache"
        in {f["rule"]: f["reason"] for f in blob(web)["findings"]}[
            "cached-copy-of-matched-material"
        ]
    )
    (webview,) = blob(other)["locations"]
    assert webview["origin"]["url"] == "https://cdn.example/o.jpg"
    assert blob(other)["findings"] == []

    errors = " | ".join(json.dumps(e) for e in report["errors"])
    assert "android-gallery-imgcache: damaged record at offset" in errors
