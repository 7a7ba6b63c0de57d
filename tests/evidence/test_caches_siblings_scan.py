"""End to end, `python -m scanner scan`: caches made of several files are joined through
the files beside them. A real ext4 image (mke2fs -d) holds a Windows volume (thumbcache +
Windows Search's Windows.db), a macOS QuickLook cache (index.sqlite + thumbnails.data)
and iOS Photos thumbnails. A zip (an Android extraction) holds the trash databases of
Google Photos, Samsung's trash provider and Samsung Gallery with their trashed files; a
Chromium block-file cache with bodies in data_1, data_2 and an f_ file; a Gallery imgcache
and a .thumbdata4 whose MediaStore ids the external.db beside them names; a Firefox cache2
entry. Every cached picture is an item with its origin, and each item's locator reopens it
byte-exact (pixel-exact for QuickLook) in a fresh resolver, from its JSON form."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from scanner.evidence.resolver import Resolver
from scanner.evidence.streams import read_all
from scanner.types import Locator
from tests.evidence.cache_builders import (
    block_addr,
    block_file,
    data_1,
    entry_store,
    firefox_entry,
    gallery_key,
    imgcache,
    jpeg,
    thumbdata,
)
from tests.evidence.windows_cache_builders import (
    CacheEntry,
    QuickLookThumb,
    picture,
    quicklook_index,
    quicklook_version,
    thumbcache,
    windows_db,
)

EXPLORER = "Users/x/AppData/Local/Microsoft/Windows/Explorer"
SEARCH = "ProgramData/Microsoft/Search/Data/Applications/Windows"
QUICKLOOK = "private/var/folders/zz/abc123/C/com.apple.QuickLook.thumbnailcache"
IOS = "private/var/mobile/Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0042.HEIC/5005.JPG"
PHOTOS = "data/data/com.google.android.apps.photos"
TRASH_PROVIDER = "data/data/com.samsung.android.providers.trash/databases/trash.db"
SAMSUNG_TRASH = "Android/.Trash/com.sec.android.gallery3d/1700000000000a.jpg"
GALLERY_DB = "data/data/com.sec.android.gallery3d/databases/local.db"
IMGCACHE = "data/data/com.sec.android.gallery3d/cache/imgcache.0"
THUMBDATA = "data/media/0/DCIM/.thumbnails/.thumbdata4--1967290299"
EXTERNAL_DB = "data/data/com.google.android.providers.media.module/databases/external.db"
FIREFOX = "data/data/org.mozilla.firefox/cache/mozilla/firefox/ab12.default/cache2/entries"
GALLERY_TRASH = "Android/data/com.sec.android.gallery3d/files/.Trash/x1"
CHROME = "data/data/com.android.chrome/cache/Chrome/Default/Cache"
WHEN = 1_600_000_000  # 2020-09-13T12:26:40Z
FILETIME = (WHEN + 11_644_473_600) * 10_000_000
UUID = "125a9db3-3d3c-49b7-8bde-5015d30bf229"


def run(*args: str, home: Path) -> None:
    env = {**os.environ, "DFTRIAGE_HOME": str(home)}
    command = [sys.executable, "-m", "scanner", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode in (0, 1), done.stderr


def scan(evidence: Path, case: Path, known_bad: tuple[bytes, ...] = ()) -> dict[str, Any]:
    """`dftriage scan` (no models, no carving), with a known-bad set of `known_bad`."""
    home = case.parent / "home"
    sets: list[str] = []
    if known_bad:
        listing = case.parent / "bad.sha256"
        listing.write_text("".join(hashlib.sha256(p).hexdigest() + "\n" for p in known_bad))
        run("sets", "import", str(listing), "--name", "bad", "--kind", "known-bad", home=home)
        sets = ["--sets", "bad"]
    command = ["scan", str(evidence), "--case", str(case), "--no-models", "--no-carve", *sets]
    run(*command, home=home)
    report: dict[str, Any] = json.loads((case / "report.json").read_text())
    return report


def cached(report: dict[str, Any], store: str) -> list[dict[str, Any]]:
    """Every location whose origin names `store`, with its content's SHA-256 and rules."""
    return [
        {**loc, "sha256": blob["sha256"], "rules": {f["rule"] for f in blob["findings"]}}
        for blob in report["blobs"]
        for loc in blob["locations"]
        if loc["origin"].get("store") == store
    ]


