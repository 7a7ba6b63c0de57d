"""thumbcache_*.db: real entry headers from libwtcdb's test data, synthetic caches of every
format version, damage, and 10^5 tiny entries."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest

from scanner.errors import EvidenceError
from scanner.evidence.containers import ContainerOptions, expand, sniff
from scanner.evidence.containers.base import Member, Problem
from scanner.evidence.containers.thumbcache_container import ThumbcacheContainer, crc64
from scanner.evidence.streams import BytesStream
from scanner.types import FileItem, Locator
from tests.evidence.windows_cache_builders import CacheEntry, picture, thumbcache, thumbcache_entry

REAL = Path(__file__).parents[1] / "data" / "caches" / "libwtcdb"


def listing(data: bytes) -> tuple[list[Member], list[str]]:
    container = ThumbcacheContainer(BytesStream(data), ContainerOptions())
    entries = list(container.members())
    members = [e for e in entries if isinstance(e, Member)]
    return members, [e.reason for e in entries if isinstance(e, Problem)]


def content(data: bytes, value: str) -> bytes:
    stream = ThumbcacheContainer(BytesStream(data), ContainerOptions()).open(value)
    return stream.read(0, stream.size)


@pytest.mark.parametrize(("name", "covered"), [("cache_entry.1", 48), ("cache_entry.2", 40)])
def test_header_crc64_matches_what_windows_stored(name: str, covered: int) -> None:
    raw = (REAL / name).read_bytes()
    stored = struct.unpack_from("<Q", raw, covered)[0]
    assert crc64(raw[:covered]) == stored
    damaged = bytearray(raw)
    damaged[12] ^= 0x01
    assert crc64(bytes(damaged[:covered])) != stored


def test_builder_writes_entries_byte_for_byte_as_windows_does() -> None:
    vista = (REAL / "cache_entry.1").read_bytes()
    seven = (REAL / "cache_entry.2").read_bytes()
    assert (
        thumbcache_entry(
            20, CacheEntry(0xD52627B293F9D716, b"", "53618da82bed78fb", extension="lnk")
        )
        == vista
    )
    assert thumbcache_entry(21, CacheEntry(0xAA2E500517F2045E, b"")) == seven


@pytest.mark.parametrize(
    ("version", "cache_type", "size"),
    [(20, 2, "256 px"), (21, 1, "96 px"), (30, 4, "256 px"), (31, 6, "1600 px"),
     (32, 8, "2560 px"), (32, 9, "sr")],
)  # fmt: skip
def test_every_format_version_gives_back_each_picture(
    version: int, cache_type: int, size: str
) -> None:
    jpeg, png, bmp = (
        picture((200, 0, 0)),
        picture((0, 90, 0), fmt="PNG"),
        picture((1, 2, 3), fmt="BMP"),
    )
    data = thumbcache(
        version,
        cache_type,
        [
            CacheEntry(0x00A1B2C3D4E5F607, jpeg, padding=8),
            CacheEntry(0x1111, b""),  # an entry without data: not a member
            CacheEntry(0xFEDCBA9876543210, png),
            CacheEntry(0x42, bmp, identifier="::{645FF040-5081-101B-9F08-00AA002F954E}"),
        ],
    )
    assert sniff(data[:4096], BytesStream(data)) == "thumbcache"
    members, problems = listing(data)
    assert problems == []
    assert [m.path for m in members] == [
        "00a1b2c3d4e5f607.jpg", "fedcba9876543210.png", "0000000000000042.bmp",
    ]  # fmt: skip
    for member, planted in zip(members, (jpeg, png, bmp), strict=True):
        assert content(data, member.value) == planted
        assert member.size == len(planted)
        assert member.origin["store"] == "thumbcache"
        assert member.origin["thumbnail"] == size
        assert member.origin["entry"] == member.path.split(".")[0]
        assert "original may be gone" in member.origin["note"]
    assert members[0].origin["identifier"] == "a1b2c3d4e5f607"
    assert members[2].origin["identifier"] == "::{645FF040-5081-101B-9F08-00AA002F954E}"


def test_bad_checksums_are_warnings_and_the_data_is_still_offered() -> None:
    jpeg = picture((9, 9, 200))
    data = thumbcache(
        32,
        4,
        [CacheEntry(0xAB, jpeg, bad_header_crc=True), CacheEntry(0xCD, jpeg, bad_data_crc=True)],
    )
    members, problems = listing(data)
    assert [m.origin["entry"] for m in members] == ["00000000000000ab", "00000000000000cd"]
    assert all(content(data, m.value) == jpeg for m in members)
    assert len(problems) == 2
    assert "entry 00000000000000ab at offset 24: header checksum does not match" in problems[0]
    assert "entry 00000000000000cd" in problems[1] and "data checksum does not match" in problems[1]


def test_damage_between_entries_is_skipped_to_the_next_entry() -> None:
    first, second = picture((1, 100, 1)), picture((100, 1, 1))
    good = thumbcache_entry(32, CacheEntry(0x01, first))
    garbage = b"\x00junk that is not an entry" * 5
    data = thumbcache(32, 4, [good, garbage, CacheEntry(0x02, second)])
    members, problems = listing(data)
    assert [content(data, m.value) for m in members] == [first, second]
    assert len(problems) == 1
    at = 24 + len(good)
    assert problems[0] == (
        f"thumbcache entry at offset {at}: no CMMM signature; skipped to the next entry at"
        f" {at + len(garbage)}"
    )


def test_entries_pointing_past_the_end_or_overflowing_are_recorded() -> None:
    jpeg = picture((5, 5, 5))
    good = thumbcache_entry(32, CacheEntry(0x01, jpeg))
    past_end = bytearray(thumbcache_entry(32, CacheEntry(0x02, jpeg)))
    struct.pack_into("<I", past_end, 4, 1 << 30)  # entry size far past the end
    overflow = bytearray(thumbcache_entry(32, CacheEntry(0x03, jpeg)))
    struct.pack_into("<I", overflow, 24, len(jpeg) + 4096)  # data size beyond the entry
    data = thumbcache(32, 4, [good, bytes(overflow), bytes(past_end)])
    members, problems = listing(data)
    assert [m.origin["entry"] for m in members] == ["0000000000000001"]
    assert len(problems) == 2
    assert "exceed the entry size" in problems[0]
    assert "runs past the end of the file" in problems[1] and "the end" in problems[1]
    with pytest.raises(EvidenceError, match="runs past the end"):
        content(data, f"entry={24 + len(good) + len(overflow)}")
    with pytest.raises(EvidenceError, match="no CMMM signature"):
        content(data, "entry=25")


def test_problems_become_one_error_row_next_to_the_items() -> None:
    data = thumbcache(32, 4, [CacheEntry(0x77, picture((3, 3, 3)), bad_header_crc=True)])
    parent = FileItem(Locator((("folder", "/x"),)), "/Explorer/thumbcache_256.db", len(data), False)
    result = expand("thumbcache", BytesStream(data), parent, ContainerOptions())
    assert [c.path for c in result.children] == ["/Explorer/thumbcache_256.db/0000000000000077.jpg"]
    assert result.children[0].origin["entry"] == "0000000000000077"
    assert len(result.problems) == 1 and "header checksum" in result.problems[0].reason


def test_not_a_thumbcache() -> None:
    index = struct.pack("<4sIIIII", b"IMMM", 32, 0, 0, 0, 0)  # thumbcache_idx.db
    assert not ThumbcacheContainer.sniff(index, BytesStream(index))
    wrong = struct.pack("<4sIIIII", b"CMMM", 19, 0, 24, 24, 0)
    assert not ThumbcacheContainer.sniff(wrong, BytesStream(wrong))


def test_ten_to_the_fifth_tiny_entries_in_bounded_time() -> None:
    count = 100_000
    entry = CacheEntry(0, b"\xff\xd8\xff\xd9", bad_header_crc=False)
    body = bytearray()
    for index in range(count):
        entry.hash = index
        entry.bad_header_crc = index % 1000 == 0  # 100 damaged: capped in the listing
        body += thumbcache_entry(32, entry)
    data = thumbcache(32, 4, [bytes(body)])
    started = time.perf_counter()
    members, problems = listing(data)
    seconds = time.perf_counter() - started
    print(f"\n10^5 thumbcache entries ({len(data)} bytes) listed in {seconds:.2f} s")
    assert len(members) == count
    assert members[-1].origin["entry"] == f"{count - 1:016x}"
    assert len(problems) == 51 and problems[-1].endswith("50 more damaged entries not listed")
    assert seconds < 30
