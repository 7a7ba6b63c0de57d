"""Gallery and browser caches, built byte by byte from their layouts: every planted
picture comes back byte-exact with its key or URL and time; damage is a problem row
naming the store and the entry, and never stops the listing before it."""

from __future__ import annotations

import gzip
import struct
import time
import zlib

import brotli
import pytest

from scanner.evidence.containers import CONTAINERS, ContainerOptions, Expansion, expand, sniff
from scanner.evidence.containers.cache_common import jpeg_end, url_member_path
from scanner.evidence.streams import BytesStream, read_all
from scanner.types import FileItem, Locator
from tests.evidence.cache_builders import (
    block_addr,
    data_1,
    entry_store,
    firefox_entry,
    gallery_key,
    imgcache,
    jpeg,
    simple_entry,
    thumbdata,
)

OPTIONS = ContainerOptions()


def listing(data: bytes, kind: str | None = None) -> tuple[Expansion, dict[str, bytes]]:
    """The expansion of `data` (sniffed as `kind`) and every child's content."""
    stream = BytesStream(data)
    found = sniff(data[:4096], stream)
    assert found == kind, f"sniffed as {found}, expected {kind}"
    parent = FileItem(Locator((("file", "/ev/x"),)), "/x", len(data), False)
    expansion = expand(found, stream, parent, OPTIONS)
    if not expansion.children:
        return expansion, {}
    container = CONTAINERS[found](stream, OPTIONS)
    contents = {
        child.locator.steps[-1][1]: read_all(container.open(child.locator.steps[-1][1]), 1 << 30)
        for child in expansion.children
    }
    return expansion, contents


def reasons(expansion: Expansion) -> str:
    return " | ".join(problem.reason for problem in expansion.problems)


# ---- Gallery imgcache ------------------------------------------------------------------


def test_imgcache_records_give_the_picture_its_media_id_and_time() -> None:
    pictures = [(gallery_key(101 + n, 1_650_000_000 + n, 1 + n % 2), jpeg(n)) for n in range(3)]
    data, offsets = imgcache(pictures)
    expansion, contents = listing(data, "imgcache")
    assert not expansion.problems
    assert [c.locator.steps[-1][1] for c in expansion.children] == [f"record={o}" for o in offsets]
    for child, (key, picture) in zip(expansion.children, pictures, strict=True):
        assert contents[child.locator.steps[-1][1]] == picture and child.size == len(picture)
        assert child.origin["store"] == "android-gallery-imgcache"
        assert child.origin["entry"] == key
        media_id = key.split("/")[-1].split("+")[0]
        assert child.origin["media_store_id"] == media_id and media_id in child.path
        assert child.origin["original_modified"].startswith("2022-04-15T")
    assert expansion.children[0].origin["thumbnail"].startswith("thumbnail")
    assert expansion.children[1].origin["thumbnail"].startswith("micro-thumbnail")


def test_imgcache_damage_is_named_and_the_records_after_it_are_found() -> None:
    pictures = [(gallery_key(n, 1_650_000_000), jpeg(n)) for n in range(4)]
    data, offsets = imgcache(pictures)
    broken = bytearray(data)
    struct.pack_into("<I", broken, offsets[1] + 12, 999_999)  # record 1 names a wrong offset
    struct.pack_into("<I", broken, offsets[2] + 8, 0xDEAD)  # record 2: wrong checksum
    broken += struct.pack("<QIII", 7, 0, len(broken), 1 << 30)  # a last one past the end
    expansion, contents = listing(bytes(broken), "imgcache")
    values = [c.locator.steps[-1][1] for c in expansion.children]
    assert values == [f"record={o}" for o in (offsets[0], offsets[2], offsets[3])]
    assert contents[values[1]] == pictures[2][1]  # listed anyway, flagged
    assert "checksum mismatch" in expansion.children[1].origin["note"]
    text = reasons(expansion)
    assert f"damaged record at offset {offsets[1]}: says it is at offset 999999" in text
    assert f"resuming at offset {offsets[2]}" in text
    assert f"record at offset {offsets[2]}" in text and "checksum mismatch" in text
    assert "runs past the end" in text and "no record after it" in text