def joined(report: dict[str, Any], store: str, key: str) -> dict[str, dict[str, Any]]:
    """{origin[key] -> location} of the locations of `store` whose origin has `key`."""
    return {loc["origin"][key]: loc for loc in cached(report, store) if key in loc["origin"]}


def reopened(case: Path, locator: str) -> bytes:
    """An item's content reopened from its stored JSON locator by a fresh resolver."""
    with sqlite3.connect(case / "case.sqlite") as db:
        ((evidence, text),) = db.execute(
            "SELECT e.path, i.locator_json FROM items i JOIN evidence e ON e.id = i.evidence_id"
            " WHERE i.locator = ?",
            (locator,),
        ).fetchall()
    resolver = Resolver()
    try:
        return read_all(resolver.open_stream(Locator.from_json(text).with_root(evidence)), 1 << 26)
    finally:
        resolver.close()


def quicklook_files(folder: Path) -> np.ndarray:
    """index.sqlite + thumbnails.data of one 12x9 BGRA bitmap; its RGBA pixels."""
    rgba = np.random.default_rng(5).integers(0, 256, (9, 12, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    stored = rgba[..., [2, 1, 0, 3]].tobytes()  # 0x2002: B, G, R, A
    (folder / "thumbnails.data").write_bytes(b"\x00" * 64 + stored)
    quicklook_index(
        str(folder / "index.sqlite"),
        {1: ("/Users/y/Pictures/gone", "IMG_7.JPG", quicklook_version(WHEN - 86400, 4242))},
        [QuickLookThumb(1, 12, 9, 64, len(stored), 48, WHEN, bitmap_info=0x2002)],
        bitmap_info=True,
    )
    return rgba


@pytest.fixture(scope="module")
def ext4_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict]:
    root = tmp_path_factory.mktemp("ext4")
    tree = root / "tree"
    for folder in (EXPLORER, SEARCH, QUICKLOOK, IOS.rsplit("/", 1)[0]):
        (tree / folder).mkdir(parents=True)
    red, blue, grey = (
        picture((200, 30, 30), (64, 48)),
        picture((30, 30, 200), (48, 64), "PNG"),
        jpeg(9),
    )
    entries = [
        CacheEntry(0x00A1B2C3D4E5F607, red),
        CacheEntry(0x5EED, blue),
        CacheEntry(0x77, grey),
    ]
    (tree / EXPLORER / "thumbcache_256.db").write_bytes(thumbcache(32, 4, entries))
    windows_db(
        str(tree / SEARCH / "Windows.db"),
        {
            1: {"System.ItemPathDisplay": r"C:\Users\x\Pictures\deleted\IMG_0042.jpg",
                "System.ThumbnailCacheId": (0x00A1B2C3D4E5F607).to_bytes(8, "little"),
                "System.DateModified": FILETIME.to_bytes(8, "little"),
                "System.Size": (123_456).to_bytes(8, "little")},
            2: {"System.ItemPathDisplay": "D:\\USB\\b.png".encode("utf-16-le"),
                "System.ThumbnailCacheId": (0x5EED).to_bytes(8, "little")},
        },
    )  # fmt: skip
    pixels = quicklook_files(tree / QUICKLOOK)
    ios = jpeg(21, (120, 90))
    (tree / IOS).write_bytes(ios)
    image = root / "disk.img"
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", str(tree), str(image), "8M"], check=True)
    case = root / "case"
    pictures = {"red": red, "blue": blue, "grey": grey, "ios": ios, "pixels": pixels}
    return case, scan(image, case), pictures


def test_thumbcache_entries_get_their_original_from_windows_search(ext4_scan: tuple) -> None:
    case, report, pictures = ext4_scan
    found = joined(report, "thumbcache", "entry")
    assert set(found) == {"00a1b2c3d4e5f607", "0000000000005eed", "0000000000000077"}
    red = found["00a1b2c3d4e5f607"]
    assert red["sha256"] == hashlib.sha256(pictures["red"]).hexdigest()
    assert red["origin"]["original_path"] == r"C:\Users\x\Pictures\deleted\IMG_0042.jpg"
    assert red["origin"]["original_modified"] == "2020-09-13T12:26:40+00:00"
    assert red["origin"]["original_size"] == "123456"
    assert f"/{SEARCH}/Windows.db" in red["origin"]["original_path_basis"]
    assert found["0000000000005eed"]["origin"]["original_path"] == "D:\\USB\\b.png"
    assert "original_path" not in found["0000000000000077"]["origin"]  # not in the index
    assert reopened(case, red["locator"]) == pictures["red"]


def test_quicklook_thumbnails_are_items_with_their_original(ext4_scan: tuple) -> None:
    case, report, pictures = ext4_scan
    (location,) = cached(report, "quicklook")
    origin = location["origin"]
    assert origin["original_path"] == "/Users/y/Pictures/gone/IMG_7.JPG"
    assert origin["original_modified"] == "2020-09-12T12:26:40+00:00"
    assert origin["original_size"] == "4242" and origin["thumbnail"] == "12x9 px"
    assert origin["cached"] == "2020-09-13T12:26:40+00:00"
    assert location["path"] == f"/{QUICKLOOK}/index.sqlite/1.png"
    assert ",data=inode=" in location["locator"]  # thumbnails.data named in the step
    png = reopened(case, location["locator"])
    assert hashlib.sha256(png).hexdigest() == location["sha256"]
    decoded = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    assert np.array_equal(decoded, pictures["pixels"])


def test_ios_photos_thumbnails_name_their_asset(ext4_scan: tuple) -> None:
    case, report, pictures = ext4_scan
    (location,) = cached(report, "ios-photos-thumbnails")
    assert location["sha256"] == hashlib.sha256(pictures["ios"]).hexdigest()
    assert location["origin"]["original_path"] == (
        "/private/var/mobile/Media/DCIM/100APPLE/IMG_0042.HEIC"
    )
    assert location["path"] == f"/{IOS}"


def chrome_cache(folder: Path) -> dict[str, bytes]:
    """index, data_0..data_2 and f_00002a with one body in each of data_1, data_2, f_."""
    small, middle, large = jpeg(31, (16, 12)), jpeg(32, (40, 30)), jpeg(33, (200, 150))
    assert len(small) <= 1024 and 1024 < len(middle) <= 4096
    headers = b"HTTP/1.1 200 OK\0content-type: image/jpeg\0\0"
    entries = {
        0: entry_store(
            "https://a.example/small.jpg",
            WHEN,
            [len(headers), len(small), 0, 0],
            [block_addr(2, 1, 10), block_addr(2, 1, 12, 4), 0, 0],
        ),
        2: entry_store(
            "https://a.example/middle.jpg",
            WHEN + 1,
            [len(headers), len(middle), 0, 0],
            [block_addr(2, 1, 10), block_addr(3, 2, 1, 4), 0, 0],
        ),
        4: entry_store(
            "https://a.example/large.jpg",
            WHEN + 2,
            [0, len(large), 0, 0],
            [0, block_addr(0, 0, 0) | 0x2A, 0, 0],
        ),
        6: entry_store(
            "https://a.example/purged.jpg",
            WHEN,
            [0, 5000, 0, 0],
            [0, block_addr(0, 0, 0) | 7, 0, 0],
        ),
        10: headers.ljust(256, b"\0"),
        12: small.ljust(1024, b"\0"),
    }
    folder.mkdir(parents=True)
    (folder / "data_1").write_bytes(data_1(entries, allocated={0, 2, 4, 6, 10, 12, 13, 14, 15}))
    (folder / "data_2").write_bytes(block_file(2, 1024, {1: middle}))
    (folder / "data_0").write_bytes(block_file(0, 36, {0: b"\0" * 36}))
    (folder / "index").write_bytes(b"\xc3\xca\x03\xc1" + b"\0" * 252)
    (folder / "f_00002a").write_bytes(large)
    return {"small": small, "middle": middle, "large": large}


def trash_databases(root: Path) -> dict[str, bytes]:
    """Google Photos' local_trash.db with its trash_files/, Samsung's trash.db with its
    trashed file under shared storage, and one record of each whose file is gone."""
    photos_db = root / PHOTOS / "databases/local_trash.db"
    photos_db.parent.mkdir(parents=True)
    (root / PHOTOS / "files/trash_files").mkdir(parents=True)
    with sqlite3.connect(photos_db) as db:
        db.execute(
            "CREATE TABLE local (_id INTEGER PRIMARY KEY, local_path TEXT, trash_file_name TEXT,"
            " deleted_time INTEGER, is_video INTEGER, media_store_id INTEGER)"
        )
        db.executemany(
            "INSERT INTO local (local_path, trash_file_name, deleted_time, media_store_id)"
            " VALUES (?, ?, ?, ?)",
            [
                ("/storage/emulated/0/DCIM/Camera/IMG_1.jpg", UUID, 1_610_400_000_123, 41),
                ("/storage/emulated/0/DCIM/Camera/IMG_2.jpg", "purged-uuid", 1_610_400_000_000, 42),
            ],
        )
    db.close()
    google = jpeg(41, (80, 60))
    (root / PHOTOS / "files/trash_files" / UUID).write_bytes(google)
    provider = root / TRASH_PROVIDER
    provider.parent.mkdir(parents=True)
    with sqlite3.connect(provider) as db:
        db.execute(
            "CREATE TABLE trashes (_id INTEGER PRIMARY KEY, _data TEXT, original_path TEXT,"
            " sec_media_id INTEGER, date_expires INTEGER, date_deleted INTEGER)"
        )
        db.execute(
            "INSERT INTO trashes (_data, original_path, sec_media_id, date_expires, date_deleted)"
            " VALUES (?, ?, ?, ?, ?)",
            (f"/storage/emulated/0/{SAMSUNG_TRASH}", "/storage/emulated/0/DCIM/a.jpg", 77,
             1_702_592_000, 1_700_000_000),
        )  # fmt: skip
    db.close()
    samsung = jpeg(42, (60, 80))
    (root / "data/media/0" / SAMSUNG_TRASH).parent.mkdir(parents=True)
    (root / "data/media/0" / SAMSUNG_TRASH).write_bytes(samsung)
    (root / GALLERY_DB).parent.mkdir(parents=True)
    with sqlite3.connect(root / GALLERY_DB) as db:
        db.execute(
            "CREATE TABLE trash (__absID INTEGER, __absPath TEXT, __Title TEXT,"
            " __originPath TEXT, __deleteTime INTEGER)"
        )
        db.execute(
            "INSERT INTO trash (__absPath, __originPath, __deleteTime) VALUES (?, ?, ?)",
            (f"/storage/emulated/0/{GALLERY_TRASH}", "/storage/emulated/0/DCIM/Camera/b.jpg",
             1_640_000_000_000),
        )  # fmt: skip
    db.close()
    gallery = jpeg(43, (50, 50))
    (root / "data/media/0" / GALLERY_TRASH).parent.mkdir(parents=True)
    (root / "data/media/0" / GALLERY_TRASH).write_bytes(gallery)
    return {"google": google, "samsung": samsung, "gallery": gallery}


def media_store_caches(root: Path) -> dict[str, bytes]:
    """A Gallery imgcache (MediaStore _id 11, and 12 not in MediaStore), a .thumbdata4
    (slots 3 and 5) and the external.db naming _id 3, 5 and 11."""
    gallery, unknown, slot3, slot5 = (jpeg(n, (48, 36)) for n in (51, 52, 53, 54))
    data, _ = imgcache([(gallery_key(11, WHEN), gallery), (gallery_key(12, WHEN), unknown)])
    for path, content in ((IMGCACHE, data), (THUMBDATA, thumbdata({3: slot3, 5: slot5}))):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content)
    (root / EXTERNAL_DB).parent.mkdir(parents=True)
    with sqlite3.connect(root / EXTERNAL_DB) as db:
        db.execute("CREATE TABLE files (_id INTEGER PRIMARY KEY, _data TEXT, _size INTEGER)")
        db.executemany(
            "INSERT INTO files (_id, _data) VALUES (?, ?)",
            [(3, "/storage/emulated/0/DCIM/Camera/c.jpg"),
             (5, "/storage/emulated/0/Pictures/e.png"),
             (11, "/storage/emulated/0/DCIM/Camera/gone.jpg")],
        )  # fmt: skip
    db.close()
    return {"gallery": gallery, "unknown": unknown, "slot3": slot3, "slot5": slot5}


