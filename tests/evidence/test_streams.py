"""Streams: FileStream's one read-only handle per stream and process; SequentialStream's
reads of a deflated zip member (decompressed once for a small member read whole)."""

from __future__ import annotations

import os
import pickle
import random
import zipfile
from pathlib import Path
from typing import IO

from scanner.evidence.streams import READ_CHUNK, FileStream, SequentialStream, read_chunks


def _open_handles(path: Path) -> list[int]:
    """This process's descriptors open on `path`."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == str(path):
                found.append(int(name))
        except OSError:
            continue  # the listing's own descriptor, closed meanwhile
    return found


def test_reads_at_any_offset_give_the_file_s_bytes(tmp_path: Path) -> None:
    data = random.Random(5).randbytes(3 << 20)
    path = tmp_path / "evidence.bin"
    path.write_bytes(data)
    stream = FileStream(path)
    rng = random.Random(6)
    for _ in range(200):
        offset, length = rng.randrange(len(data) + 10), rng.randrange(1 << 18)
        assert stream.read(offset, length) == data[offset : offset + length]
    assert stream.read(len(data) - 3, 100) == data[-3:]
    assert stream.read(len(data) + 5, 10) == b""
    assert b"".join(read_chunks(stream)) == data


def test_one_read_only_handle_serves_every_read(tmp_path: Path) -> None:
    path = tmp_path / "evidence.bin"
    path.write_bytes(bytes(range(256)) * 4096)
    before = path.stat()
    stream = FileStream(path)
    assert _open_handles(path) == []  # opened on first use
    stream.advise(0, 4096)
    for offset in range(0, stream.size, 8192):
        stream.read(offset, 100)
    (handle,) = _open_handles(path)
    flags = int(Path(f"/proc/self/fdinfo/{handle}").read_text().split("flags:")[1].split()[0], 8)
    assert flags & os.O_ACCMODE == os.O_RDONLY
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    del stream
    assert _open_handles(path) == []  # closed with the stream


def test_a_forked_or_unpickled_stream_opens_its_own_handle(tmp_path: Path) -> None:
    data = random.Random(7).randbytes(1 << 16)
    path = tmp_path / "evidence.bin"
    path.write_bytes(data)
    stream = FileStream(path)
    assert stream.read(100, 10) == data[100:110]
    copy = pickle.loads(pickle.dumps(stream))
    assert copy.read(0, 50) == data[:50]
    assert len(_open_handles(path)) == 2
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child's reads go through a handle of its own
        ok = stream.read(1000, 20) == data[1000:1020] and stream._pid == os.getpid()
        os.write(writer, b"1" if ok else b"0")
        os._exit(0)
    os.close(writer)
    assert os.read(reader, 1) == b"1"
    os.waitpid(child, 0)
    os.close(reader)
    assert stream.read(2000, 5) == data[2000:2005]


def test_a_missing_file_fails_on_read_not_on_advise(tmp_path: Path) -> None:
    path = tmp_path / "gone.bin"
    path.write_bytes(b"x" * 100)
    stream = FileStream(path)
    path.unlink()
    stream.advise(0, 100)  # a hint only
    try:
        stream.read(0, 10)
    except OSError as exc:
        assert "gone.bin" in str(exc)
    else:
        raise AssertionError("a read of a missing file must fail")


def _deflated_member(tmp_path: Path, data: bytes) -> tuple[zipfile.ZipFile, list[int]]:
    """A zip (zipfile, deflated) holding `data`, and a list that counts its openings."""
    path = tmp_path / "phone.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("DCIM/a.bin", data)
    return zipfile.ZipFile(path), []


def _counted(archive: zipfile.ZipFile, opened: list[int]) -> IO[bytes]:
    opened.append(1)
    return archive.open("DCIM/a.bin")


def test_a_small_member_read_whole_is_decompressed_once(tmp_path: Path) -> None:
    data = random.Random(8).randbytes(200_000) + bytes(100_000)
    archive, opened = _deflated_member(tmp_path, data)
    stream = SequentialStream(lambda: _counted(archive, opened), len(data))
    head = b"".join(read_chunks(stream))
    assert head == data
    assert stream.read(len(data) - 4, 4) == data[-4:]  # a sniff of the end
    assert stream.read(1000, 50) == data[1000:1050]
    assert len(opened) == 1


def test_sequential_reads_agree_with_the_member_in_any_order(tmp_path: Path) -> None:
    data = random.Random(9).randbytes(3 * READ_CHUNK + 777)
    archive, opened = _deflated_member(tmp_path, data)
    stream = SequentialStream(lambda: _counted(archive, opened), len(data))
    rng = random.Random(10)
    for _ in range(40):
        offset, length = rng.randrange(len(data)), rng.randrange(1, 2 * READ_CHUNK)
        assert stream.read(offset, length) == data[offset : offset + length]
    assert b"".join(read_chunks(stream)) == data
    assert stream.read(len(data), 10) == b""
