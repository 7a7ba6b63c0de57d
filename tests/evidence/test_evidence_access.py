"""The evidence layer against the committed test images, The Sleuth Kit's own tools, and
the real dfvfs images in ../shared/data/diskimages."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.errors import EvidenceError
from scanner.evidence import DiskSource, open_evidence, read_chunks
from scanner.types import ExtentKind, FileItem, ItemError

DATA = Path(__file__).parents[1] / "data"
SHARED = Path(__file__).parents[2] / ".." / "shared" / "data" / "diskimages"
TRUTH = json.loads((DATA / "ground_truth.json").read_text())["images"]


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every committed image, gunzipped where needed, in a temporary folder."""
    folder = tmp_path_factory.mktemp("images")
    paths = {}
    for name in TRUTH:
        source = DATA / name
        if not source.exists():
            continue
        if name.endswith(".gz"):
            target = folder / name[:-3]
            with gzip.open(source) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            paths[name] = target
        else:
            paths[name] = source
    return paths


def sha256_of(source: DiskSource, item: FileItem) -> str:
    digest = hashlib.sha256()
    for chunk in read_chunks(source.open_item(item.locator)):
        digest.update(chunk)
    return digest.hexdigest()


def walk(path: Path) -> tuple[DiskSource, list[FileItem], list[ItemError]]:
    source = open_evidence(path)
    assert isinstance(source, DiskSource)
    entries = list(source.walk())
    return (
        source,
        [e for e in entries if isinstance(e, FileItem)],
        [e for e in entries if isinstance(e, ItemError)],
    )


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_every_planted_file_is_listed_with_its_content(images: dict[str, Path], name: str) -> None:
    if name not in images:
        pytest.skip(f"{name} was not generated")
    source, items, _ = walk(images[name])
    found = {(item.path, item.deleted): item for item in items}
    for planted in TRUTH[name]["files"]:
        path = planted.get("listed_path", planted["path"])
        item = found.get((path, planted["deleted"]))
        assert item is not None, f"{name}: {path} (deleted={planted['deleted']}) not listed"
        assert item.size == planted["size"]
        assert sha256_of(source, item) == planted["sha256"], f"{name}: {path} content differs"