def test_an_imgcache_blob_without_a_gallery_key_is_listed_whole() -> None:
    data = struct.pack("<I", 0xBD248510)
    data += struct.pack("<QIII", 5, zlib.adler32(jpeg(9)), 4, len(jpeg(9))) + jpeg(9)
    expansion, contents = listing(data, "imgcache")
    assert list(contents.values()) == [jpeg(9)]
    assert expansion.children[0].origin["entry"] == "0000000000000005"


def test_a_wrong_file_magic_is_not_an_imgcache() -> None:
    data, _ = imgcache([(gallery_key(1, 1), jpeg(1))])
    assert sniff(b"\x11" + data[1:4096], BytesStream(b"\x11" + data[1:])) is None


def test_a_hundred_thousand_tiny_records_are_listed_in_bounded_time() -> None:
    count = 100_000
    out = bytearray(struct.pack("<I", 0xBD248510))
    for n in range(count):
        blob = gallery_key(n, 1_650_000_000).encode("utf-16-le") + b"\xff\xd8\xff\xd9"
        out += struct.pack("<QIII", n, zlib.adler32(blob), len(out), len(blob)) + blob
    stream = BytesStream(bytes(out))
    parent = FileItem(Locator((("file", "/ev/x"),)), "/x", len(out), False)
    started = time.perf_counter()
    expansion = expand("imgcache", stream, parent, OPTIONS)
    elapsed = time.perf_counter() - started
    assert len(expansion.children) == count and not expansion.problems
    assert expansion.children[-1].origin["media_store_id"] == str(count - 1)
    assert elapsed < 60, f"{elapsed:.1f} s for {count} records"
    print(f"imgcache: {count} records listed in {elapsed:.2f} s")


# ---- .thumbdata ------------------------------------------------------------------------


def test_thumbdata_slots_are_media_store_ids() -> None:
    slots = {3: jpeg(3), 7: jpeg(7), 8: jpeg(8)}
    expansion, contents = listing(thumbdata(slots), "thumbdata")
    assert not expansion.problems
    assert {
        c.origin["media_store_id"]: contents[c.locator.steps[-1][1]] for c in expansion.children
    } == {str(k): v for k, v in slots.items()}
    assert all(c.origin["store"] == "android-thumbdata" for c in expansion.children)


def test_a_damaged_thumbdata_length_is_recovered_from_the_jpeg_end() -> None:
    slots = {2: jpeg(2), 5: jpeg(5)}
    data = bytearray(thumbdata(slots, length_of={2: 9_990}))
    data[5 * 10_000 + 13 : 5 * 10_000 + 16] = b"\0\0\0"  # slot 5: no JPEG any more
    data[6 * 10_000 - 1] = 0
    expansion, contents = listing(bytes(data), "thumbdata")
    assert list(contents.values()) == [jpeg(2)]
    text = reasons(expansion)
    assert "slot 2: length 9990 damaged: JPEG end found" in text
    assert "slot 5 (MediaStore _id 5): no JPEG after the slot header" in text


def test_a_file_of_zeros_or_a_plain_jpeg_is_not_thumbdata() -> None:
    assert sniff(bytes(4096), BytesStream(bytes(200_000))) is None
    assert sniff(jpeg(1)[:4096], BytesStream(jpeg(1))) is None


# ---- Chromium simple cache ---------------------------------------------------------------

URL = "https://cdn.example.org/photos/../a%20b/pic.jpg?x=1"
KEY = f"1/0/_dk_https://example.org https://example.org {URL}"
HEADERS = ["HTTP/1.1 200", "content-type: image/jpeg", "date: Tue, 14 Nov 2023 22:13:20 GMT"]


