"""The Huffman check (C walk over Python-built lookup tables) against a plain symbol-by-symbol
decoder written here, on real JPEGs, corrupted, truncated and spliced; and fuzzed with
hostile tables and bytes: it never reads out of bounds, raises or returns out of range."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.carve.jpeg_huffman import Checkpoint, Decoder, HuffmanCheck
from scanner.carve.jpeg_structure import Layout, walk
from scanner.carve.window import Window

from .conftest import BytesReader, encode, photo

MARKER = re.compile(rb"\xff[^\x00]")


def _codes(table: bytes) -> dict[tuple[int, int], int]:
    """(length, code) -> symbol of a DHT table (16 counts + symbols)."""
    out, code, index = {}, 0, 16
    for length in range(1, 17):
        for _ in range(table[length - 1]):
            out[length, code] = table[index]
            code, index = code + 1, index + 1
        code <<= 1
    return out


class _Bits:
    """Bits of one unstuffed segment, ones past its end."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos = data, pos

    def read(self, count: int) -> int:
        value = 0
        for _ in range(count):
            index = self.pos >> 3
            byte = self.data[index] if index < len(self.data) else 0xFF
            value = value << 1 | (byte >> (7 - (self.pos & 7))) & 1
            self.pos += 1
        return value

    def symbol(self, codes: dict[tuple[int, int], int]) -> int | None:
        code = 0
        for length in range(1, 17):
            code = code << 1 | self.read(1)
            if (length, code) in codes:
                return codes[length, code]
        return None


def _block(bits: _Bits, dc: dict, ac: dict) -> bool:
    start = bits.pos
    size = bits.symbol(dc)
    if size is None or size > 11:
        bits.pos = start
        return False
    bits.read(size)
    k = 1
    while k < 64:
        start = bits.pos
        symbol = bits.symbol(ac)
        run, size = (symbol or 0) >> 4, (symbol or 0) & 15
        if symbol is None or size > 10 or (size == 0 and run not in (0, 15)):
            bits.pos = start
            return False
        bits.read(size)
        k += run + 1 if size else (128 if run == 0 else 16)
    return not 64 < k < 128


