"""The streaming engine: chunk boundaries, extents, provenance and worker processes."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from scanner.carve import CARVERS, CarvedFile, Failure, all_kinds, carve, process_pool
from scanner.carve.registry import register
from scanner.types import Extent, ExtentKind, Locator

from .conftest import content, encode, opener, photo, plant, run_carve, whole

CHUNK = 64 * 1024


@pytest.mark.parametrize("delta", [-9, -4, -3, -1, 0, 1, 5])
def test_header_on_chunk_boundary_found_once(tmp_path: Path, media: dict[str, bytes], delta: int):
    parts = {CHUNK + delta: media["webp"], 3 * CHUNK + delta: media["jpg"]}
    image = plant(tmp_path / "img.raw", 6 * CHUNK, parts)
    items = run_carve(image, chunk_size=CHUNK)
    assert [(i.offset, i.kind) for i in items] == [
        (CHUNK + delta, "webp"),
        (3 * CHUNK + delta, "jpg"),
    ]
    assert [content(image, i) for i in items] == [media["webp"], media["jpg"]]


def test_extents_bound_the_search_and_carry_provenance(tmp_path: Path, media: dict[str, bytes]):
    image = plant(tmp_path / "img.raw", 1 << 20, {4096: media["gif"], 600_000: media["png"]})
    base = Locator((("raw", "img.raw"),))
    extents = [
        Extent(base.child("gap", "0+100000"), 0, 100_000, ExtentKind.UNPARTITIONED),
        Extent(base.child("fat32", "unalloc"), 500_000, 400_000, ExtentKind.UNALLOCATED),
    ]
    items = list(carve(opener(image), extents))
    assert [(i.kind, i.extent.kind) for i in items] == [
        ("gif", ExtentKind.UNPARTITIONED),
        ("png", ExtentKind.UNALLOCATED),
    ]
    assert items[1].runs_text() == f"{600_000:#x}+{len(media['png'])}"


def test_file_cut_by_extent_end_is_partial(tmp_path: Path, media: dict[str, bytes]):
    image = plant(tmp_path / "img.raw", 1 << 20, {1000: media["png"]})
    extent = Extent(Locator((("raw", "x"),)), 0, 1000 + 5000, ExtentKind.UNALLOCATED)
    (item,) = carve(opener(image), [extent])
    assert not item.complete and content(image, item) == media["png"][: item.valid_length]


def test_two_workers_match_one(tmp_path: Path, media: dict[str, bytes]):
    parts = {i * 70_001 + 13: media[name] for i, name in enumerate(sorted(media))}
    image = plant(tmp_path / "img.raw", 2 << 20, parts)
    one = run_carve(image, chunk_size=CHUNK)
    two = run_carve(image, chunk_size=CHUNK, workers=2)
    assert one == two
    assert {i.offset for i in one} >= set(parts)


def test_empty_and_tiny_media(tmp_path: Path):
    image = plant(tmp_path / "img.raw", 3, {0: b"\xff\xd8\xff"})
    assert run_carve(image) == []


def test_carved_file_validates_runs():
    extent = Extent(Locator((("raw", "x"),)), 0, 10, ExtentKind.WHOLE_IMAGE)
    with pytest.raises(ValueError, match="valid_length"):
        CarvedFile("jpg", ((0, 5),), True, 6, extent)


def test_registry_rejects_duplicates():
    class Again:
        name = "png"
        kinds = ("png",)
        signatures = ((b"x", 0),)

    with pytest.raises(ValueError, match="already registered"):
        register(Again)
    assert set(CARVERS) >= {"jpeg", "png", "gif", "bmp", "riff", "tiff", "isobmff", "ebml"}
    described = dict(CARVERS.describe())  # what `dftriage formats` lists
    assert described["png"].startswith("PNG: chunk walk") and described["riff"].endswith(
        "[webp, avi]"
    )
    assert "heic" in all_kinds() and "webm" in all_kinds()


@pytest.mark.parametrize("delta", [-8, -6, -4, -2, 0, 3])
def test_offset_magic_on_chunk_boundary(tmp_path: Path, clips: dict[str, bytes], delta: int):
    """`ftyp` sits 4 bytes into the file: the file belongs to the chunk it starts in."""
    if "mp4" not in clips:
        pytest.skip("ffmpeg cannot make mp4 here")
    image = plant(tmp_path / "img.raw", 4 * CHUNK, {CHUNK + delta: clips["mp4"]})
    items = [i for i in run_carve(image, chunk_size=CHUNK) if i.kind == "mp4"]
    assert [i.offset for i in items] == [CHUNK + delta]
    assert content(image, items[0]) == clips["mp4"]


def test_consumer_may_stop_early(tmp_path: Path, media: dict[str, bytes]):
    parts = {i * CHUNK + 77: media["gif"] for i in range(1, 12, 2)}
    image = plant(tmp_path / "img.raw", 14 * CHUNK, parts)
    with process_pool(2) as pool:
        stream = carve(opener(image), [whole(image)], None, pool, slots=2, chunk_size=CHUNK)
        first = next(iter(stream))
        stream.close()
    assert (first.offset, first.kind) == (CHUNK + 77, "gif")


def test_magic_split_at_every_point_of_a_chunk_boundary(tmp_path: Path):
    """A PNG whose 8-byte magic straddles the boundary at every split point, and one
    that starts right on it or just after it, is found exactly once."""
    small = encode(photo(24, 16, seed=5), "PNG")
    chunk = 4096
    for delta in range(-9, 2):
        image = plant(tmp_path / f"img{delta}.raw", 3 * chunk, {chunk + delta: small})
        items = run_carve(image, chunk_size=chunk, types=["png"])
        assert [(i.offset, i.complete) for i in items] == [(chunk + delta, True)]
        assert content(image, items[0]) == small


def test_libjpeg_message_file_is_not_shared_with_forked_workers(media: dict[str, bytes]):
    """Each process collects libjpeg's messages in its own file: a forked worker using its
    parent's would mix their verdicts and move the parent's file offset under it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from scanner.carve.libjpeg_check import decodes_cleanly

    broken = media["jpg"][: len(media["jpg"]) // 2] + b"\xff\xd9"  # premature end: a warning
    assert decodes_cleanly(media["jpg"]) and not decodes_cleanly(broken)
    with ProcessPoolExecutor(2, multiprocessing.get_context("fork")) as pool:
        verdicts = list(pool.map(decodes_cleanly, [media["jpg"], broken] * 16))
    assert verdicts == [True, False] * 16
    assert decodes_cleanly(media["jpg"]) and not decodes_cleanly(broken)


def test_a_programming_error_in_a_carver_is_not_taken_for_damage(
    tmp_path: Path, media: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
):
    """Damaged bytes make a carver raise struct.error or zlib.error at worst: it found no
    file. A plain ValueError is a bug of ours: it raises, or with `on_error` is reported
    with the carver and offset while the other files are still carved."""
    image = plant(tmp_path / "img.raw", 1 << 20, {4096: media["gif"], 300_000: media["png"]})

    def bug(window: object, start: int) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(CARVERS["gif"], "carve", bug)
    with pytest.raises(ValueError, match="a bug"):
        run_carve(image)
    failures: list[tuple[Failure, Extent]] = []
    items = run_carve(image, on_error=lambda failure, extent: failures.append((failure, extent)))
    assert [(i.kind, i.offset) for i in items] == [("png", 300_000)]
    assert [(f.carver, f.offset, f.error) for f, _ in failures] == [
        ("gif", 4096, "ValueError('a bug')")
    ]
    assert failures[0][1] == whole(image)

    def damage(window: object, start: int) -> None:
        struct.unpack(">I", b"\0")

    monkeypatch.setattr(CARVERS["gif"], "carve", damage)
    assert [i.kind for i in run_carve(image)] == ["png"]