@pytest.mark.parametrize("encoding", ["", "gzip", "br"])
def test_a_simple_cache_entry_gives_the_decoded_body_url_and_time(encoding: str) -> None:
    picture = jpeg(21)
    body = {"": picture, "gzip": gzip.compress(picture), "br": brotli.compress(picture)}[encoding]
    headers = HEADERS + ([f"content-encoding: {encoding}"] if encoding else [])
    expansion, contents = listing(simple_entry(KEY, body, headers), "chromium-simple")
    assert not expansion.problems, reasons(expansion)
    (child,) = expansion.children
    assert list(contents.values()) == [picture] and child.size == len(picture)
    assert child.origin["url"] == URL and child.origin["entry"] == KEY
    assert child.origin["cached"] == "2023-11-14T22:13:20+00:00"
    assert child.origin["content_type"] == "image/jpeg"
    assert "/" not in child.path.removeprefix("/x/") and ".." not in child.path


def test_a_simple_cache_entry_without_key_hash_and_a_stream_2_file() -> None:
    expansion, contents = listing(
        simple_entry(KEY, jpeg(1), HEADERS, sha256=False), "chromium-simple"
    )
    assert list(contents.values()) == [jpeg(1)] and not expansion.problems
    raw_key = b"https://example.org/code"
    one = struct.pack("<QIII4x", 0xFCFB6D1BA7725C30, 5, len(raw_key), 0) + raw_key + b"DATA"
    one += struct.pack("<QIII4x", 0xF4FA6F45970D41D8, 0, 0, 0)
    expansion, contents = listing(one, "chromium-simple")
    assert list(contents.values()) == [b"DATA"]


def test_simple_cache_damage_is_named() -> None:
    wrong_crc = simple_entry(KEY, jpeg(2), HEADERS, crc=1)
    expansion, contents = listing(wrong_crc, "chromium-simple")
    assert list(contents.values()) == [jpeg(2)]
    assert f"{URL!r}: body CRC-32 mismatch" in reasons(expansion)
    cut = simple_entry(KEY, jpeg(3), HEADERS)[:-10]
    expansion, _ = listing(cut, "chromium-simple")
    assert "no EOF record at the end" in reasons(expansion)
    long_key = bytearray(simple_entry(KEY, jpeg(3), HEADERS))
    struct.pack_into("<I", long_key, 12, 1 << 30)
    expansion, _ = listing(bytes(long_key), "chromium-simple")
    assert "key length 1073741824 runs past the entry's end" in reasons(expansion)
    bomb = gzip.compress(bytes(50 << 20))
    entry = simple_entry(KEY, bomb, [*HEADERS, "content-encoding: gzip"])
    stream = BytesStream(entry)
    parent = FileItem(Locator((("file", "/ev/x"),)), "/x", len(entry), False)
    tight = ContainerOptions(bomb_floor=1 << 20)
    expansion = expand("chromium-simple", stream, parent, tight)
    assert "gzip body decodes to more than" in reasons(expansion)
    assert expansion.children[0].size == len(bomb)  # the encoded body, not decoded


# ---- Firefox cache2 --------------------------------------------------------------------


def test_a_firefox_entry_gives_content_url_and_fetch_time() -> None:
    url = "https://img.example.net/x/y.jpg"
    picture = jpeg(31)
    head = "HTTP/2 200 \r\ncontent-type: image/jpeg\r\ncontent-encoding: gzip\r\n"
    data = firefox_entry(
        f"O^partitionKey=%28https%2Cexample.net%29,a,:{url}",
        gzip.compress(picture),
        head,
        1_700_000_000,
    )
    expansion, contents = listing(data, "firefox-cache2")
    assert not expansion.problems, reasons(expansion)
    (child,) = expansion.children
    assert list(contents.values()) == [picture]
    assert child.origin["url"] == url and child.origin["store"] == "firefox-cache2"
    assert child.origin["cached"] == "2023-11-14T22:13:20+00:00"
    assert child.origin["fetch_count"] == "2"


def test_a_file_whose_end_is_not_cache2_metadata_is_not_an_entry() -> None:
    data = bytearray(
        firefox_entry("a,:https://e.org/a.jpg", jpeg(1), "HTTP/1.1 200\r\n", 1_700_000_000)
    )
    data[-4:] = struct.pack(">I", len(data))  # metadata offset past the end
    assert sniff(bytes(data[:4096]), BytesStream(bytes(data))) is None
    assert sniff(jpeg(1)[:4096], BytesStream(jpeg(1))) is None


