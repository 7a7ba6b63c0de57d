"""Phone extractions given as zip and tar archives, and archives inside evidence: every
planted picture is found with its full locator chain, content hash and time."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.evidence import open_evidence
from scanner.evidence.containers import ContainerOptions
from scanner.evidence.containers.inflate import GZIP, InflatedStream
from scanner.evidence.resolver import Resolver
from scanner.evidence.streams import BytesStream, read_chunks
from scanner.pipeline.tasks import ItemTask
from scanner.pipeline.worker import hash_item
from scanner.types import FileItem, Locator
from tests.evidence.container_helpers import wrong_passwords
from tests.evidence.phone_extraction import (
    Planted,
    nested_zip,
    picture,
    plant,
    write_tar,
    write_zip,
)

SEEDS = (11, 12, 13)  # development seeds; the bench reports others


def scan(case: Path, *evidence: Path, extra: tuple[str, ...] = ()) -> dict:
    command = [sys.executable, "-m", "scanner", "scan", *map(str, evidence), "--case", str(case)]
    done = subprocess.run(
        [*command, "--no-models", *extra], capture_output=True, text=True, timeout=600
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads((case / "report.json").read_text())


def locations(report: dict) -> dict[str, list[dict]]:
    return {blob["sha256"]: blob["locations"] for blob in report["blobs"]}


def expected_locator(archive: str, item: Planted, kind: str, offsets: dict[str, int]) -> str:
    if kind == "zip":
        chain = f"file:{archive} > zip:member={item.path}"
    else:
        wrap = {"tar": "", "tar.gz": " > gzip:data", "tar.bz2": " > bzip2:data"}[kind]
        chain = f"file:{archive}{wrap} > tar:member={item.path}@{offsets[item.path]}"
    return f"{chain} > zip:member={item.inner}" if item.inner else chain


def tar_offsets(path: Path) -> dict[str, int]:
    import tarfile

    with tarfile.open(path) as archive:
        return {member.name: member.offset for member in archive if member.isreg()}


@pytest.mark.parametrize("seed", SEEDS)
def test_every_planted_picture_of_a_phone_archive_is_found(tmp_path: Path, seed: int) -> None:
    files = plant(seed)
    archives = {
        "zip": write_zip(files, tmp_path / "phone.zip", seed),
        "tar": write_tar(files, tmp_path / "phone.tar"),
        "tar.gz": write_tar(files, tmp_path / "phone.tar.gz", "w:gz"),
        "tar.bz2": write_tar(files, tmp_path / "phone.tar.bz2", "w:bz2"),
    }
    report = scan(tmp_path / "case", *archives.values())
    found = locations(report)
    pictures = [item for item in files if item.picture]
    assert len(found) == len(pictures)
    for kind, archive in archives.items():
        offsets = tar_offsets(archive) if kind != "zip" else {}
        for item in pictures:
            by_locator = {loc["locator"]: loc for loc in found[item.sha256]}
            locator = expected_locator(archive.name, item, kind, offsets)
            assert locator in by_locator, f"{kind}: {item.path} not found as {locator}"
            location = by_locator[locator]
            path = f"/{item.path}/{item.inner}" if item.inner else f"/{item.path}"
            assert location["path"] == path
            if not item.inner:
                assert location["times"]["modified"] == item.mtime
                assert location["times"]["basis"].startswith("utc")


def test_a_zip_dos_time_is_marked_as_local_time(tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(zipfile.ZipInfo("a.jpg", (2024, 3, 1, 10, 0, 0)), picture(random.Random(1)))
    (item,) = [i for i in open_evidence(archive).walk() if isinstance(i, FileItem)]
    assert item.times.modified == 1709287200.0  # 2024-03-01 10:00:00 as read, no zone
    assert "local time" in item.times.basis


def test_archives_inside_a_folder_and_inside_each_other(tmp_path: Path) -> None:
    rng = random.Random(5)
    deep = picture(rng)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("deep/a.jpg", deep)
    middle = io.BytesIO()
    with zipfile.ZipFile(middle, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.zip", inner.getvalue())
    evidence = tmp_path / "evidence"
    (evidence / "Download").mkdir(parents=True)
    write_tar([Planted("x/middle.zip", middle.getvalue(), 1_700_000_000)], tmp_path / "t.tar")
    (evidence / "Download" / "bundle.tgz").write_bytes(
        gzip.compress((tmp_path / "t.tar").read_bytes())
    )
    report = scan(tmp_path / "case", evidence)
    (location,) = locations(report)[hashlib.sha256(deep).hexdigest()]
    assert location["locator"] == (
        "folder:evidence > file:Download/bundle.tgz > gzip:data > tar:member=x/middle.zip@512"
        " > zip:member=inner.zip > zip:member=deep/a.jpg"
    )
    assert location["path"] == "/Download/bundle.tgz/x/middle.zip/inner.zip/deep/a.jpg"


def test_nesting_deeper_than_the_limit_is_an_error_row_naming_the_limit(tmp_path: Path) -> None:
    data = picture(random.Random(3))
    for level in range(10):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr(f"level{level}.bin", data)
        data = out.getvalue()
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "nest.zip").write_bytes(data)
    report = scan(tmp_path / "case", tmp_path / "evidence")
    assert report["blobs"] == []
    errors = [e for e in report["errors"] if "depth limit of 8" in e["reason"]]
    assert len(errors) == 1 and errors[0]["locator"].count("zip:member=") == 8


def test_a_container_with_the_content_of_an_enclosing_one_is_not_opened_again(
    tmp_path: Path,
) -> None:
    """A zip quine (droste.zip) is found again inside itself: members carry the SHA-256 of
    every enclosing container, and a container whose content is one of them is not opened
    again (the depth limit bounds quines that change on the way)."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("a.jpg", picture(random.Random(6)))
    path = tmp_path / "q.zip"
    path.write_bytes(inner.getvalue())
    digest = hashlib.sha256(inner.getvalue()).hexdigest()
    task = ItemTask(1, Locator((("file", str(path)),)), "/q.zip", path.stat().st_size, False)
    opened = hash_item(task)
    assert opened.container == "zip" and len(opened.children) == 1 and not opened.problems
    child = task.child(opened.children[0], opened.sha256, "expand:x")
    assert child.enclosing == (digest,)
    again = hash_item(replace(task, enclosing=(digest,)))
    assert again.children == ()
    (problem,) = again.problems
    assert "same content as a container it was found in" in problem.reason


