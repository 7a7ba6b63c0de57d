"""FileStream: positioned reads through one read-only handle per stream and process."""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path

from scanner.evidence.streams import FileStream, read_chunks


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
