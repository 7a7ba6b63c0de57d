"""Containers inside containers, and hostile ones, through real `dftriage scan`s of a
folder: every planted picture is an item with its full locator chain and SHA-256; every
bomb, loop, cut or lock is an error row naming the container and the limit or reason,
and the scan goes on."""

from __future__ import annotations

import base64
import html
import io
import sqlite3
import struct
import subprocess
import sys
import tarfile
import time
import zipfile
import zlib
from pathlib import Path

import py7zr
import pytest

from tests.evidence.container_helpers import build_pdf, image_pdf, picture, sha256

DOS_DAY = (1 << 5) | 1  # 1980-01-01
PICTURES = [picture((40 * i % 256, 90, 255 - 20 * i)) for i in range(12)]


def scan(folder: Path, case: Path, *settings: str) -> dict[str, list[tuple[str, ...]]]:
    """Scan `folder` into `case` (no models) and return its items and errors."""
    command = [sys.executable, "-m", "scanner", "scan", str(folder), "--case", str(case)]
    command += ["--no-models", "--workers", "2"]
    if settings:
        config = case.parent / f"{case.name}.yaml"
        config.write_text("\n".join(settings) + "\n")
        command += ["--config", str(config)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    with sqlite3.connect(case / "case.sqlite") as db:
        return {
            "items": list(db.execute("SELECT locator, sha256, path FROM items")),
            "errors": list(db.execute("SELECT locator, reason FROM errors")),
        }


def zip_bytes(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def tar_bytes(members: dict[str | bytes, bytes], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode, format=tarfile.GNU_FORMAT) as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(
                name if isinstance(name, str) else name.decode("utf-8", "surrogateescape")
            )
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def located(result: dict[str, list[tuple[str, ...]]], digest: str) -> list[str]:
    return sorted(locator for locator, sha, _ in result["items"] if sha == digest)


# nesting -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, ...]]]:
    root = tmp_path_factory.mktemp("nested")
    folder = root / "evidence"
    folder.mkdir()
    inner = zip_bytes({"DCIM/a.jpg": PICTURES[0]})
    (folder / "phone.tar").write_bytes(tar_bytes({"outer.zip": zip_bytes({"inner.zip": inner})}))
    (folder / "report.docx").write_bytes(
        zip_bytes({"word/document.xml": b"<w:document/>", "word/media/image1.jpeg": PICTURES[1]})
    )
    pixels = bytes(range(48)) * 8
    (folder / "docs.zip").write_bytes(
        zip_bytes({"scan.pdf": image_pdf(PICTURES[2], pixels, 16, 8)})
    )
    database = root / "chat.db"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE media (id INTEGER PRIMARY KEY, data BLOB)")
        db.execute("INSERT INTO media VALUES (7, ?)", (PICTURES[3],))
    (folder / "backup.zip").write_bytes(zip_bytes({"db/chat.db": database.read_bytes()}))
    with py7zr.SevenZipFile(folder / "pics.7z", "w") as archive:
        archive.writestr(PICTURES[4], "Camera/b.jpg")
        archive.writestr(zip_bytes({"c.jpg": PICTURES[5]}), "more.zip")
    page = f'<img src="data:image/jpeg;base64,{base64.b64encode(PICTURES[6]).decode()}">'
    (folder / "export.html").write_text(f"<html>{page}</html>")
    return scan(folder, root / "case")


def test_zip_in_zip_in_tar(nested: dict[str, list[tuple[str, ...]]]) -> None:
    assert located(nested, sha256(PICTURES[0])) == [
        "folder:evidence > file:phone.tar > tar:member=outer.zip@0 > zip:member=inner.zip"
        " > zip:member=DCIM/a.jpg"
    ]


def test_docx_media(nested: dict[str, list[tuple[str, ...]]]) -> None:
    assert located(nested, sha256(PICTURES[1])) == [
        "folder:evidence > file:report.docx > zip:member=word/media/image1.jpeg"
    ]


def test_pdf_in_zip(nested: dict[str, list[tuple[str, ...]]]) -> None:
    assert located(nested, sha256(PICTURES[2])) == [
        "folder:evidence > file:docs.zip > zip:member=scan.pdf > pdf:object=4"
    ]
    png = [r for r in nested["items"] if r[0].endswith("pdf:object=5")]
    assert png and png[0][2] == "/docs.zip/scan.pdf/page-1/Im2.png"


def test_sqlite_in_zip(nested: dict[str, list[tuple[str, ...]]]) -> None:
    assert located(nested, sha256(PICTURES[3])) == [
        "folder:evidence > file:backup.zip > zip:member=db/chat.db"
        " > sqlite:table=media,rowid=7,column=data"
    ]


def test_7z_and_zip_in_7z(nested: dict[str, list[tuple[str, ...]]]) -> None:
    assert located(nested, sha256(PICTURES[4])) == [
        "folder:evidence > file:pics.7z > 7z:member=Camera/b.jpg"
    ]
    assert located(nested, sha256(PICTURES[5])) == [
        "folder:evidence > file:pics.7z > 7z:member=more.zip > zip:member=c.jpg"
    ]


def test_data_uri_in_html(nested: dict[str, list[tuple[str, ...]]]) -> None:
    assert located(nested, sha256(PICTURES[6])) == [
        "folder:evidence > file:export.html > datauri:offset=16"  # len("<html><img src=\"")
    ]
    assert not nested["errors"]


# hostile -------------------------------------------------------------------------------


def deflate_bomb(name: str, size: int) -> bytes:
    """A zip member of `size` zero bytes, deflated in chunks (never held in memory)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk, crc, parts = bytes(1 << 24), 0, []
    for _ in range(size // len(chunk)):
        parts.append(squeeze.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(squeeze.flush())
    data = b"".join(parts)
    encoded = name.encode()
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, DOS_DAY, crc, len(data), size, len(encoded), 0
    )
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, DOS_DAY, crc, len(data), size,
        len(encoded), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    return local + encoded + data, central + encoded  # type: ignore[return-value]


def zip_with_bomb(before: bytes) -> bytes:
    """A zip whose first member is a picture and whose second is 2 GiB of zeros."""
    first = zip_bytes({"first.jpg": before}, zipfile.ZIP_STORED)
    directory = first.index(b"PK\x01\x02")
    first_central = first[directory : first.index(b"PK\x05\x06")]
    local, central = deflate_bomb("zeros.bin", 2 << 30)  # type: ignore[misc]
    body = first[:directory] + local
    centrals = first_central + central[:42] + struct.pack("<I", directory) + central[46:]
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 2, 2, len(centrals), len(body), 0)
    return body + centrals + end


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, list[tuple[str, ...]]]]:
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "evidence"
    folder.mkdir()
    (folder / "bomb.zip").write_bytes(zip_with_bomb(PICTURES[0]))
    deep = zip_bytes({"bottom.jpg": PICTURES[1]})
    for level in range(11, 0, -1):
        extra = {"level3.jpg": PICTURES[2]} if level == 3 else {}
        deep = zip_bytes({f"level{level}.zip": deep, **extra})
    (folder / "deep.zip").write_bytes(deep)
    (folder / "names.zip").write_bytes(
        zip_bytes(
            {
                "../../etc/evil.jpg": PICTURES[3],
                "/etc/passwd.jpg": PICTURES[4],
                "a\x00b.jpg": PICTURES[5],
                "<script>alert(1)</script>.jpg": PICTURES[6],
            }
        )
    )
    (folder / "names.tar").write_bytes(
        tar_bytes({b"\xff\xfe-latin\xe9.jpg": PICTURES[7], "../up.jpg": PICTURES[8]})
    )
    whole = zip_bytes({"kept.jpg": PICTURES[9], "noise.bin": bytes(range(256)) * 400})
    (folder / "cut.zip").write_bytes(whole[: len(whole) // 2])
    with py7zr.SevenZipFile(root / "whole.7z", "w") as archive:
        archive.writestr(PICTURES[10], "x.jpg")
    (folder / "cut.7z").write_bytes((root / "whole.7z").read_bytes()[:-30])
    targz = tar_bytes({"kept.jpg": PICTURES[11], "rest.bin": bytes(range(256)) * 4000}, "w:gz")
    (folder / "cut.tar.gz").write_bytes(targz[: len(targz) * 2 // 3])
    with py7zr.SevenZipFile(folder / "locked.7z", "w", password="SECRET") as archive:
        archive.writestr(PICTURES[0], "locked.jpg")
    cyclic = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        3: b"<< /Type /Page /Parent 2 0 R /Resources 3 0 R /XObject 3 0 R >>",
    }
    (folder / "cyclic.pdf").write_bytes(build_pdf(cyclic, prev_self=True))
    before = {p: p.stat().st_size for p in root.rglob("*")}
    started = time.monotonic()
    result = scan(folder, root / "case", "container_max_seconds: 20")
    assert time.monotonic() - started < 300
    written = {p for p in root.rglob("*") if p.relative_to(root).parts[0] != "case"}
    assert written - set(before) == {root / "case.yaml"}  # nothing beside the case folder
    assert all(p.stat().st_size == size for p, size in before.items())
    return root, result


def errors_of(result: dict[str, list[tuple[str, ...]]], name: str) -> list[str]:
    return [reason for locator, reason in result["errors"] if f"file:{name}" in locator]


def test_zip_bomb_stops_listing_and_keeps_the_member_before(
    hostile: tuple[Path, dict[str, list[tuple[str, ...]]]],
) -> None:
    _, result = hostile
    assert located(result, sha256(PICTURES[0])) == [
        "folder:evidence > file:bomb.zip > zip:member=first.jpg"
    ]
    (reason,) = errors_of(result, "bomb.zip")
    assert reason.startswith("zip: members add up to more than 1073741824 bytes")
    assert "decompression bomb" in reason


def test_nesting_depth_limit(hostile: tuple[Path, dict[str, list[tuple[str, ...]]]]) -> None:
    _, result = hostile
    (kept,) = located(result, sha256(PICTURES[2]))
    assert kept.count("zip:") == 3 and kept.endswith("zip:member=level3.jpg")
    assert not located(result, sha256(PICTURES[1]))  # below the limit
    (reason,) = errors_of(result, "deep.zip")
    assert reason == "zip not opened: nesting depth limit of 8 reached"
    (locator,) = [loc for loc, _ in result["errors"] if "deep.zip" in loc]
    assert locator.count("zip:member=") == 8


def test_hostile_member_names_stay_text(
    hostile: tuple[Path, dict[str, list[tuple[str, ...]]]],
) -> None:
    root, result = hostile
    paths = {sha: path for _, sha, path in result["items"]}
    assert paths[sha256(PICTURES[3])] == "/names.zip/../../etc/evil.jpg"
    assert paths[sha256(PICTURES[4])] == "/names.zip/etc/passwd.jpg"
    assert paths[sha256(PICTURES[5])] == "/names.zip/a"  # zip names end at a NUL
    assert paths[sha256(PICTURES[7])] == "/names.tar/\\xff\\xfe-latin\\xe9.jpg"
    assert paths[sha256(PICTURES[8])] == "/names.tar/../up.jpg"
    assert not (root.parent / "etc").exists() and not (root / "up.jpg").exists()
    case_files = {p.name for p in (root / "case").rglob("*")}
    assert not case_files & {"evil.jpg", "passwd.jpg", "up.jpg"}
    pages = [root / "case" / "report.html", *sorted((root / "case" / "report").glob("*.html"))]
    report = "".join(page.read_text() for page in pages)  # findings page and inventory
    assert "<script>alert(1)</script>" not in report
    assert html.escape("<script>alert(1)</script>.jpg") in report


def test_truncated_archives_are_error_rows(
    hostile: tuple[Path, dict[str, list[tuple[str, ...]]]],
) -> None:
    _, result = hostile
    (zip_reason,) = errors_of(result, "cut.zip")
    assert zip_reason.startswith("zip: not a readable zip")
    (seven_reason,) = errors_of(result, "cut.7z")
    assert seven_reason.startswith("7z: ")
    gz_reasons = errors_of(result, "cut.tar.gz")
    assert any(r.startswith("gzip: compressed data ends early") for r in gz_reasons), gz_reasons
    assert located(result, sha256(PICTURES[11])) == [
        "folder:evidence > file:cut.tar.gz > gzip:data > tar:member=kept.jpg@0"
    ]


def test_locked_7z_and_cyclic_pdf(hostile: tuple[Path, dict[str, list[tuple[str, ...]]]]) -> None:
    _, result = hostile
    (locked,) = errors_of(result, "locked.7z")
    assert locked == "7z member 'locked.jpg' is encrypted: a password is needed (--password)"
    (cyclic,) = errors_of(result, "cyclic.pdf")
    assert cyclic.startswith("pdf: ") and "cyclic" in cyclic


def test_a_hundred_thousand_tiny_members(tmp_path: Path) -> None:
    """10^5 one-byte members: listed, each an item, in bounded time (measured: README)."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for index in range(100_000):
            archive.writestr(f"d{index // 1000}/{index}.txt", b"%d" % (index % 10))
        archive.writestr("last.jpg", PICTURES[1])
    (folder / "many.zip").write_bytes(out.getvalue())
    started = time.monotonic()
    result = scan(folder, tmp_path / "case")
    elapsed = time.monotonic() - started
    assert len(result["items"]) == 1  # the picture; the 10^5 text members are not media
    assert located(result, sha256(PICTURES[1])) == [
        "folder:evidence > file:many.zip > zip:member=last.jpg"
    ]
    assert not result["errors"]
    assert elapsed < 600, elapsed
