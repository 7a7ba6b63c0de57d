"""Sibling access: a container file's resolver finds and opens the files beside it by path
in a folder and in a zip, never outside the evidence, and a listing made through it
reopens from its locator alone (the reference is in the step value)."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from scanner.evidence.containers import ContainerOptions, expand
from scanner.evidence.resolver import Resolver, normalised
from scanner.evidence.streams import read_all
from scanner.types import FileItem, Locator
from tests.evidence.cache_builders import block_addr, block_file, data_1, entry_store
from tests.evidence.windows_cache_builders import (
    CacheEntry,
    QuickLookThumb,
    picture,
    quicklook_index,
    thumbcache,
)


def test_siblings_in_a_folder(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    (evidence / "a/b").mkdir(parents=True)
    (evidence / "a/b/index.sqlite").write_bytes(b"index")
    (evidence / "a/b/thumbnails.data").write_bytes(b"data")
    (evidence / "a/top.txt").write_bytes(b"top")
    (tmp_path / "outside.txt").write_bytes(b"secret")
    (evidence / "a/b/link").symlink_to(tmp_path / "outside.txt")
    resolver = Resolver()
    root = Locator((("folder", str(evidence.resolve())),))
    siblings = resolver.siblings(root.child("file", "a/b/index.sqlite"), "/a/b/index.sqlite")
    assert siblings.find("thumbnails.data") == "a/b/thumbnails.data"
    assert siblings.find("../top.txt") == "a/top.txt"
    assert siblings.find("/a/top.txt") == "a/top.txt"
    assert siblings.find("../../../outside.txt") is None  # ".." stops at the evidence root
    assert siblings.find("link") is None and siblings.find("missing") is None
    assert siblings.find(".") is None  # a folder is not a file
    assert read_all(siblings.open("a/b/thumbnails.data"), 100) == b"data"
    assert siblings.describe("a/top.txt") == "folder:evidence > file:a/top.txt"
    unknown = resolver.siblings(root.child("file", "a/b/index.sqlite"))
    assert unknown.find("thumbnails.data") is None and unknown.find("/a/top.txt") == "a/top.txt"
    assert resolver.siblings(root).find("/a/top.txt") is None  # evidence given as one file


def test_a_member_of_a_zip_finds_its_siblings_by_member_path(tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("C/Cache/data_1", b"1")
        out.writestr("C/Cache/f_00002a", b"f")
        out.writestr("C/other", b"o")
    resolver = Resolver()
    member = Locator((("file", str(archive)), ("zip", "member=C/Cache/data_1")))
    siblings = resolver.siblings(member, "/an/item/path/that/spans/archives")
    assert siblings.path == "/C/Cache/data_1"  # its path in the zip, not the item's
    assert siblings.find("f_00002a") == "member=C/Cache/f_00002a"
    assert siblings.find("../other") == "member=C/other"
    assert siblings.find("nothing") is None
    assert read_all(siblings.open("member=C/other"), 10) == b"o"


def test_a_member_of_a_tar_finds_its_siblings_by_member_path(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "apps/c").mkdir(parents=True)
    (tree / "apps/c/local_trash.db").write_bytes(b"db")
    (tree / "apps/c/x").write_bytes(b"x")
    archive = tmp_path / "x.tar"
    with tarfile.open(archive, "w") as out:
        out.add(tree / "apps", "apps")
    resolver = Resolver()
    root = Locator((("file", str(archive)),))
    value = resolver.lookup(root, "tar", "/apps/c/x")
    assert value is not None and value.startswith("member=apps/c/x@")  # tar: name@offset
    siblings = resolver.siblings(root.child("tar", value))
    assert siblings.path == "/apps/c/x"
    reference = siblings.find("local_trash.db")
    assert reference is not None and read_all(siblings.open(reference), 10) == b"db"


def test_a_quicklook_listing_reopens_from_its_locator_in_a_fresh_resolver(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    (evidence / "C").mkdir(parents=True)
    pixels = bytes(range(4 * 4 * 4))
    (evidence / "C/thumbnails.data").write_bytes(pixels)
    quicklook_index(
        str(evidence / "C/index.sqlite"),
        {1: ("/Users/y", "a.png", b"")},
        [QuickLookThumb(1, 4, 4, 0, len(pixels), 16, 1_600_000_000)],
        bitmap_info=False,
    )
    resolver = Resolver()
    root = Locator((("folder", str(evidence.resolve())),))
    item = FileItem(root.child("file", "C/index.sqlite"), "/C/index.sqlite", 1, False)
    stream = resolver.open_stream(item.locator)
    siblings = resolver.siblings(item.locator, item.path)
    expansion = expand("quicklook", stream, item, ContainerOptions(), siblings=siblings)
    (child,) = expansion.children
    assert child.locator.steps[-1] == ("quicklook", "thumbnail=1,data=C/thumbnails.data")
    assert child.origin["original_path"] == "/Users/y/a.png"
    again = Resolver().open_stream(Locator.from_json(child.locator.to_json()))
    assert read_all(again, 1 << 20) == read_all(resolver.open_stream(child.locator), 1 << 20)
    (evidence / "C/thumbnails.data").unlink()
    missing = expand("quicklook", stream, item, ContainerOptions(), siblings=siblings)
    assert [p.reason for p in missing.problems] == [
        "quicklook: no thumbnails.data beside index.sqlite: its bitmaps cannot be read"
    ]


def test_paths_are_normalised_inside_their_root() -> None:
    assert normalised("a/./b/../c") == "/a/c"
    assert normalised("/../../etc/passwd") == "/etc/passwd"
    assert normalised("C:\\Users\\x") == "/C:/Users/x"


def test_an_unreadable_search_index_is_one_reason_and_the_entries_are_listed(
    tmp_path: Path,
) -> None:
    evidence = tmp_path / "C"
    explorer = evidence / "Users/x/AppData/Local/Microsoft/Windows/Explorer"
    search = evidence / "ProgramData/Microsoft/Search/Data/Applications/Windows"
    explorer.mkdir(parents=True)
    search.mkdir(parents=True)
    (explorer / "thumbcache_96.db").write_bytes(
        thumbcache(32, 3, [CacheEntry(0xAB, picture((9, 9, 9)))])
    )
    (search / "Windows.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    resolver = Resolver()
    root = Locator((("folder", str(evidence.resolve())),))
    relative = "Users/x/AppData/Local/Microsoft/Windows/Explorer/thumbcache_96.db"
    item = FileItem(root.child("file", relative), "/" + relative, 1, False)
    siblings = resolver.siblings(item.locator, item.path)
    expansion = expand(
        "thumbcache", resolver.open_stream(item.locator), item, ContainerOptions(),
        siblings=siblings,
    )  # fmt: skip
    (child,) = expansion.children
    assert child.origin["entry"] == "00000000000000ab" and "original_path" not in child.origin
    (problem,) = expansion.problems
    assert "Windows Search index /ProgramData/Microsoft/Search/Data/Applications/Windows/" in (
        problem.reason
    )
    assert "unreadable" in problem.reason and "entries listed without it" in problem.reason


def test_a_block_file_body_past_the_end_of_data_2_is_a_reason(tmp_path: Path) -> None:
    cache = tmp_path / "Cache"
    cache.mkdir()
    body = b"\xff\xd8\xff" + bytes(1500)
    entries = {
        0: entry_store("https://a.example/cut.jpg", 1_600_000_000, [0, len(body), 0, 0],
                       [0, block_addr(3, 2, 0, 2), 0, 0]),
    }  # fmt: skip
    (cache / "data_1").write_bytes(data_1(entries, allocated={0}))
    (cache / "data_2").write_bytes(block_file(2, 1024, {0: body[:900]}))  # cut short
    resolver = Resolver()
    root = Locator((("folder", str(tmp_path.resolve())),))
    item = FileItem(root.child("file", "Cache/data_1"), "/Cache/data_1", 1, False)
    expansion = expand(
        "chromium-blockfile", resolver.open_stream(item.locator), item, ContainerOptions(),
        siblings=resolver.siblings(item.locator, item.path),
    )  # fmt: skip
    assert expansion.children == []
    (problem,) = expansion.problems
    assert "entry at block 0: stream 1 runs past data_2" in problem.reason