@pytest.fixture(scope="module")
def zip_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict]:
    root = tmp_path_factory.mktemp("android")
    tree = root / "tree"
    pictures = {**chrome_cache(tree / CHROME), **trash_databases(tree)}
    pictures.update({f"media-{k}": v for k, v in media_store_caches(tree).items()})
    pictures["firefox"] = jpeg(61, (40, 30))
    (tree / FIREFOX).mkdir(parents=True)
    (tree / FIREFOX / ("0A" * 20)).write_bytes(
        firefox_entry(
            "O^partitionKey=%28https%2Cexample.net%29,a,:https://cdn.example.net/p/f.jpg",
            gzip.compress(pictures["firefox"]),
            "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Encoding: gzip\r\n",
            WHEN,
        )
    )
    extraction = root / "extraction.zip"
    with zipfile.ZipFile(extraction, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tree).as_posix())
    case = root / "case"
    # known-bad: a picture only the trash holds, one only an f_ file holds, and one whose
    # cache copy (a .thumbdata slot) is joined to an original that is still there
    bad = (pictures["google"], pictures["large"], pictures["media-slot3"])
    (tree / "kept.jpg").write_bytes(pictures["media-slot3"])
    with zipfile.ZipFile(extraction, "a") as archive:
        archive.write(tree / "kept.jpg", "data/media/0/DCIM/Camera/c.jpg")
    return case, scan(extraction, case, bad), pictures


