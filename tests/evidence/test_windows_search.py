"""Windows Search: a Windows 11 Windows.db built from its published schema joins thumbcache
entries to their original paths. (Windows.edb, ESE, is not tested: no ESE writer here.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import ContainerOptions, Member
from scanner.evidence.containers.thumbcache_container import ThumbcacheContainer
from scanner.evidence.containers.windows_search import (
    attribute,
    cache_id_originals,
    is_search_database,
    property_name,
)
from scanner.evidence.streams import BytesStream, FileStream
from tests.evidence.windows_cache_builders import CacheEntry, picture, thumbcache, windows_db

PICTURE = r"C:\Users\x\Pictures\deleted\IMG_0042.jpg"
FILETIME = (1_609_459_200 + 11_644_473_600) * 10_000_000  # 2021-01-01 UTC


def test_cache_ids_map_to_the_paths_windows_shows(tmp_path: Path) -> None:
    db = tmp_path / "Windows.db"
    windows_db(
        str(db),
        {
            1: {"System.ItemPathDisplay": PICTURE,
                "System.ThumbnailCacheId": (0x00A1B2C3D4E5F607).to_bytes(8, "little"),
                "System.Size": (1234).to_bytes(8, "little"),
                "System.DateModified": FILETIME.to_bytes(8, "little")},
            2: {"System.ItemPathDisplay": r"C:\Users\x\Documents\no-thumbnail.txt"},
            5: {"System.ItemPathDisplay": "E:\\big.jpg",
                "System.ThumbnailCacheId": (0x1234).to_bytes(8, "little"),
                "System.Size": (1234).to_bytes(8, "big")},  # in the wrong order: dropped
            3: {"System.ThumbnailCacheId": (0x99).to_bytes(8, "little")},  # no path
            4: {"System.ItemPathDisplay": "D:\\Ünïcode ✓.png".encode("utf-16-le"),
                "System.ThumbnailCacheId": (0xFEDCBA9876543210).to_bytes(8, "little")},
        },
    )  # fmt: skip
    originals = cache_id_originals(FileStream(db))
    assert originals == {
        "00a1b2c3d4e5f607": {
            "original_path": PICTURE,
            "original_size": "1234",
            "original_modified": "2021-01-01T00:00:00+00:00",
        },
        "fedcba9876543210": {"original_path": "D:\\Ünïcode ✓.png"},
        "0000000000001234": {"original_path": "E:\\big.jpg"},
    }


def test_thumbcache_items_get_their_original_path(tmp_path: Path) -> None:
    db = tmp_path / "Windows.db"
    cache_id = (0x00A1B2C3D4E5F607).to_bytes(8, "little")
    windows_db(
        str(db), {7: {"System.ItemPathDisplay": PICTURE, "System.ThumbnailCacheId": cache_id}}
    )
    data = thumbcache(32, 4, [CacheEntry(0x00A1B2C3D4E5F607, picture((1, 1, 1))),
                              CacheEntry(0x5, picture((2, 2, 2)))])  # fmt: skip
    container = ThumbcacheContainer(BytesStream(data), ContainerOptions())
    members = [m for m in container.members() if isinstance(m, Member)]
    originals = cache_id_originals(FileStream(db))
    joined = [attribute(m.origin, originals, "/ProgramData/.../Windows.db") for m in members]
    assert joined[0]["original_path"] == PICTURE
    assert "System.ItemPathDisplay" in joined[0]["original_path_basis"]
    assert "original_path" not in joined[1]
    other = {"store": "thumbs.db", "entry": "00a1b2c3d4e5f607"}
    assert attribute(other, originals, "Windows.db") is other


def test_property_names_in_every_spelling() -> None:
    assert property_name("4454-System_ThumbnailCacheId") == "System_ThumbnailCacheId"
    assert property_name("4631F-System_Search_GatherTime") == "System_Search_GatherTime"
    assert property_name("System.ItemPathDisplay") == "System_ItemPathDisplay"


def test_where_the_index_lives() -> None:
    assert is_search_database("/ProgramData/Microsoft/Search/Data/Applications/Windows/Windows.edb")
    assert is_search_database("/ProgramData/Microsoft/Search/Data/Applications/Windows/Windows.db")
    assert not is_search_database("/Users/x/Windows.db")


def test_hostile_or_foreign_databases_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="neither a SQLite"):
        cache_id_originals(BytesStream(b"\x00" * 64))
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(EvidenceError, match="no SystemIndex_1_PropertyStore_Metadata"):
        cache_id_originals(FileStream(other))
    big = tmp_path / "Windows.db"
    windows_db(str(big), {1: {"System.ItemPathDisplay": "x" * 5000}})
    with pytest.raises(EvidenceError, match="limit"):
        cache_id_originals(FileStream(big), limit=1024)
    ese = BytesStream(b"\x00" * 4 + b"\xef\xcd\xab\x89" + b"\x00" * 8184)
    with pytest.raises(EvidenceError, match="Windows.edb unreadable"):
        cache_id_originals(ese)
    broken = BytesStream(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(EvidenceError, match="unreadable"):
        cache_id_originals(broken)