def reference(
    check: HuffmanCheck, layout: Layout, raw: bytes, bit: int = 0, mcu: int = 0
) -> tuple[tuple[bool, int, int], list[tuple[int, int, int]]]:
    """(ok, end, MCUs) and every MCU start, decoded one symbol at a time."""
    plan = []
    for cid, td, ta in layout.scan:
        h, v = layout.components[cid]
        count = 1 if len(layout.scan) == 1 else h * v
        plan += [(_codes(layout.dc_tables[td]), _codes(layout.ac_tables[ta]))] * count
    points: list[tuple[int, int, int]] = []
    start = 0
    while True:
        found = MARKER.search(raw, start)
        marker = found.start() if found else len(raw)
        seg = raw[start:marker].replace(b"\xff\x00", b"\xff")
        stop = check.total
        if layout.restart > 0:
            stop = min(stop, (mcu // layout.restart + 1) * layout.restart)
        bits, ok = _Bits(seg, bit), True
        while ok and mcu < stop:
            index = bits.pos >> 3
            points.append((start + index + seg.count(b"\xff", 0, index), bits.pos & 7, mcu))
            ok = all(_block(bits, dc, ac) for dc, ac in plan)
            if ok and bits.pos > len(seg) * 8:
                ok, bits.pos = False, len(seg) * 8
            mcu += ok
        left = len(seg) * 8 - bits.pos
        if ok and left >= 8 or ok and left and seg[-1] & (1 << left) - 1 != (1 << left) - 1:
            ok = False
        if not ok:
            index = min(bits.pos >> 3, len(seg))
            return (False, start + index + seg.count(b"\xff", 0, index), mcu), points
        if marker >= len(raw) - 1:
            return (False, len(raw), mcu), points
        while marker + 2 < len(raw) and raw[marker + 1] == 0xFF:
            marker += 1
        code = raw[marker + 1]
        if mcu == check.total:
            return (not 0xD0 <= code <= 0xD7, marker, mcu), points
        if code != 0xD0 + ((mcu // layout.restart - 1) & 7):
            return (False, marker, mcu), points
        start, bit = marker + 2, 0


def _last_per_byte(points: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    return list({raw: (raw, bit, mcu) for raw, bit, mcu in points}.values())


def _pictures() -> dict[str, bytes]:
    return {
        "color": encode(photo(96, 64, 1), "JPEG", quality=85),
        "restart": encode(photo(80, 48, 3), "JPEG", quality=90, restart_marker_blocks=3),
        "restart-rows": encode(photo(72, 56, 5), "JPEG", quality=60, restart_marker_rows=1),
        "gray": encode(photo(64, 40, 4).convert("L"), "JPEG", quality=70),
        "444": encode(photo(48, 40, 6), "JPEG", quality=95, subsampling=0),
        "optimized": encode(photo(64, 48, 7), "JPEG", quality=75, optimize=True),
    }


PICTURES = _pictures()


def _layout(data: bytes) -> tuple[Layout, HuffmanCheck]:
    result = walk(Window(BytesReader(data), 0, len(data)), 0)
    assert result is not None
    check = HuffmanCheck.for_layout(result.layout)
    assert check is not None
    return result.layout, check


def _streams(data: bytes, scan_start: int, rng: random.Random) -> list[bytes]:
    """The scan data whole, cut, with random bytes inserted or appended, spliced."""
    out = [data[scan_start:]]
    for _ in range(10):
        at = rng.randrange(scan_start, len(data) - 2)
        out += [
            data[scan_start:at],
            data[scan_start:at] + rng.randbytes(rng.randrange(1, 600)) + data[at:],
            data[scan_start:at] + rng.randbytes(rng.randrange(1, 600)),
            data[scan_start:at] + data[rng.randrange(scan_start, len(data)) :],
        ]
    return out


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_check_matches_symbol_by_symbol_decoding(name: str):
    data = PICTURES[name]
    layout, check = _layout(data)
    rng = random.Random(name)
    for stream in _streams(data, layout.scan_start, rng):
        decoded, points = check.check_points(stream)
        expected, every = reference(check, layout, stream)
        assert (decoded.ok, decoded.end, decoded.mcus) == expected
        assert [tuple(row) for row in points.rows.tolist()] == _last_per_byte(every)
        for raw, bit, mcu in rng.sample(every, min(4, len(every))):  # resumed mid-stream
            tail = stream[raw : raw + rng.randrange(1, len(stream))] + rng.randbytes(64)
            resumed = check.check(tail, bit, mcu)
            assert (resumed.ok, resumed.end, resumed.mcus) == reference(
                check, layout, tail, bit, mcu
            )[0]


def test_whole_scans_decode_to_the_last_mcu():
    for data in PICTURES.values():
        layout, check = _layout(data)
        decoded = check.check(data[layout.scan_start :])
        assert decoded.ok and decoded.mcus == check.total
        assert data[layout.scan_start + decoded.end :] == b"\xff\xd9"


def test_last_checkpoint_before_an_offset():
    data = PICTURES["color"]
    layout, check = _layout(data)
    _, points = check.check_points(data[layout.scan_start :])
    _, every = reference(check, layout, data[layout.scan_start :])
    for offset in (0, 1, 100, 1000, len(data)):
        before = [p for p in every if p[0] < offset]
        expected = Checkpoint(*before[-1]) if before else None
        assert points.last_before(offset) == expected


def _hostile_layout(data: st.DataObject) -> Layout:
    def table() -> bytes:  # a prefix code, sometimes complete (all-ones codes included)
        counts, code = [], 0
        for length in range(1, 17):
            counts.append(data.draw(st.integers(0, min((1 << length) - code, 4))))
            code = (code + counts[-1]) << 1
        symbols = data.draw(st.binary(min_size=sum(counts), max_size=sum(counts)))
        return bytes(counts) + symbols

    components = {1: (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))), 2: (1, 1)}
    return Layout(
        sof=0xC0,
        width=data.draw(st.integers(1, 300)),
        height=data.draw(st.integers(1, 300)),
        components=components,
        dc_tables={0: table()},
        ac_tables={0: table()},
        restart=data.draw(st.integers(0, 5)),
        scan=((1, 0, 0), (2, 0, 0)),
        scan_start=1,
        scans=1,
        dqt=True,
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_hostile_tables_and_bytes_stay_in_bounds(data: st.DataObject):
    layout = _hostile_layout(data)
    check = HuffmanCheck.for_layout(layout)
    assert check is not None
    raw = data.draw(st.binary(max_size=3000))
    bit, mcu = data.draw(st.integers(0, 7)), data.draw(st.integers(0, check.total))
    decoded = check.check(raw, bit, mcu)
    assert 0 <= decoded.end <= len(raw) and mcu <= decoded.mcus <= check.total
    decoded, points = check.check_points(raw)
    assert 0 <= decoded.end <= len(raw) and len(points) <= decoded.mcus + 1
    assert all(0 <= row[0] <= len(raw) and 0 <= row[1] < 8 for row in points.rows.tolist())


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(PICTURES)), seed=st.integers(0, 2**32), cut=st.floats(0, 1))
def test_mutated_real_scans_match_the_reference(name: str, seed: int, cut: float):
    data = PICTURES[name]
    layout, check = _layout(data)
    rng = random.Random(seed)
    stream = bytearray(data[layout.scan_start : layout.scan_start + int(cut * len(data))])
    for _ in range(rng.randrange(4)):
        if stream:
            stream[rng.randrange(len(stream))] = rng.choice([0xFF, 0x00, 0xD0, rng.randrange(256)])
    decoded = check.check(bytes(stream))
    assert (decoded.ok, decoded.end, decoded.mcus) == reference(check, layout, bytes(stream))[0]


def test_decoder_refuses_bad_arguments():
    no_codes = bytes(16)
    with pytest.raises(ValueError):
        Decoder([b"\x03" + bytes(15) + b"abc"], b"\x00\x00", 10, 0)  # 3 codes of 1 bit
    with pytest.raises(ValueError):
        Decoder([b"\x00\x02" + bytes(14) + b"a"], b"\x00\x00", 10, 0)  # a symbol missing
    with pytest.raises(ValueError):
        Decoder([no_codes], b"\x00\x01", 10, 0)  # plan names a missing table
    with pytest.raises(ValueError):
        Decoder([no_codes], b"", 10, 0)  # no block
    decoder = Decoder([no_codes], b"\x00\x00", 10, 0)
    with pytest.raises(ValueError):
        decoder.check(b"\x00", 8, 0, False)
    with pytest.raises(ValueError):
        decoder.check(b"\x00", 0, 11, False)
    assert decoder.check(b"\x12\x34", 0, 0, False) == (False, 0, 0, None)  # every code is bad


def _two_component_check(dc: bytes, ac: bytes, height: int) -> HuffmanCheck:
    """The check of a 1-pixel-wide baseline scan of two 1x1 components sharing `dc`/`ac`."""
    layout = Layout(
        sof=0xC0,
        width=1,
        height=height,
        components={1: (1, 1), 2: (1, 1)},
        dc_tables={0: dc},
        ac_tables={0: ac},
        restart=0,
        scan=((1, 0, 0), (2, 0, 0)),
        scan_start=1,
        scans=1,
        dqt=True,
    )
    check = HuffmanCheck.for_layout(layout)
    assert check is not None
    return check


def test_a_lone_ff_ending_the_data_is_not_counted_as_a_stuffed_pair():
    """Found by the hostile-tables test: the data is one 0xFF byte, the decode breaks at its
    end, and mapping back to raw offsets must not count a 0x00 that is not there."""
    dc = bytes([2] + [0] * 15) + b"\x00\x00"  # codes 0 and 1 (all ones), both DC size 0
    ac = bytes([0, 3, 0, 2, 4] + [0] * 11) + b"\x00" * 9  # every symbol an EOB
    decoded = _two_component_check(dc, ac, height=1).check(b"\xff", 0, 0)
    assert 0 <= decoded.end <= 1


def test_checkpoint_after_a_lone_ff_ending_the_data_is_at_its_end():
    """Found by the hostile-tables test: 4-bit MCUs over the single byte 0xFF. A lone 0xFF
    ending the data is not a stuffed pair, so the MCU after it starts at the end of the
    data (as after 0x00), not one byte past it."""
    table = bytes([2] + [0] * 15) + b"\x00\x00"  # two 1-bit codes, both symbol 0
    check = _two_component_check(table, table, height=17)
    for raw in (b"\xff", b"\x00"):
        _, points = check.check_points(raw)
        assert points.rows.tolist() == [[0, 4, 1], [1, 0, 2]]