def test_block_file_bodies_in_every_file_are_items_with_their_url(zip_scan: tuple) -> None:
    case, report, pictures = zip_scan
    by_url = joined(report, "chromium-blockfile-cache", "url")
    assert set(by_url) == {f"https://a.example/{n}.jpg" for n in ("small", "middle", "large")}
    for name in ("small", "middle", "large"):
        location = by_url[f"https://a.example/{name}.jpg"]
        assert location["sha256"] == hashlib.sha256(pictures[name]).hexdigest()
        assert location["origin"]["cached"].startswith("2020-09-13T12:26:4")
        assert reopened(case, location["locator"]) == pictures[name]
    assert f"file=member={CHROME}/data_2" in by_url["https://a.example/middle.jpg"]["locator"]
    assert by_url["https://a.example/small.jpg"]["origin"]["content_type"] == "image/jpeg"
    errors = " | ".join(e["reason"] for e in report["errors"])
    assert "bodies of entries not found beside data_1 (1 in f_ files)" in errors
    # the f_ file is also a file of the walk, a cache file by its path: only caches hold it
    large = [
        loc for loc in cached(report, "chromium-blockfile-cache") if "url" not in loc["origin"]
    ]
    assert [loc["path"] for loc in large] == [f"/{CHROME}/f_00002a"]
    assert large[0]["origin"]["entry"] == "f_00002a"
    assert "cached-copy-of-matched-material" in large[0]["rules"]


