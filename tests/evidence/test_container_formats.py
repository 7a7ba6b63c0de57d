"""7z, RAR, PDF, SQLite, data-URI and OOXML containers on real files: every member is
listed with its content, reopened from its locator alone, checked against the format's
own tools where there is one (`7z`, `unar`)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import time
import zipfile
from pathlib import Path

import py7zr
import pytest
from PIL import Image

from scanner.errors import EvidenceError
from scanner.evidence.containers import CONTAINERS, ContainerOptions
from scanner.evidence.containers.sevenzip_container import IN_MEMORY
from scanner.evidence.streams import FileStream, read_chunks
from tests.evidence.container_helpers import (
    build_pdf,
    content,
    image_pdf,
    listing,
    members,
    pdf_stream,
    picture,
    sha256,
)

RAR = Path(__file__).parents[1] / "data" / "rar"
JPEG = picture((200, 30, 30))
PNG = picture((30, 200, 30), "PNG")


def test_every_new_container_is_registered_with_a_description() -> None:
    described = dict(CONTAINERS.describe())
    for kind in ("7z", "rar", "pdf", "sqlite", "datauri"):
        assert kind in described and described[kind]


# 7z ------------------------------------------------------------------------------------


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    folder = tmp_path / "pictures"
    (folder / "DCIM").mkdir(parents=True)
    (folder / "DCIM" / "a.jpg").write_bytes(JPEG)
    (folder / "b.png").write_bytes(PNG)
    (folder / "noise.bin").write_bytes(os.urandom(200_000))
    return folder


def _seven_zip(folder: Path, archive: Path, *switches: str) -> Path:
    subprocess.run(
        ["7z", "a", "-bd", "-bso0", *switches, str(archive), "."], cwd=folder, check=True
    )
    return archive


@pytest.mark.parametrize("switches", [(), ("-ms=off", "-mx=0"), ("-m0=bzip2",), ("-m0=PPMd",)])
def test_7z_members_by_the_7z_command(
    pictures: Path, tmp_path: Path, switches: tuple[str, ...]
) -> None:
    archive = _seven_zip(pictures, tmp_path / "a.7z", *switches)
    found = listing("7z", archive)
    assert not found.problems
    got = members(found)
    assert got == {
        "/DCIM/a.jpg": JPEG,
        "/b.png": PNG,
        "/noise.bin": (pictures / "noise.bin").read_bytes(),
    }
    steps = {child.locator.steps[-1] for child in found.children}
    assert ("7z", "member=DCIM/a.jpg") in steps


def test_7z_written_by_py7zr_and_duplicate_names(tmp_path: Path) -> None:
    archive = tmp_path / "dup.7z"
    with py7zr.SevenZipFile(archive, "w") as out:
        out.writestr(JPEG, "x/a.jpg")
        out.writestr(PNG, "x/a.jpg")
    found = listing("7z", archive)
    values = [child.locator.steps[-1][1] for child in found.children]
    assert values == ["member=x/a.jpg", "member=x/a.jpg@1"]
    assert [content(child.locator) for child in found.children] == [JPEG, PNG]


def test_7z_large_member_streams_in_bounded_memory(tmp_path: Path) -> None:
    """A member larger than the in-memory limit in a solid block is read through the
    queue: its content and hash are right and a jump backwards decompresses again."""
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(JPEG)
    big = hashlib.sha256()
    with open(folder / "big.bin", "wb") as out:
        for index in range(IN_MEMORY // (1 << 20) + 8):
            chunk = hashlib.sha256(b"%d" % index).digest() * (1 << 15)
            out.write(chunk)
            big.update(chunk)
    archive = _seven_zip(folder, tmp_path / "big.7z", "-mx=1")
    container = CONTAINERS["7z"](FileStream(archive), ContainerOptions())
    size = (folder / "big.bin").stat().st_size
    assert size > IN_MEMORY
    stream = container.open("member=big.bin")
    digest = hashlib.sha256()
    for chunk in read_chunks(stream):
        digest.update(chunk)
    assert digest.hexdigest() == big.hexdigest()
    assert stream.read(0, 16) == hashlib.sha256(b"0").digest()[:16]  # backwards: reopened
    assert type(stream).__name__ == "SequentialStream"


def test_7z_encrypted_needs_the_password(tmp_path: Path, pictures: Path) -> None:
    archive = _seven_zip(pictures, tmp_path / "locked.7z", "-pSECRET")
    found = listing("7z", archive)
    child = next(c for c in found.children if c.path == "/DCIM/a.jpg")
    with pytest.raises(Exception, match="7z member 'DCIM/a.jpg' is encrypted: a password"):
        content(child.locator)
    assert content(child.locator, password="SECRET") == JPEG
    with pytest.raises(Exception, match="DCIM/a.jpg.*wrong password"):
        content(child.locator, password="WRONG")


def test_7z_encrypted_file_list_is_an_error_row_without_the_password(
    tmp_path: Path, pictures: Path
) -> None:
    archive = _seven_zip(pictures, tmp_path / "hidden.7z", "-pSECRET", "-mhe=on")
    found = listing("7z", archive)
    assert not found.children
    assert "file list is encrypted: a password is needed" in found.problems[0].reason
    assert members(listing("7z", archive, password="SECRET"), password="SECRET")["/b.png"] == PNG


# RAR -----------------------------------------------------------------------------------


def _unar_contents(archive: Path, out: Path) -> dict[str, bytes]:
    """What `unar` extracts (from a lone copy: next to its siblings unar takes the RAR5
    files for volumes of one archive)."""
    alone = out.parent / "alone" / "archive.rar"
    alone.parent.mkdir()
    shutil.copyfile(archive, alone)
    subprocess.run(["unar", "-q", "-p", "password", "-o", str(out), "-D", str(alone)], check=True)
    return {"/" + str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.skipif(shutil.which("unar") is None, reason="unar (Debian package unar) needed")
@pytest.mark.parametrize(
    "name", ["rar3-solid.rar", "rar5-solid.rar", "rar3-subdirs.rar", "rar5-subdirs.rar"]
)
def test_rar_members_agree_with_unar(name: str, tmp_path: Path) -> None:
    found = listing("rar", RAR / name)
    assert not found.problems
    expected = _unar_contents(RAR / name, tmp_path / "out")
    got = members(found)
    assert {p: sha256(d) for p, d in got.items()} == {p: sha256(d) for p, d in expected.items()}
    assert len(got) >= 2


@pytest.mark.skipif(shutil.which("unar") is None, reason="unar (Debian package unar) needed")
def test_rar_password_and_private_temporary_files(tmp_path: Path) -> None:
    import rarfile

    found = listing("rar", RAR / "rar5-psw.rar")
    child = found.children[0]
    with pytest.raises(Exception, match="rar member 'stest1.txt' is encrypted: a password"):
        content(child.locator)
    with pytest.raises(Exception, match="stest1.txt.*wrong password"):
        content(child.locator, password="wrong")
    data = content(child.locator, password="password")
    assert data == _unar_contents(RAR / "rar5-psw.rar", tmp_path / "out")["/stest1.txt"]
    folder = Path(rarfile.HACK_TMP_DIR)
    assert folder.name.startswith("dftriage-rar-") and oct(folder.stat().st_mode)[-3:] == "700"
    assert not list(folder.iterdir())  # the tool's temporary copy is gone


def test_truncated_rar_keeps_the_members_before_the_damage(tmp_path: Path) -> None:
    cut = tmp_path / "cut.rar"
    cut.write_bytes((RAR / "rar3-subdirs.rar").read_bytes()[:400])
    found = listing("rar", cut)
    assert [c.path for c in found.children][:2] == [
        "/sub/dir2/file2.txt",
        "/sub/with space/long fn.txt",
    ]
    assert found.problems and found.problems[0].reason.startswith("rar: ")
    assert "EOF" in found.problems[0].reason
    assert content(found.children[0].locator) == b"file2\n"


# PDF -----------------------------------------------------------------------------------


def test_pdf_jpeg_as_is_and_other_images_as_png(tmp_path: Path) -> None:
    pixels = bytes((x * 7 + y * 13) % 256 for y in range(8) for x in range(16 * 3))
    document = tmp_path / "doc.pdf"
    document.write_bytes(image_pdf(JPEG, pixels, 16, 8))
    found = listing("pdf", document)
    assert not found.problems
    by_path = {c.path: c for c in found.children}
    assert set(by_path) == {"/page-1/Im1.jpg", "/page-1/Im2.png"}
    assert by_path["/page-1/Im1.jpg"].locator.steps[-1] == ("pdf", "object=4")
    assert content(by_path["/page-1/Im1.jpg"].locator) == JPEG  # byte-exact
    png = content(by_path["/page-1/Im2.png"].locator)
    assert len(png) == by_path["/page-1/Im2.png"].size
    decoded = Image.open(io.BytesIO(png))
    assert decoded.format == "PNG" and decoded.size == (16, 8)
    assert decoded.convert("RGB").tobytes() == pixels  # lossless


def test_pdf_written_by_pillow_holds_its_jpeg(tmp_path: Path) -> None:
    document = tmp_path / "pillow.pdf"
    Image.open(io.BytesIO(JPEG)).save(document, "PDF")
    found = listing("pdf", document)
    (child,) = found.children
    assert child.path.endswith(".jpg")
    data = content(child.locator)
    assert data.startswith(b"\xff\xd8") and data in document.read_bytes()


# SQLite --------------------------------------------------------------------------------


def test_sqlite_picture_blobs_only(tmp_path: Path) -> None:
    database = tmp_path / "chat.db"
    hostile = 'x"; DROP TABLE media; --,=%'
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE media (id INTEGER PRIMARY KEY, name TEXT, data BLOB)")
        db.execute("INSERT INTO media VALUES (1, 'a', ?)", (JPEG,))
        db.execute("INSERT INTO media VALUES (2, 'b', ?)", (b"\x00\x01not a picture",))
        db.execute("INSERT INTO media VALUES (3, 'c', 'text, not a blob')")
        db.execute(f'CREATE TABLE "{hostile.replace(chr(34), chr(34) * 2)}" ("th,umb" BLOB)')
        db.execute(f'INSERT INTO "{hostile.replace(chr(34), chr(34) * 2)}" VALUES (?)', (PNG,))
        db.execute("CREATE TABLE other (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
        db.execute("INSERT INTO other VALUES ('k', ?)", (JPEG,))
    before = database.read_bytes()
    found = listing("sqlite", database)
    got = members(found)
    assert got == {"/media/1/data": JPEG, f"/{hostile}/1/th,umb": PNG}
    values = {c.locator.steps[-1][1] for c in found.children}
    assert "table=media,rowid=1,column=data" in values
    assert 'table=x"; DROP TABLE media; --%2C%3D%25,rowid=1,column=th%2Cumb' in values
    assert any("'other' has no rowid" in p.reason for p in found.problems)
    assert database.read_bytes() == before  # read from a private copy
    assert not list(tmp_path.glob("chat.db-*"))  # no journal or WAL next to the evidence


# data URIs -----------------------------------------------------------------------------


def test_data_uris_in_html_and_json(tmp_path: Path) -> None:
    import base64

    jpeg64 = base64.b64encode(JPEG).decode()
    png64 = base64.b64encode(PNG).decode()
    wrapped = "\n      ".join(png64[i : i + 60] for i in range(0, len(png64), 60))
    html = tmp_path / "page.html"
    html.write_text(
        f'<html><body><img src="data:image/jpeg;base64,{jpeg64}">\n'
        f'<img src="data:image/png;charset=utf-8;base64,\n      {wrapped}"/>\n'
        f"<a href='data:image/png;base64,{png64.replace('+', '%2B').replace('/', '%2F')}'>x</a>"
        "</body></html>"
    )
    found = listing("datauri", html)
    assert not found.problems
    assert list(members(found).values()) == [JPEG, PNG, PNG]
    offset = html.read_bytes().index(b"data:image/png")
    assert found.children[1].locator.steps[-1] == ("datauri", f"offset={offset}")
    assert found.children[1].path == f"/datauri-{offset}.png"

    document = tmp_path / "export.json"
    document.write_text(
        json.dumps({"messages": [{"avatar": f"data:image/jpeg;base64,{jpeg64}"}]}).replace(
            "/", "\\/"
        )
    )
    assert list(members(listing("datauri", document)).values()) == [JPEG]


def test_data_uri_sniff_does_not_claim_every_text_file(tmp_path: Path) -> None:
    sniff = CONTAINERS["datauri"].sniff
    plain = tmp_path / "notes.txt"
    plain.write_text("data:text/plain;base64,aGVsbG8=\nthe image/png type\n" * 100)
    head = plain.read_bytes()[:4096]
    assert not sniff(head, FileStream(plain))
    assert not sniff(b"\xff\xd8\xff\x00data:image/png;base64,AAAA", FileStream(plain))
    late = tmp_path / "late.html"
    late.write_bytes(b"<p>x</p>\n" * 200_000 + b'<img src="data:image/png;base64,AAAA">')
    assert not sniff(late.read_bytes()[:4096], FileStream(late))  # past the first MiB


# OOXML ---------------------------------------------------------------------------------


def test_docx_and_xlsx_media_come_out_of_the_zip(tmp_path: Path) -> None:
    document = tmp_path / "report.docx"
    with zipfile.ZipFile(document, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("[Content_Types].xml", "<Types/>")
        out.writestr("word/document.xml", "<w:document/>")
        out.writestr("word/media/image1.jpeg", JPEG)
        out.writestr("word/media/image2.png", PNG)
    got = members(listing("zip", document))
    assert got["/word/media/image1.jpeg"] == JPEG and got["/word/media/image2.png"] == PNG


def _many_page_pdf(pages: int, side: int) -> bytes:
    """`pages` pages, each with its own `side` x `side` FlateDecode image (re-encoding them
    all as PNG takes seconds; parsing the document does not)."""
    import zlib

    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages)
    for i in range(pages):
        image = 3 + pages + i
        objects[3 + i] = (
            b"<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im %d 0 R >> >> >>" % image
        )
        objects[image] = pdf_stream(
            b"<< /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB" % (side, side)
            + b" /BitsPerComponent 8 /Filter /FlateDecode",
            zlib.compress(bytes([i % 256]) * (side * side * 3)),
        )
    return build_pdf(objects)


def test_pdf_listing_stops_at_the_time_limit_and_keeps_what_it_found(tmp_path: Path) -> None:
    document = tmp_path / "many.pdf"
    document.write_bytes(_many_page_pdf(500, 400))
    started = time.monotonic()
    found = listing("pdf", document, max_seconds=1)
    assert time.monotonic() - started < 3
    assert [p.reason for p in found.problems] == ["pdf: time limit of 1 s reached while listing"]
    assert 0 < len(found.children) < 500
    assert found.children[0].path == "/page-1/Im.png"


def test_pdf_open_runs_under_the_time_limit(tmp_path: Path) -> None:
    import zlib

    image = b"<< /Subtype /Image /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode"
    big = pdf_stream(image + b" /Width 5000 /Height 5000", zlib.compress(bytes(75_000_000)))
    document = tmp_path / "big.pdf"
    document.write_bytes(
        build_pdf(
            {
                1: b"<< /Type /Catalog /Pages 2 0 R >>",
                2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                3: b"<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im 4 0 R >> >> >>",
                4: big,
            }
        )
    )
    container = CONTAINERS["pdf"](FileStream(document), ContainerOptions(max_seconds=0.05))
    started = time.monotonic()
    with pytest.raises(EvidenceError, match=r"pdf: time limit of 0.05 s reached reading object 4"):
        container.open("object=4")
    assert time.monotonic() - started < 5