# ---- Chromium block file ------------------------------------------------------------------


def test_data_1_lists_bodies_it_holds_and_counts_those_elsewhere() -> None:
    small = b"\xff\xd8\xff\xe0" + bytes(300) + b"\xff\xd9"
    headers = b"HTTP/1.1 200 OK\0content-type: image/jpeg\0\0"
    blocks = {
        0: entry_store(
            "https://a.example/s.jpg",
            1_700_000_000,
            [len(headers), len(small), 0, 0],
            [block_addr(2, 1, 10), block_addr(2, 1, 12, 2), 0, 0],
        ),
        10: headers.ljust(256, b"\0"),
        12: small.ljust(512, b"\0"),
        2: entry_store(
            "https://a.example/big.jpg",
            1_700_000_100,
            [0, 50_000, 0, 0],
            [0, block_addr(0, 0, 0) | 0x2A, 0, 0],
        ),
        4: entry_store(
            "https://a.example/old.jpg",
            1_600_000_000,
            [0, len(small), 0, 0],
            [0, block_addr(2, 1, 12, 2), 0, 0],
        ),
        6: entry_store(
            "https://a.example/past.jpg",
            1_600_000_000,
            [0, 900, 0, 0],
            [0, block_addr(2, 1, 200, 4), 0, 0],
        ),
    }
    expansion, contents = listing(
        data_1(blocks, allocated={0, 2, 6, 10, 11, 12, 13}), "chromium-blockfile"
    )
    by_url = {c.origin["url"]: c for c in expansion.children}
    assert set(by_url) == {"https://a.example/s.jpg", "https://a.example/old.jpg"}
    assert all(value == small for value in contents.values())
    first = by_url["https://a.example/s.jpg"]
    assert first.origin["cached"] == "2023-11-14T22:13:20+00:00" and not first.deleted
    assert first.origin["content_type"] == "image/jpeg"
    assert by_url["https://a.example/old.jpg"].deleted  # block not allocated: dropped entry
    text = reasons(expansion)
    assert "1 in f_ files" in text
    assert "entry at block 6: stream 1 runs past data_1" in text


# ---- shared helpers ------------------------------------------------------------------------


def test_jpeg_end_walks_segments_and_entropy_data() -> None:
    picture = jpeg(5)
    assert jpeg_end(picture + b"trailing", 0) == len(picture)
    assert jpeg_end(picture[:-2], 0) is None
    assert jpeg_end(b"nope" + picture, 0) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://h/../../etc/passwd",
        "https://h/a/b\x00c",
        "file:///C:/x",
        "https://h/" + "é" * 500,
        "::::",
    ],
)
def test_a_url_never_becomes_a_path_with_separators_or_parent_steps(url: str) -> None:
    path = url_member_path(url, "entry")
    assert "/" not in path and ".." not in path and "\x00" not in path and len(path) < 200


def test_a_data_1_header_that_overstates_its_blocks_or_is_another_block_file() -> None:
    small = b"\xff\xd8\xff\xe0" + bytes(100) + b"\xff\xd9"
    entry = entry_store(
        "https://a.example/x.jpg",
        1_700_000_000,
        [0, len(small), 0, 0],
        [0, block_addr(2, 1, 2), 0, 0],
    )
    data = data_1({0: entry, 2: small.ljust(256, b"\0")}, {0, 2}, capacity=1 << 20)
    expansion, contents = listing(data, "chromium-blockfile")
    assert list(contents.values()) == [small]
    assert "header says 1048576 blocks, the file holds 3" in reasons(expansion)
    data_2 = bytearray(data)
    struct.pack_into("<h", data_2, 8, 2)  # data_2: blocks of data, no entries
    assert sniff(bytes(data_2[:4096]), BytesStream(bytes(data_2))) is None