def test_trashed_files_carry_their_original_path(zip_scan: tuple) -> None:
    case, report, pictures = zip_scan
    (google,) = joined(report, "google-photos-trash", "original_path").values()
    assert google["sha256"] == hashlib.sha256(pictures["google"]).hexdigest()
    assert google["origin"]["original_path"] == "/storage/emulated/0/DCIM/Camera/IMG_1.jpg"
    assert google["origin"]["deleted"] == "2021-01-11T21:20:00+00:00"
    assert google["origin"]["entry"] == UUID and google["origin"]["media_store_id"] == "41"
    (samsung,) = joined(report, "samsung-trash-provider", "original_path").values()
    assert samsung["sha256"] == hashlib.sha256(pictures["samsung"]).hexdigest()
    assert samsung["origin"]["original_path"] == "/storage/emulated/0/DCIM/a.jpg"
    assert samsung["origin"]["deleted"] == "2023-11-14T22:13:20+00:00"
    assert samsung["path"] == f"/{TRASH_PROVIDER}/a.jpg"
    (gallery,) = joined(report, "samsung-gallery-trash", "original_path").values()
    assert gallery["sha256"] == hashlib.sha256(pictures["gallery"]).hexdigest()
    assert gallery["origin"]["original_path"] == "/storage/emulated/0/DCIM/Camera/b.jpg"
    assert gallery["origin"]["deleted"] == "2021-12-20T11:33:20+00:00"
    for location, name in ((google, "google"), (samsung, "samsung"), (gallery, "gallery")):
        assert reopened(case, location["locator"]) == pictures[name]
    errors = " | ".join(e["reason"] for e in report["errors"])
    assert "android-trash: 1 of 2 trashed files it names not found beside it (purged" in errors
    # the trashed file itself is in a trash folder: the picture is only in the trash
    trashed = cached(report, "google-photos-trash")
    plain = [loc for loc in trashed if "original_path" not in loc["origin"]]
    assert [loc["path"] for loc in plain] == [f"/{PHOTOS}/files/trash_files/{UUID}"]
    assert (
        "cached-copy-of-matched-material" in google["rules"] and "known-bad-hash" in google["rules"]
    )