def _fls_files(image: Path, offset: int) -> set[tuple[str, int]]:
    """Regular files (with an inode) that `fls -r -p` lists, as (path, inode)."""
    sector = str(offset // 512)
    out = subprocess.run(
        ["fls", "-r", "-p", "-o", sector, str(image)], capture_output=True, text=True, check=True
    ).stdout
    files = set()
    for line in out.splitlines():
        match = re.match(r"^(\S)/(\S)\s+(\*\s+)?(\d+)(?:-\d+-\d+)?(?:\(realloc\))?:\t(.*)$", line)
        if not match or match.group(1) != "r" and match.group(2) != "r":
            continue
        inode, path = int(match.group(4)), match.group(5)
        if inode == 0 or "$OrphanFiles" in path:
            continue
        files.add(("/" + path, inode))
    return files


@pytest.mark.skipif(shutil.which("fls") is None, reason="The Sleuth Kit's fls is not installed")
@pytest.mark.parametrize("name", ["fat32.img.gz", "ext4.img.gz", "gpt.img.gz", "mbr.img.gz"])
def test_walk_agrees_with_fls_and_icat(images: dict[str, Path], name: str) -> None:
    if name not in images:
        pytest.skip(f"{name} was not generated")
    source, items, _ = walk(images[name])
    for partition in source.layout.partitions:
        ours = {
            (i.path, i.inode)
            for i in items
            if str(i.locator).find(f"@{partition.offset}") >= 0 or partition.index < 0
        }
        theirs = _fls_files(images[name], partition.offset)
        missing = {entry for entry in theirs if not entry[0].split("/")[-1].startswith("$")} - ours
        assert not missing, f"{name}: fls lists files the walk misses: {sorted(missing)[:5]}"
    item = next(i for i in items if i.size > 0 and not i.path.split("/")[-1].startswith("$"))
    partition_offset = next(
        (p.offset for p in source.layout.partitions if f"@{p.offset}" in str(item.locator)), 0
    )
    icat = subprocess.run(
        ["icat", "-o", str(partition_offset // 512), str(images[name]), str(item.inode)],
        capture_output=True,
        check=True,
    ).stdout
    assert hashlib.sha256(icat).hexdigest() == sha256_of(source, item)


def test_extents_cover_the_planted_carving_targets(images: dict[str, Path]) -> None:
    source = open_evidence(images["gpt.img.gz"])
    extents = list(source.extents())
    kinds = {e.kind for e in extents}
    assert ExtentKind.UNPARTITIONED in kinds and ExtentKind.UNALLOCATED in kinds
    for target in TRUTH["gpt.img.gz"]["carve_targets"]:
        start, end = target["offset"], target["offset"] + target["size"]
        assert any(e.offset <= start and end <= e.end for e in extents), (
            f"target at {start} not in an extent"
        )
    for planted in TRUTH["gpt.img.gz"]["files"]:
        if planted["deleted"]:
            continue  # allocated file content must never be handed to the carver
    allocated = [i for i in walk(images["gpt.img.gz"])[1] if not i.deleted and i.size > 4096]
    assert allocated


def test_split_raw_and_split_e01_give_the_same_media(images: dict[str, Path]) -> None:
    expected = TRUTH["split.raw.001"]["media_sha256"]
    for name in ("split.raw.001", "example-split.E01"):
        source = open_evidence(images[name])
        digest = hashlib.sha256()
        for chunk in read_chunks(source.media_range(0, source.reader.size)):
            digest.update(chunk)
        assert digest.hexdigest() == expected, name
    assert open_evidence(images["example-split.E01"]).container.files[-1].endswith(".E02")


def test_e01_exposes_stored_hashes_and_metadata(images: dict[str, Path]) -> None:
    source = open_evidence(images["example.E01"])
    assert source.container.kind == "ewf"
    assert source.container.stored_hashes["md5"] == TRUTH["example.E01"]["media_md5"]
    assert source.container.metadata


def test_folder_source_lists_files_and_refuses_escapes(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jpg").write_bytes(b"\xff\xd8\xff" + b"x" * 10)
    source = open_evidence(tmp_path)
    items = [e for e in source.walk() if isinstance(e, FileItem)]
    assert [i.path for i in items] == ["/sub/a.jpg"]
    assert b"".join(read_chunks(source.open_item(items[0].locator))).startswith(b"\xff\xd8\xff")
    with pytest.raises(EvidenceError, match="outside"):
        source.open_item(source.locator.child("file", "../../etc/passwd"))


# --- bad input ----------------------------------------------------------------------------


def test_empty_and_missing_files_give_one_line_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.dd"
    empty.touch()
    with pytest.raises(EvidenceError, match=r"empty\.dd: empty file"):
        open_evidence(empty)
    with pytest.raises(EvidenceError, match="no such file"):
        open_evidence(tmp_path / "nope.E01")


def test_missing_e01_segment_is_named(images: dict[str, Path], tmp_path: Path) -> None:
    shutil.copy(images["example-split.E01"], tmp_path / "lonely.E01")
    with pytest.raises(EvidenceError) as caught:
        open_evidence(tmp_path / "lonely.E01")
    assert "lonely.E01" in str(caught.value) and "\n" not in str(caught.value)


def test_truncated_e01_is_a_clear_error(images: dict[str, Path], tmp_path: Path) -> None:
    data = images["example.E01"].read_bytes()
    (tmp_path / "cut.E01").write_bytes(data[: len(data) // 3])
    with pytest.raises(EvidenceError) as caught:
        source = open_evidence(tmp_path / "cut.E01")
        read_chunks(source.media_range(0, source.reader.size)).__next__()
        list(source.walk())
        raise EvidenceError("cut.E01: opened although truncated")
    assert "cut.E01" in str(caught.value)


def test_random_bytes_are_one_unknown_volume(tmp_path: Path) -> None:
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(range(256)) * 4096)
    source = open_evidence(noise)
    assert [e.kind for e in source.extents()] == [ExtentKind.UNKNOWN_VOLUME]


def test_corrupt_partition_table_falls_back_to_raw(images: dict[str, Path], tmp_path: Path) -> None:
    data = bytearray(images["mbr.img.gz"].read_bytes())
    data[446:510] = b"\xff" * 64  # every partition entry garbage, signature kept
    broken = tmp_path / "broken.img"
    broken.write_bytes(bytes(data))
    source = open_evidence(broken)
    extents = list(source.extents())
    assert extents and sum(e.length for e in extents) > 0
    list(source.walk())  # lists what can be listed, never raises


def test_unreadable_root_directory_is_an_error_and_the_volume_is_carved(
    images: dict[str, Path], tmp_path: Path
) -> None:
    """ext4 whose root inode was cleared (debugfs clri <2>, as a fuzzed image had it): the
    file system still opens, the walk records why it lists nothing, and the carving extents
    cover every block instead of the walk raising out of the scan."""
    broken = tmp_path / "rootless.img"
    shutil.copyfile(images["ext4.img.gz"], broken)
    subprocess.run(
        ["debugfs", "-w", "-R", "clri <2>", str(broken)], check=True, capture_output=True
    )
    source, files, errors = walk(broken)
    assert files == []
    assert len(errors) == 1 and "ext4 root directory unreadable" in errors[0].reason
    assert "tsk3.cpp" not in errors[0].reason
    fs = source.filesystem(source.layout.partitions[0])
    assert fs is not None and fs.kind == "ext4"
    (extent,) = source.extents()
    assert extent.kind is ExtentKind.UNALLOCATED
    assert extent.length == (fs.block_count - fs.first_block) * fs.block_size


def test_tsk_reasons_are_one_line_without_the_binding_prefix() -> None:
    from scanner.evidence.tsk_filesystem import _tsk_reason

    message = (
        "Directory_Con: (tsk3.cpp:517) Unable to open directory: Error extracting file from "
        "image (ext2fs_dir_open_meta: Error reading directory contents: 2\n)"
    )
    assert _tsk_reason(OSError(message)) == (
        "Unable to open directory: Error extracting file from image "
        "(ext2fs_dir_open_meta: Error reading directory contents: 2)"
    )
    assert _tsk_reason(OSError("")) == "OSError"


def test_walk_limits_stop_and_record_a_warning(images: dict[str, Path]) -> None:
    from scanner.evidence import WalkLimits

    source = open_evidence(images["ext4.img.gz"], WalkLimits(max_entries=3))
    entries = list(source.walk())
    errors = [e for e in entries if isinstance(e, ItemError)]
    assert errors and "walk stopped" in errors[0].reason
    assert list(source.extents())


# --- the real dfvfs images ------------------------------------------------------------------

SHARED_CASES = {
    "ext2.E01": "/passwords.txt",
    "ext2.split.E01": "/passwords.txt",
    "ext2.splitraw.000": "/passwords.txt",
    "ext2.vmdk": "/passwords.txt",
    "ext2.vhd": "/passwords.txt",
    "ext2.qcow2": "/passwords.txt",
    "image.E01": "/passwords.txt",
    "image.qcow2": "/passwords.txt",
    "image.vhd": "/passwords.txt",
    "image-differential.vhd": "/passwords.txt",
    "iso9660.raw": "/PASSWORDS.TXT",
    "hfsplus.raw": "/passwords.txt",
    "vsstest.qcow2": "/password.txt",
    "ímynd.dd": "/passwords.txt",
}


@pytest.mark.parametrize("name", sorted(SHARED_CASES))
def test_shared_images_open_and_list_the_known_file(name: str) -> None:
    path = SHARED / name
    if not path.exists():
        pytest.skip("../shared/data/diskimages is absent")
    source, items, _ = walk(path)
    known = [i for i in items if i.path == SHARED_CASES[name]]
    assert known, f"{name}: {SHARED_CASES[name]} not listed"
    digest = hashlib.md5(b"".join(read_chunks(source.open_item(known[0].locator)))).hexdigest()
    assert digest == "39cb097008d17660abd0539891a672af"


def test_shared_orphans_ntfs_and_mbr() -> None:
    if not SHARED.exists():
        pytest.skip("../shared/data/diskimages is absent")
    _, items, _ = walk(SHARED / "image.E01")
    assert any(i.path.startswith("/$OrphanFiles/") and i.deleted for i in items)
    _, items, _ = walk(SHARED / "windows_volume.qcow2")
    assert any(i.path == "/Windows/System32/config/syslog" for i in items)
    split = open_evidence(SHARED / "image-split.E01")
    assert split.layout.scheme == "dos" and len(split.layout.partitions) == 2
    assert ExtentKind.UNKNOWN_VOLUME in {e.kind for e in split.extents()}
    bogus = open_evidence(SHARED / "bogus.001")
    assert [e.kind for e in bogus.extents()] == [ExtentKind.UNKNOWN_VOLUME]


@pytest.mark.parametrize(
    "name",
    ["ext4.img.gz", "fat32.img.gz", "exfat.img.gz", "ntfs.img.gz", "gpt.img.gz", "hfsplus.raw"],
)
def test_read_ahead_hints_name_the_file_s_own_media_bytes(
    images: dict[str, Path], name: str
) -> None:
    """A stream's advise(offset, length) hints exactly the media blocks that hold those
    bytes of the file: read back from the medium, they are the file's content."""
    path = images.get(name) or SHARED / name
    if not path.exists():
        pytest.skip(f"{name} not available")
    source, files, _ = walk(path)
    hinted: list[tuple[int, int]] = []
    source.reader.advise = lambda offset, length: hinted.append((offset, length))  # type: ignore[method-assign]
    checked = hinted_files = 0
    wanted = [item for item in files if not item.deleted and item.size > 0]
    for item in wanted:
        stream = source.open_item(item.locator)
        content = b"".join(read_chunks(stream))
        for offset, length in ((0, item.size), (item.size // 2, 10)):
            hinted.clear()
            stream.advise(offset, length)
            if not hinted:
                continue  # resident or compressed data: nothing to hint
            media = b"".join(source.reader.read(o, n) for o, n in hinted)
            assert len(media) < length + 2 * 65536  # whole blocks, no more
            if offset == 0:
                assert media[: item.size] == content
                hinted_files += 1
            else:
                assert content[offset : offset + length] in media
            checked += 1
    assert checked >= 2
    assert hinted_files >= 0.8 * len(wanted)  # only resident (tiny NTFS) data goes without


def test_raw_reader_hints_each_segment_of_a_split_image(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.evidence.images import RawReader

    segments = [DATA / "split.raw.001", DATA / "split.raw.002"]
    reader = RawReader(segments)
    calls: list[tuple[int, int, int]] = []
    monkeypatch.setattr("os.posix_fadvise", lambda fd, o, n, advice: calls.append((fd, o, n)))
    first = segments[0].stat().st_size
    reader.advise(first - 100, 300)
    reader.advise(reader.size - 10, 1000)  # clipped at the end of the medium
    reader.close()
    fds = [c[0] for c in calls]
    assert [(c[1], c[2]) for c in calls] == [
        (first - 100, 100),
        (0, 200),
        (reader.size - first - 10, 10),
    ]
    assert fds[0] != fds[1] == fds[2]


def test_a_partition_without_a_file_system_is_recorded_not_skipped(
    images: dict[str, Path], tmp_path: Path
) -> None:
    data = bytearray(images["mbr.img.gz"].read_bytes())
    ntfs = next(p for p in TRUTH["mbr.img.gz"]["partitions"] if p["fs"] == "NTFS")
    start = ntfs["offset"]
    data[start : start + 8192] = bytes(8192)  # boot sector and its backup area wiped
    wiped = tmp_path / "wiped.img"
    wiped.write_bytes(bytes(data))
    _, items, errors = walk(wiped)
    assert [e.stage for e in errors] == ["walk"]
    assert f"@{start}" in errors[0].locator and "no file system recognised" in errors[0].reason
    assert items and not any(f"@{start}" in str(item.locator) for item in items)
    _, _, clean = walk(images["mbr.img.gz"])
    assert clean == []


@pytest.mark.skipif(shutil.which("sgdisk") is None, reason="sgdisk (gdisk) not installed")
def test_reserved_partitions_are_not_reported_but_swap_is(tmp_path: Path) -> None:
    disk = tmp_path / "gpt.img"
    with disk.open("wb") as handle:
        handle.truncate(40 << 20)
    subprocess.run(
        ["sgdisk", "-n", "1:2048:+16M", "-t", "1:0c01", "-c", "1:Microsoft reserved partition"]
        + ["-n", "2:0:+8M", "-t", "2:8200", "-c", "2:Linux swap", str(disk)],
        check=True,
        capture_output=True,
    )
    _, items, errors = walk(disk)
    assert items == []
    assert len(errors) == 1 and "Linux swap: no file system recognised" in errors[0].reason


def test_ewf_with_damaged_headers_is_a_clear_error(tmp_path: Path) -> None:
    """A damaged section name makes libewf open the E01 with no media at all (found by
    fuzzing): one clear error naming the file, not a failure deep inside the walk."""
    data = bytearray((DATA / "example.E01").read_bytes())
    data[13] = 0xFF  # first byte of the first section's type ("header")
    damaged = tmp_path / "damaged.E01"
    damaged.write_bytes(bytes(data))
    with pytest.raises(EvidenceError, match=r"damaged\.E01: the ewf image holds no media data"):
        open_evidence(damaged)


def _vmdk_with_bad_grain(tmp_path: Path, grain: int) -> Path:
    """ext2.vmdk (64 KiB grains, grain table at sector 27) with one grain table entry
    pointing far past the end of the file, so that grain cannot be read."""
    import struct

    source = SHARED / "ext2.vmdk"
    if not source.exists():
        pytest.skip("../shared/data/diskimages is not here")
    data = bytearray(source.read_bytes())
    entry = 27 * 512 + 4 * grain
    assert struct.unpack("<I", data[entry : entry + 4])[0] > 0  # an allocated grain
    data[entry : entry + 4] = struct.pack("<I", 0x7FFFFF00)
    broken = tmp_path / f"bad-grain-{grain}.vmdk"
    broken.write_bytes(bytes(data))
    return broken


def test_unreadable_container_sectors_are_read_as_zeros_and_reported(tmp_path: Path) -> None:
    """A VMDK grain that cannot be read (inode table area): the walk goes on over zeros
    instead of TSK giving up, and says which sectors were unreadable and why."""
    source, _, errors = walk(_vmdk_with_bad_grain(tmp_path, 2))
    assert sorted(source.image.unreadable) == list(range(131072, 196608, 512))
    (error,) = [e for e in errors if "unreadable in the container" in e.reason]
    assert error.locator == "vmdk:bad-grain-2.vmdk"
    assert error.reason.startswith("65536 bytes in 128 sector(s) unreadable in the container")
    assert "first at offset 131072" in error.reason and "grain" in error.reason


def test_file_data_in_an_unreadable_grain_is_a_read_error(tmp_path: Path) -> None:
    """Files whose data lies in the bad grain are listed, and reading them fails with a
    reason instead of returning zeros as their content; the others read as before."""
    source, items, _ = walk(_vmdk_with_bad_grain(tmp_path, 8))
    outcomes = {}
    for item in items:
        try:
            outcomes[item.path] = sha256_of(source, item)
        except EvidenceError as exc:
            outcomes[item.path] = str(exc)
    failed = [text for text in outcomes.values() if "cannot deliver the sector" in text]
    assert failed and all("medium offset 5" in text for text in failed)  # in 524288..589823
    assert len(failed) < len(outcomes)
