"""Gallery and browser cache files written byte by byte from their documented layouts
(docs/caches-android-browser.md), for the cache container tests."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib

from PIL import Image

SIMPLE_INITIAL = 0xFCFB6D1BA7725C30
SIMPLE_FINAL = 0xF4FA6F45970D41D8
WINDOWS_EPOCH_US = 11_644_473_600 * 1_000_000


def jpeg(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small noisy JPEG, different for every seed."""
    rng = random.Random(seed)
    image = Image.frombytes(
        "RGB", size, bytes(rng.randrange(256) for _ in range(size[0] * size[1] * 3))
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


# ---- Gallery2 BlobCache data file (imgcache.0) ----------------------------------------


def gallery_key(media_id: int, modified: int, kind: int = 2) -> str:
    return f"/local/image/item/{media_id}+{modified}+{kind}"


def blob_record(at: int, key: int, blob: bytes, checksum: int | None = None) -> bytes:
    crc = zlib.adler32(blob) if checksum is None else checksum
    return struct.pack("<QIII", key, crc, at, len(blob)) + blob


def imgcache(blobs: list[tuple[str, bytes]]) -> tuple[bytes, list[int]]:
    """A data file holding each (gallery key, picture) and the offsets of the records."""
    out = bytearray(struct.pack("<I", 0xBD248510))
    offsets = []
    for number, (key, picture) in enumerate(blobs):
        offsets.append(len(out))
        out += blob_record(len(out), 0x1000 + number, key.encode("utf-16-le") + picture)
    return bytes(out), offsets


# ---- MediaStore .thumbdata3 -----------------------------------------------------------


def thumbdata(slots: dict[int, bytes], length_of: dict[int, int] | None = None) -> bytes:
    size = (max(slots) + 1) * 10_000
    out = bytearray(size)
    for slot, picture in slots.items():
        length = (length_of or {}).get(slot, len(picture))
        header = struct.pack(">BqI", 1, 0x1122334455667788 + slot, length)
        out[slot * 10_000 : slot * 10_000 + 13 + len(picture)] = header + picture
    return bytes(out)


# ---- Chromium simple cache entry (_0 file) --------------------------------------------


def chromium_time(seconds: int) -> int:
    return seconds * 1_000_000 + WINDOWS_EPOCH_US


def response_info(headers: list[str], request: int, response: int) -> bytes:
    """Stream 0: a pickle (payload size, flags, request and response times, headers)."""
    raw = ("\0".join(headers) + "\0\0").encode()
    payload = struct.pack("<iqq", 0x1234, chromium_time(request), chromium_time(response))
    payload += struct.pack("<i", len(raw)) + raw + b"\0" * (-len(raw) % 4)
    return struct.pack("<I", len(payload)) + payload


def simple_entry(
    key: str,
    body: bytes,
    headers: list[str],
    response: int = 1_700_000_000,
    sha256: bool = True,
    crc: int | None = None,
) -> bytes:
    raw_key = key.encode()
    info = response_info(headers, response - 1, response)
    out = struct.pack("<QIII4x", SIMPLE_INITIAL, 5, len(raw_key), zlib.crc32(raw_key)) + raw_key
    body_crc = zlib.crc32(body) if crc is None else crc
    out += body + struct.pack("<QIII4x", SIMPLE_FINAL, 1, body_crc, 0)
    out += info
    flags = 1 | (2 if sha256 else 0)
    if sha256:
        out += hashlib.sha256(raw_key).digest()
    out += struct.pack("<QIII4x", SIMPLE_FINAL, flags, zlib.crc32(info), len(info))
    return out


# ---- Firefox cache2 entry ---------------------------------------------------------------


def firefox_entry(key: str, content: bytes, response_head: str, fetched: int) -> bytes:
    hashes = -(-len(content) // (256 << 10))
    header = struct.pack(">8I", 3, 2, fetched, fetched - 60, 1000, fetched + 3600, len(key), 0)
    elements = b"request-method\0GET\0response-head\0" + response_head.encode() + b"\0"
    meta = b"\0\0" * hashes + header + key.encode() + b"\0" + elements
    return content + struct.pack(">I", zlib.crc32(meta)) + meta + struct.pack(">I", len(content))


# ---- Chromium block-file data_1 ---------------------------------------------------------


def block_addr(file_type: int, file_number: int, start: int, blocks: int = 1) -> int:
    return 0x8000_0000 | file_type << 28 | (blocks - 1) << 24 | file_number << 16 | start


def entry_store(key: str, created: int, sizes: list[int], addrs: list[int]) -> bytes:
    raw = key.encode()
    rankings = block_addr(1, 0, 1)
    fields = struct.pack(
        "<IIIiiiQiI4i4IIiiiiI",
        0xABCD,
        0,
        rankings,
        0,
        0,
        0,
        chromium_time(created),
        len(raw),
        0,
        *sizes,
        *addrs,
        0,
        0,
        0,
        0,
        0,
        0,
    )
    blocks = -(-(96 + len(raw) + 1) // 256)
    return (fields + raw).ljust(blocks * 256, b"\0")


def data_1(blocks: dict[int, bytes], allocated: set[int], capacity: int | None = None) -> bytes:
    """A data_1 file with `blocks` (start block -> bytes) and the allocation bitmap."""
    count = max(start + len(data) // 256 for start, data in blocks.items())
    header = bytearray(8192)
    struct.pack_into(
        "<IIhhiii", header, 0, 0xC104CAC3, 0x20000, 1, 0, 256, len(blocks), capacity or count
    )
    for block in allocated:
        header[80 + block // 8] |= 1 << (block % 8)
    body = bytearray(count * 256)
    for start, data in blocks.items():
        body[start * 256 : start * 256 + len(data)] = data
    return bytes(header + body)


def block_file(number: int, block_size: int, blocks: dict[int, bytes]) -> bytes:
    """Block file `data_<number>` of `block_size`-byte blocks (start block -> bytes)."""
    count = max(start + -(-len(data) // block_size) for start, data in blocks.items())
    header = bytearray(8192)
    struct.pack_into(
        "<IIhhiii", header, 0, 0xC104CAC3, 0x20000, number, 0, block_size, len(blocks), count
    )
    body = bytearray(count * block_size)
    for start, data in blocks.items():
        body[start * block_size : start * block_size + len(data)] = data
    return bytes(header + body)
