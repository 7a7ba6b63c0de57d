"""Thumbs.db: compound files written from [MS-CFB], a Catalog, type 2 and type 1 pictures,
damage, hostile names, and OLE files that are not a Thumbs.db."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from scanner.errors import EvidenceError
from scanner.evidence.containers import ContainerOptions, sniff
from scanner.evidence.containers.base import Member, Problem
from scanner.evidence.containers.thumbs_db_container import ThumbsDbContainer
from scanner.evidence.containers.thumbs_db_jpeg import standard_dht, standard_dqt
from scanner.evidence.streams import BytesStream
from tests.evidence.windows_cache_builders import (
    catalog,
    compound_file,
    picture,
    stream_name,
    strip_tables,
    thumbs_stream,
    thumbs_stream_type1,
)

WHEN = 1_262_347_200.0  # 2010-01-01 12:00:00 UTC


def listing(data: bytes) -> tuple[ThumbsDbContainer, list[Member], list[str]]:
    container = ThumbsDbContainer(BytesStream(data), ContainerOptions())
    entries = list(container.members())
    members = [e for e in entries if isinstance(e, Member)]
    return container, members, [e.reason for e in entries if isinstance(e, Problem)]


def read(container: ThumbsDbContainer, value: str) -> bytes:
    stream = container.open(value)
    return stream.read(0, stream.size)


def pixels(jpeg: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    return np.asarray(image)


def test_catalog_names_times_and_type_2_pictures_byte_exact() -> None:
    planted = {1: picture((200, 10, 10)), 12: picture((10, 200, 10), (40, 30))}
    streams = {stream_name(i): thumbs_stream(jpeg) for i, jpeg in planted.items()}
    streams["Catalog"] = catalog([(1, "holiday.jpg", WHEN), (12, "IMG_0012.JPG", WHEN + 60)])
    data = compound_file(streams)
    assert sniff(data[:4096], BytesStream(data)) == "thumbs.db"
    container, members, problems = listing(data)
    assert problems == []
    by_entry = {m.origin["entry"]: m for m in members}
    assert set(by_entry) == {"1", "12"}
    assert by_entry["12"].value == "stream=21" and by_entry["12"].path == "12.jpg"
    assert by_entry["1"].origin["original_path"] == "holiday.jpg"
    assert by_entry["12"].origin["original_path"] == "IMG_0012.JPG"
    assert by_entry["1"].origin["original_modified"] == "2010-01-01T12:00:00+00:00"
    assert by_entry["12"].origin["original_modified"] == "2010-01-01T12:01:00+00:00"
    assert by_entry["1"].origin["thumbnail"] == "96x96 px"
    for ident, jpeg in planted.items():
        assert read(container, by_entry[str(ident)].value) == jpeg
        assert by_entry[str(ident)].size == len(jpeg)


@pytest.mark.parametrize("mode", ["RGB", "CMYK"])
def test_type_1_pictures_get_the_standard_tables_back_and_decode(mode: str) -> None:
    rng = np.random.default_rng(7)
    channels = 3 if mode == "RGB" else 4
    noise = rng.integers(0, 255, (24, 32, channels), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise, mode).save(out, "JPEG", quality=75)
    original = out.getvalue()
    bare = strip_tables(original)
    assert b"\xff\xdb" not in bare.split(b"\xff\xda")[0]  # truly without tables
    with pytest.raises(OSError):
        pixels(bare)
    data = compound_file({"Catalog": catalog([(3, "c.jpg", WHEN)]), "3": thumbs_stream_type1(bare)})
    container, members, problems = listing(data)
    assert problems == []
    restored = read(container, members[0].value)
    assert standard_dqt() in restored and standard_dht() in restored
    assert np.array_equal(pixels(restored), pixels(original))
    assert "type 1" in members[0].origin["note"]
    assert "quantisation tables and Huffman tables" in members[0].origin["note"]


def test_catalog_found_past_the_first_directory_sector() -> None:
    streams = {stream_name(i): thumbs_stream(picture((i, i, i))) for i in range(1, 40)}
    streams["Catalog"] = catalog([(i, f"p{i}.jpg", WHEN) for i in range(1, 40)])
    data = compound_file(streams)
    # the builder writes entries by name length: "Catalog" comes after the 39 numbers
    assert data.find("Catalog".encode("utf-16-le")) > 512 * 3
    assert ThumbsDbContainer.sniff(data[:4096], BytesStream(data))
    _, members, _ = listing(data)
    assert len(members) == 39 and {m.origin["original_path"] for m in members} == {
        f"p{i}.jpg" for i in range(1, 40)
    }


def test_other_ole_files_are_not_claimed() -> None:
    word = compound_file({"WordDocument": b"\x00" * 600, "\x05SummaryInformation": b"\x00" * 100})
    assert not ThumbsDbContainer.sniff(word[:4096], BytesStream(word))
    assert sniff(word[:4096], BytesStream(word)) is None
    not_ole = b"\x00" * 4096
    assert not ThumbsDbContainer.sniff(not_ole, BytesStream(not_ole))


def test_damage_is_recorded_and_the_rest_delivered() -> None:
    good = picture((1, 2, 250))
    broken_catalog = catalog([(1, "kept.jpg", WHEN)]) + struct.pack("<IIQ", 9999, 2, 0)
    data = compound_file(
        {
            "Catalog": broken_catalog,
            "1": thumbs_stream(good),
            "2": b"\x0c\x00",  # shorter than its header
            "3": struct.pack("<III", 5000, 1, 0) + b"\x00" * 20,  # header size out of range
            "4": struct.pack("<III", 12, 1, 4) + b"RIFF....",  # no JPEG after the header
        }
    )
    container, members, problems = listing(data)
    assert [m.origin["entry"] for m in members] == ["1"]
    assert members[0].origin["original_path"] == "kept.jpg"
    assert read(container, "stream=1") == good
    assert problems[0] == "thumbs.db Catalog entry at offset 52: size 9999 out of range"
    assert "stream '2': 2 bytes, shorter than its header" in problems[1]
    assert "stream '3': header size 5000 out of range" in problems[2]
    assert "stream '4': no JPEG after the header" in problems[3]
    with pytest.raises(EvidenceError, match="no stream"):
        container.open("stream=99")


def test_hostile_stream_names_never_become_paths() -> None:
    jpeg = picture((77, 0, 77))
    name = "../../x\\y:z"
    data = compound_file({"Catalog": catalog([]), name: thumbs_stream(jpeg)})
    container, members, _ = listing(data)
    assert members[0].path == "______x_y_z.jpg"
    assert members[0].value == f"stream={name}"
    assert read(container, members[0].value) == jpeg


def test_the_standard_tables_are_libjpegs() -> None:
    """Annex K tables at quality 75 are what libjpeg (Pillow) writes by default."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(out, "JPEG", quality=75)
    jpeg, at, dqt, dht = out.getvalue(), 2, b"", b""
    while jpeg[at + 1] != 0xDA:
        length = struct.unpack_from(">H", jpeg, at + 2)[0]
        body = jpeg[at + 4 : at + 2 + length]
        dqt += body if jpeg[at + 1] == 0xDB else b""
        dht += body if jpeg[at + 1] == 0xC4 else b""
        at += 2 + length
    assert standard_dqt()[4:] == dqt
    assert standard_dht()[4:] == dht
