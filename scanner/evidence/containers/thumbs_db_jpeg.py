"""The standard JPEG tables (ITU-T T.81 Annex K) that "type 1" Thumbs.db pictures lack.

Windows 98/ME/2000 wrote some Thumbs.db thumbnails as JPEG streams without their
quantisation (DQT) and Huffman (DHT) tables: the decoder was expected to know them. Open
readers of Thumbs.db re-attach the Annex K tables, the quantisation tables at the usual
quality-75 scaling, and so does `with_standard_tables`.
"""

from __future__ import annotations

import struct

# Annex K tables K.1 (luminance) and K.2 (chrominance), in natural (row) order
LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
CHROMINANCE = tuple(
    {0: 17, 1: 18, 2: 24, 3: 47, 8: 18, 9: 21, 10: 26, 11: 66, 16: 24, 17: 26, 18: 56, 24: 47,
     25: 66}.get(i, 99)
    for i in range(64)
)  # fmt: skip
QUALITY = 75
# Annex K.3-K.6: (table class and id, code counts by length, symbols)
HUFFMAN = (
    (0x00, "00010501010101010100000000000000", "000102030405060708090a0b"),
    (0x10, "0002010303020403050504040000017d",
     "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a1617"
     "18191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a73"
     "7475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9"
     "bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa"),
    (0x01, "00030101010101010101010000000000", "000102030405060708090a0b"),
    (0x11, "00020102040403040705040400010277",
     "000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e1"
     "25f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a"
     "737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7"
     "b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa"),
)  # fmt: skip


def _zigzag() -> list[int]:
    """Natural-order indices in the zig-zag order a DQT segment lists them."""
    order = sorted(
        ((r, c) for r in range(8) for c in range(8)),
        key=lambda p: (p[0] + p[1], p[0] if (p[0] + p[1]) % 2 else p[1]),
    )
    return [r * 8 + c for r, c in order]


def _scaled(table: tuple[int, ...], quality: int) -> bytes:
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    values = [min(255, max(1, (v * scale + 50) // 100)) for v in table]
    return bytes(values[i] for i in _zigzag())


def standard_dqt(quality: int = QUALITY) -> bytes:
    """One DQT segment with both Annex K tables at this quality's scaling."""
    body = b"\x00" + _scaled(LUMINANCE, quality) + b"\x01" + _scaled(CHROMINANCE, quality)
    return b"\xff\xdb" + struct.pack(">H", 2 + len(body)) + body


def standard_dht() -> bytes:
    """One DHT segment with the four Annex K Huffman tables."""
    body = b"".join(
        bytes([which]) + bytes.fromhex(counts.ljust(32, "0")) + bytes.fromhex(symbols)
        for which, counts, symbols in HUFFMAN
    )
    return b"\xff\xc4" + struct.pack(">H", 2 + len(body)) + body


def with_standard_tables(jpeg: bytes) -> tuple[bytes, list[str]]:
    """`jpeg` with the standard DQT/DHT inserted where it has none (before its first frame
    or scan header), and what was added; a JPEG that has both comes back unchanged."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG: no start-of-image marker")
    at, has_dqt, has_dht = 2, False, False
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF:
        marker = jpeg[at + 1]
        if marker in (0xC0, 0xC1, 0xC2, 0xDA):
            break
        has_dqt |= marker == 0xDB
        has_dht |= marker == 0xC4
        at += 2 + struct.unpack_from(">H", jpeg, at + 2)[0]
    else:
        raise ValueError("JPEG without a frame header")
    added = [] if has_dqt else ["quantisation tables"]
    added += [] if has_dht else ["Huffman tables"]
    tables = (b"" if has_dqt else standard_dqt()) + (b"" if has_dht else standard_dht())
    return jpeg[:at] + tables + jpeg[at:], added