def test_gzip_random_access_reads_what_a_forward_read_gives() -> None:
    rng = random.Random(9)
    plain = b"".join(rng.randbytes(rng.randint(1, 5000)) * rng.randint(1, 300) for _ in range(300))
    packed = gzip.compress(plain[: len(plain) // 2]) + gzip.compress(plain[len(plain) // 2 :])
    stream = InflatedStream(BytesStream(packed), GZIP)
    assert stream.measure(1 << 40) == len(plain) and not stream.damage
    for _ in range(60):
        offset = rng.randrange(len(plain))
        length = rng.randint(0, 3 << 20)
        assert stream.read(offset, length) == plain[offset : offset + length]
    assert b"".join(read_chunks(stream)) == plain


def test_a_damaged_gzip_keeps_what_came_before_the_damage() -> None:
    rng = random.Random(2)
    words = [rng.randbytes(rng.randint(2, 9)) for _ in range(500)]
    plain = b" ".join(rng.choice(words) for _ in range(600_000))
    packed = bytearray(gzip.compress(plain))
    packed[len(packed) // 2 : len(packed) // 2 + 64] = bytes(64)
    stream = InflatedStream(BytesStream(bytes(packed)), GZIP)
    size = stream.measure(1 << 40)
    assert "damaged compressed data" in stream.damage and size <= len(plain)
    before = int(len(plain) * 0.45)  # what the bytes before the damage decompress to
    assert stream.read(0, before) == plain[:before]


def test_the_resolver_opens_the_evidence_and_parses_a_zip_once(tmp_path: Path) -> None:
    rng = random.Random(4)
    pictures = {f"m/{index}.jpg": picture(rng) for index in range(30)}
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as archive:
        for name, data in pictures.items():
            archive.writestr(name, data)
    root = Locator((("file", str(tmp_path / "many.zip")),))
    resolver = Resolver(ContainerOptions())
    for name, data in pictures.items():
        stream = resolver.open_stream(root.child("zip", f"member={name}"))
        assert b"".join(read_chunks(stream)) == data
    assert len(resolver._containers) == 1


def test_an_encrypted_zip_member_is_an_error_row_naming_it(tmp_path: Path) -> None:
    zip_path = tmp_path / "evidence" / "locked.zip"
    zip_path.parent.mkdir()
    subprocess.run(
        ["7z", "a", "-pSECRET", "-mem=ZipCrypto", str(zip_path), str(_jpeg_file(tmp_path))],
        check=True,
        capture_output=True,
    )
    report = scan(tmp_path / "case", tmp_path / "evidence")
    assert report["blobs"] == []
    (error,) = [e for e in report["errors"] if "zip:member=" in e["locator"]]
    assert "encrypted: a password is needed (--password)" in error["reason"]
    for n, wrong in enumerate(wrong_passwords(zip_path, "photo.jpg")):  # check byte: no, yes
        report = scan(tmp_path / f"case{n}", zip_path.parent, extra=("--password", wrong))
        assert report["blobs"] == []
        (error,) = [e for e in report["errors"] if "zip:member=" in e["locator"]]
        assert "zip member 'photo.jpg' does not decrypt: wrong --password? (" in error["reason"]
    report = scan(tmp_path / "right", zip_path.parent, extra=("--password", "SECRET"))
    assert [b["sha256"] for b in report["blobs"]] == [
        hashlib.sha256(_jpeg_file(tmp_path).read_bytes()).hexdigest()
    ]


def _jpeg_file(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(picture(random.Random(8)))
    return path


def test_the_case_database_holds_the_evidence_path_in_the_locator(tmp_path: Path) -> None:
    files = plant(21)
    archive = write_zip(files, tmp_path / "phone.zip", 21)
    scan(tmp_path / "case", archive)
    with sqlite3.connect(tmp_path / "case" / "case.sqlite") as db:
        stored = [Locator.from_json(row[0]) for row in db.execute("SELECT locator_json FROM items")]
    assert stored and all(loc.root == ("file", str(archive.resolve())) for loc in stored)


def test_nested_zip_helper_is_a_zip() -> None:
    item = Planted("a.zip", b"\xff\xd8", 0, inner="b.jpg")
    assert zipfile.ZipFile(io.BytesIO(nested_zip(item))).namelist() == ["b.jpg"]


def test_sigkill_inside_nested_containers_then_resume_gives_identical_results(
    tmp_path: Path,
) -> None:
    import os
    import signal
    import time

    rng = random.Random(20261207)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    zips = []
    for index in range(24):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for number in range(rng.randint(8, 16)):
                archive.writestr(f"chat/{index}/{number}.jpg", picture(rng))
        zips.append(Planted(f"backup/part{index}.zip", out.getvalue(), 1_700_000_000 + index))
    write_tar(zips, evidence / "phone.tar.gz", "w:gz")

    def command(case: Path) -> list[str]:
        run = [sys.executable, "-m", "scanner", "scan", str(evidence), "--case", str(case)]
        return [*run, "--no-models", "--workers", "1"]

    def results(case: Path) -> dict[str, list[tuple]]:
        with sqlite3.connect(case / "case.sqlite") as db:
            return {
                "items": sorted(db.execute("SELECT locator, path, sha256, times FROM items")),
                "blobs": sorted(db.execute("SELECT sha256, size, pdq FROM blobs")),
                "errors": sorted(db.execute("SELECT locator, stage, reason FROM errors")),
            }

    reference = tmp_path / "reference"
    started = time.monotonic()
    subprocess.run(command(reference), check=True, capture_output=True, timeout=600)
    whole = time.monotonic() - started
    expected = results(reference)
    assert len(expected["blobs"]) > 200 and not expected["errors"]
    case, kills = tmp_path / "case", 0
    # one kill while the nested containers are listed, one during the analysis: two kills
    # on the same unit in progress would make it poisoned, by design
    for delay in (0.45 * whole, 0.75 * whole):
        process = subprocess.Popen(
            command(case),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(delay)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
    subprocess.run(command(case), check=True, capture_output=True, timeout=600)
    assert kills >= 1, "the scan finished before any kill; nothing was tested"
    assert results(case) == expected


def test_archives_on_a_disk_image_are_opened(tmp_path: Path) -> None:
    """Real ext4 (mke2fs -d) read by pytsk3, holding a zip (stored and deflated members)
    and a tar.gz: their pictures come out with the whole chain in the locator."""
    rng = random.Random(17)
    stored, deflated, tarred = picture(rng), picture(rng), picture(rng)
    tree = tmp_path / "tree" / "sdcard" / "Download"
    tree.mkdir(parents=True)
    with zipfile.ZipFile(tree / "photos.zip", "w") as archive:
        archive.writestr("a/stored.jpg", stored)
        archive.writestr("a/deflated.jpg", deflated, zipfile.ZIP_DEFLATED)
    write_tar([Planted("b/t.jpg", tarred, 1_700_000_000)], tree / "more.tar.gz", "w:gz")
    image = tmp_path / "disk.img"
    subprocess.run(
        ["mke2fs", "-q", "-t", "ext4", "-d", str(tmp_path / "tree"), str(image), "8M"], check=True
    )
    found = locations(scan(tmp_path / "case", image))
    for data, tail, path in (
        (stored, "zip:member=a/stored.jpg", "/sdcard/Download/photos.zip/a/stored.jpg"),
        (deflated, "zip:member=a/deflated.jpg", "/sdcard/Download/photos.zip/a/deflated.jpg"),
        (tarred, "gzip:data > tar:member=b/t.jpg@512", "/sdcard/Download/more.tar.gz/b/t.jpg"),
    ):
        (location,) = found[hashlib.sha256(data).hexdigest()]
        head, _, rest = location["locator"].partition(" > ext4:inode=")
        assert head == "raw:disk.img > vol:whole"
        assert rest.split(" > ", 1)[1] == tail
        assert location["path"] == path


def test_evidence_without_pictures_says_so(tmp_path: Path) -> None:
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("notes/a.txt", b"no picture here")
    report = scan(tmp_path / "case", archive)
    assert report["blobs"] == []
    (error,) = report["errors"]
    assert error["locator"] == "file:docs.zip"
    assert error["reason"].startswith("no pictures or videos found in it")


def test_an_ios_photos_thumbnail_in_an_extraction_names_its_asset(tmp_path: Path) -> None:
    thumb = picture(random.Random(23))
    path = "private/var/mobile/Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0042.JPG/5005.JPG"
    archive = write_tar([Planted(path, thumb, 1_700_000_000)], tmp_path / "iphone.tar")
    (location,) = locations(scan(tmp_path / "case", archive))[hashlib.sha256(thumb).hexdigest()]
    assert location["origin"]["store"] == "ios-photos-thumbnails"
    assert (
        location["origin"]["original_path"]
        == "/private/var/mobile/Media/DCIM/100APPLE/IMG_0042.JPG"
    )