def test_gallery_and_mini_thumbnails_get_their_file_path_from_media_store(
    zip_scan: tuple,
) -> None:
    case, report, pictures = zip_scan
    basis = f"MediaStore /{EXTERNAL_DB}: files._data of _id"
    gallery = joined(report, "android-gallery-imgcache", "media_store_id")
    assert set(gallery) == {"11", "12"}
    assert gallery["11"]["sha256"] == hashlib.sha256(pictures["media-gallery"]).hexdigest()
    assert gallery["11"]["origin"]["original_path"] == "/storage/emulated/0/DCIM/Camera/gone.jpg"
    assert gallery["11"]["origin"]["original_path_basis"] == f"{basis} 11"
    assert "original_path" not in gallery["12"]["origin"]  # not in MediaStore
    slots = joined(report, "android-thumbdata", "media_store_id")
    assert slots["3"]["origin"]["original_path"] == "/storage/emulated/0/DCIM/Camera/c.jpg"
    assert slots["5"]["origin"]["original_path"] == "/storage/emulated/0/Pictures/e.png"
    for slot, name in (("3", "media-slot3"), ("5", "media-slot5")):
        assert reopened(case, slots[slot]["locator"]) == pictures[name]
    # a known-bad picture whose original is still in the evidence: matched, but not a
    # cached copy of something gone
    assert "known-bad-hash" in slots["3"]["rules"]
    assert "cached-copy-of-matched-material" not in slots["3"]["rules"]


def test_firefox_cache_entries_are_items_with_their_url(zip_scan: tuple) -> None:
    case, report, pictures = zip_scan
    (location,) = cached(report, "firefox-cache2")
    assert location["sha256"] == hashlib.sha256(pictures["firefox"]).hexdigest()  # decoded
    assert location["origin"]["url"] == "https://cdn.example.net/p/f.jpg"
    assert location["origin"]["cached"] == "2020-09-13T12:26:40+00:00"
    assert reopened(case, location["locator"]) == pictures["firefox"]
