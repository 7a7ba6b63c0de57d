"""Phone extractions given as evidence: Cellebrite UFDR, Android .ab and iTunes/Finder
backups (plain and encrypted), built here from the published formats. Every planted
picture must come out with its full locator, device path, content hash and times."""

from __future__ import annotations

import hashlib
import io
import plistlib
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from scanner.errors import EvidenceError
from scanner.evidence import open_evidence
from scanner.evidence.containers import SNIFF_BYTES, ContainerOptions, expand, sniff
from scanner.evidence.itunes_backup import ItunesBackupSource
from scanner.evidence.resolver import Resolver
from scanner.evidence.source import ContainerSource
from scanner.evidence.streams import FileStream, read_all
from scanner.pipeline.tasks import ItemResult, ItemTask
from scanner.pipeline.worker import hash_item
from scanner.types import FileItem, ItemError
from tests.evidence.container_helpers import wrong_passwords
from tests.evidence.phone_builders import (
    DEVICE,
    IosFile,
    UfdrFile,
    build_ab,
    build_itunes,
    build_itunes_mbdb,
    build_ufdr,
    jpeg,
    keybag,
    mbdb_record,
    report_xml,
    sha256,
    tar_bytes,
)

PASSWORD = "민지1234"
ZIP_PASSWORD = "s3cret-1234"


def listed(source: object) -> tuple[dict[str, FileItem], list[ItemError]]:
    entries = list(source.walk())  # type: ignore[attr-defined]
    items = {str(e.locator): e for e in entries if isinstance(e, FileItem)}
    return items, [e for e in entries if isinstance(e, ItemError)]


def content(locator: object, password: str | None = None) -> bytes:
    resolver = Resolver(ContainerOptions(password=password))
    try:
        return read_all(resolver.open_stream(locator), 1 << 30)  # type: ignore[arg-type]
    finally:
        resolver.close()


def posix(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# Cellebrite UFDR ----------------------------------------------------------------------

FS = "Samsung GSM_SM-S918N Galaxy S23 Ultra.zip"
UFDR_FILES = [
    UfdrFile("f-101", FS, "/data/media/0/DCIM/Camera/20240301_100000.jpg",
             "files\\Image\\20240301_100000.jpg", jpeg(1)),
    UfdrFile("f-102", FS, "/data/media/0/Android/data/com.kakao.talk/contents/Mg==/1/a",
             "files\\Image\\a.jpg", jpeg(2), deleted="Deleted",
             created="2024-02-10T08:15:30.250+09:00", modified="2024-02-11T01:00:00+00:00"),
]  # fmt: skip


def test_ufdr_lists_every_reported_picture_with_device_path_hash_and_times(tmp_path: Path) -> None:
    ufdr = build_ufdr(tmp_path / "phone.ufdr", UFDR_FILES, extra={"files/Image/x.jpg": jpeg(3)})
    source = open_evidence(ufdr)
    assert isinstance(source, ContainerSource) and source.container.kind == "ufdr"
    items, errors = listed(source)
    assert errors == []
    for planted in UFDR_FILES:
        local = planted.local.replace("\\", "/")
        key = f"file:phone.ufdr > ufdr:id={planted.file_id};member={local}"
        item = items[key]
        assert item.path == f"/{FS}{planted.path}"
        assert item.deleted == (planted.deleted == "Deleted")
        assert item.times.born == posix(planted.created)
        assert item.times.modified == posix(planted.modified)
        assert item.times.basis == "as given in report.xml (with zone)"
        assert sha256(content(item.locator)) == sha256(planted.data or b"")
    unlisted = items["file:phone.ufdr > ufdr:member=files/Image/x.jpg"]
    assert unlisted.path == "/_ufdr/files/Image/x.jpg"
    assert sha256(content(unlisted.locator)) == sha256(jpeg(3))
    metadata = source.container.metadata
    assert metadata["device: DeviceInfoSelectedManufacturer"] == "Samsung"
    assert metadata["device: IMEI"] == "356938035643809"
    assert metadata["extraction: ExtractionType"] == "Full File System"
    assert metadata["extraction 0"] == "File System"


def test_ufdr_decoded_data_dump_is_named_and_its_members_listed(tmp_path: Path) -> None:
    """Reports 8.5 and later keep decoded data in DbData/database.db, a pg_dump custom
    archive (magic PGDMP): `info` says it is not read; the files are still found."""
    dump = b"PGDMP\x01\x0e\x00\x04\x08\x01\x01" + bytes(64)
    extra = {"DbData/database.db": dump, "DbData/database.json": b'{"DeviceId": "d1"}'}
    report = report_xml(UFDR_FILES, DEVICE).replace('reportVersion="7.60"', 'reportVersion="10.2"')
    ufdr = build_ufdr(tmp_path / "new.ufdr", UFDR_FILES, extra=extra, report=report)
    source = open_evidence(ufdr)
    facts = source.container.metadata
    assert facts["report version"] == "10.2"
    assert facts["decoded data"] == (
        "DbData/database.db (a PostgreSQL dump of the decoded data): not read"
    )
    items, errors = listed(source)
    assert errors == [] and items["file:new.ufdr > ufdr:member=DbData/database.db"].size == 76
    assert len([i for i in items.values() if i.path.startswith("/_ufdr/DbData/")]) == 2
    for planted in UFDR_FILES:
        local = planted.local.replace("\\", "/")
        item = items[f"file:new.ufdr > ufdr:id={planted.file_id};member={local}"]
        assert sha256(content(item.locator)) == sha256(planted.data or b"")
    old = open_evidence(build_ufdr(tmp_path / "old.ufdr", UFDR_FILES)).container.metadata
    assert old["report version"] == "7.60" and "decoded data" not in old


def test_ufdr_is_sniffed_before_zip_and_a_plain_zip_is_not_a_ufdr(tmp_path: Path) -> None:
    ufdr = FileStream(build_ufdr(tmp_path / "a.zip", UFDR_FILES))
    plain = tmp_path / "b.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("DCIM/report.xml.jpg", jpeg(1))
    assert sniff(ufdr.read(0, SNIFF_BYTES), ufdr) == "ufdr"
    stream = FileStream(plain)
    assert sniff(stream.read(0, SNIFF_BYTES), stream) == "zip"


def test_ufdr_local_path_missing_from_the_zip_is_an_error_for_that_file(tmp_path: Path) -> None:
    missing = UfdrFile("f-9", FS, "/data/gone.jpg", "files\\Image\\gone.jpg", None)
    ufdr = build_ufdr(tmp_path / "phone.ufdr", [*UFDR_FILES, missing])
    items, _ = listed(open_evidence(ufdr))
    gone = items["file:phone.ufdr > ufdr:id=f-9;member=files/Image/gone.jpg"]
    with pytest.raises(EvidenceError, match="Local Path 'files/Image/gone.jpg'.*not in the UFDR"):
        content(gone.locator)
    first = UFDR_FILES[0]
    item = items[
        f"file:phone.ufdr > ufdr:id={first.file_id};member=files/Image/20240301_100000.jpg"
    ]
    assert sha256(content(item.locator)) == sha256(first.data or b"")


def test_ufdr_truncated_report_keeps_what_was_parsed_and_every_zip_member(tmp_path: Path) -> None:
    text = report_xml(UFDR_FILES, {})
    cut = text[: text.index("<file", text.index("</file>"))]  # ends after the first file
    ufdr = build_ufdr(tmp_path / "cut.ufdr", UFDR_FILES, report=cut + "<file fs=")
    items, errors = listed(open_evidence(ufdr))
    assert len(errors) == 1 and "report.xml damaged" in errors[0].reason
    assert "the 1 files before it are listed" in errors[0].reason
    assert "file:cut.ufdr > ufdr:id=f-101;member=files/Image/20240301_100000.jpg" in items
    second = items["file:cut.ufdr > ufdr:member=files/Image/a.jpg"]  # not reached: as in the zip
    assert sha256(content(second.locator)) == sha256(jpeg(2))
    assert "file:cut.ufdr > ufdr:member=report.xml" in items


def hashed(item: FileItem) -> ItemResult:
    """The worker's own read of a listed item (identify, hash, check stated hashes)."""
    task = ItemTask(1, item.locator, item.path, item.size, item.deleted, origin=item.origin)
    return hash_item(task)


def test_ufdr_stated_hashes_are_checked_against_the_content_read(tmp_path: Path) -> None:
    tampered = UfdrFile(
        "f-103", FS, "/data/media/0/DCIM/Camera/b.jpg", "files\\Image\\b.jpg", jpeg(4),
        claims={"SHA256": sha256(jpeg(5)), "SHA1": hashlib.sha1(jpeg(4)).hexdigest()},
    )  # fmt: skip
    odd = UfdrFile(
        "f-104", FS, "/data/c.jpg", "files\\Image\\c.jpg", jpeg(6), claims={"MD5": "n/a"}
    )
    ufdr = build_ufdr(tmp_path / "phone.ufdr", [*UFDR_FILES, tampered, odd])
    items, errors = listed(open_evidence(ufdr))
    assert [e.reason for e in errors] == [
        "ufdr: report.xml file 'f-104' ('/Samsung GSM_SM-S918N Galaxy S23 Ultra.zip/data/c.jpg'):"
        " report.xml MD5 'n/a' is not a valid hash: not compared"
    ]
    good = items["file:phone.ufdr > ufdr:id=f-101;member=files/Image/20240301_100000.jpg"]
    assert good.origin["report.xml MD5"] == hashlib.md5(jpeg(1)).hexdigest()
    result = hashed(good)
    assert result.problems == () and result.sha256 == sha256(jpeg(1))
    assert result.task.origin["hash stated in report.xml"] == "verified (MD5, SHA-256)"
    bad = items["file:phone.ufdr > ufdr:id=f-103;member=files/Image/b.jpg"]
    result = hashed(bad)
    assert result.media_type == "image/jpeg" and result.sha256 == sha256(jpeg(4))
    assert result.task.origin["hash stated in report.xml"] == (
        "DIFFERS from the content read (SHA-256)"
    )
    [problem] = result.problems
    assert (problem.locator, problem.stage) == (str(bad.locator), "verify")
    assert problem.reason == (
        "UFDR file:phone.ufdr: member 'files/Image/b.jpg': the content read is not what"
        f" report.xml states (SHA-256: report.xml {sha256(jpeg(5))}, content {sha256(jpeg(4))})"
    )
    thumbnail = UfdrFile(
        "f-6", "iPhone", "/private/var/mobile/Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/"
        "IMG_0001.JPG/5005.JPG", "files\\Image\\5005.JPG", jpeg(7),
    )  # fmt: skip
    thumbs, _ = listed(open_evidence(build_ufdr(tmp_path / "t.ufdr", [thumbnail])))
    origin = hashed(thumbs["file:t.ufdr > ufdr:id=f-6;member=files/Image/5005.JPG"]).task.origin
    assert origin["original_path"] == "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG"
    assert origin["hash stated in report.xml"] == "verified (MD5, SHA-256)"
    partly = hashed(items["file:phone.ufdr > ufdr:id=f-104;member=files/Image/c.jpg"])
    assert partly.problems == ()  # its SHA256 is right, its MD5 was not compared
    assert partly.task.origin["hash stated in report.xml"] == "verified (SHA-256)"
    assert hashed(items["file:phone.ufdr > ufdr:member=report.xml"]).task.origin == {}


def test_ufdr_stated_hash_of_a_container_is_checked_and_it_is_still_opened(
    tmp_path: Path,
) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("DCIM/x.jpg", jpeg(9))
    wrong = "0" * 64
    nested = UfdrFile(
        "f-5", FS, "/data/media/0/Download/p.zip", "files\\Archives\\p.zip",
        inner.getvalue(), claims={"SHA256": wrong},
    )  # fmt: skip
    items, _ = listed(open_evidence(build_ufdr(tmp_path / "z.ufdr", [nested])))
    result = hashed(items["file:z.ufdr > ufdr:id=f-5;member=files/Archives/p.zip"])
    assert result.container == "zip"
    assert [str(c.locator) for c in result.children] == [
        "file:z.ufdr > ufdr:id=f-5;member=files/Archives/p.zip > zip:member=DCIM/x.jpg"
    ]
    [problem] = result.problems
    assert problem.stage == "verify" and f"SHA-256: report.xml {wrong}" in problem.reason


@pytest.mark.skipif(shutil.which("7z") is None, reason="7z (p7zip-full) makes the encrypted zip")
def test_ufdr_with_an_encrypted_report_needs_the_password(tmp_path: Path) -> None:
    """ZipCrypto (what 7z and Windows write); an ASCII password, as zip tools differ on others."""
    plain = build_ufdr(tmp_path / "plain.ufdr", UFDR_FILES)
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(plain) as archive:
        archive.extractall(folder)
    locked = tmp_path / "locked.ufdr"
    subprocess.run(
        ["7z", "a", "-tzip", "-mem=ZipCrypto", f"-p{ZIP_PASSWORD}", str(locked), "report.xml", "files"],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    _, errors = listed(open_evidence(locked))
    assert [e.reason for e in errors] == [
        "ufdr: zip member 'report.xml' is encrypted: a password is needed (--password)"
    ]
    for wrong in wrong_passwords(locked, "report.xml"):  # refused by the check byte, or not
        _, errors = listed(open_evidence(locked, options=ContainerOptions(password=wrong)))
        assert len(errors) == 1 and errors[0].reason.startswith(
            "ufdr: zip member 'report.xml' does not decrypt: wrong --password? ("
        )
    items, errors = listed(open_evidence(locked, options=ContainerOptions(password=ZIP_PASSWORD)))
    assert errors == []
    item = items["file:locked.ufdr > ufdr:id=f-102;member=files/Image/a.jpg"]
    assert item.deleted and sha256(content(item.locator, ZIP_PASSWORD)) == sha256(jpeg(2))


# Android adb backup --------------------------------------------------------------------

AB_MEMBERS = {
    "apps/com.kakao.talk/r/contents/Mg==/7/photo_1": (jpeg(11), 1709254800),
    "shared/0/DCIM/Camera/IMG_20240301.jpg": (jpeg(12), 1709254900),
}


@pytest.mark.parametrize(
    ("password", "compressed"), [(None, True), (None, False), (PASSWORD, True), (PASSWORD, False)]
)
def test_ab_members_come_out_through_the_tar_inside(
    tmp_path: Path, password: str | None, compressed: bool
) -> None:
    ab = build_ab(tmp_path / "backup.ab", tar_bytes(AB_MEMBERS), password, compressed)
    source = open_evidence(ab, options=ContainerOptions(password=password))
    items, errors = listed(source)
    assert errors == [] and list(items) == ["file:backup.ab > ab:data"]
    assert source.container.metadata["encryption"] == ("AES-256" if password else "none")
    top = items["file:backup.ab > ab:data"]
    resolver = Resolver(ContainerOptions(password=password))
    expansion = expand("tar", resolver.open_stream(top.locator), top, ContainerOptions())
    found = {str(child.locator): child for child in expansion.children}
    offset = 0
    for name, (data, mtime) in AB_MEMBERS.items():
        child = found[f"file:backup.ab > ab:data > tar:member={name}@{offset}"]
        assert child.path == f"/{name}" and child.times.modified == mtime
        assert sha256(content(child.locator, password)) == sha256(data)
        offset += 512 + -(-len(data) // 512) * 512


def test_ab_password_errors_are_one_line(tmp_path: Path) -> None:
    ab = build_ab(tmp_path / "locked.ab", tar_bytes(AB_MEMBERS), PASSWORD)
    _, errors = listed(open_evidence(ab))
    assert [e.reason for e in errors] == [
        "ab: Android backup is encrypted (AES-256): a password is needed (--password)"
    ]
    _, errors = listed(open_evidence(ab, options=ContainerOptions(password="1234")))
    assert [e.reason for e in errors] == [
        "ab: Android backup: wrong password (the master key checksum does not match)"
    ]


def test_ab_bad_header_and_truncation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ab"
    bad.write_bytes(b"ANDROID BACKUP\nfive\n1\nnone\n" + b"x" * 600)
    _, errors = listed(open_evidence(bad))
    assert [e.reason for e in errors] == ["ab: Android backup: bad header (version 'five')"]
    whole = build_ab(tmp_path / "whole.ab", tar_bytes(AB_MEMBERS)).read_bytes()
    cut = tmp_path / "cut.ab"
    cut.write_bytes(whole[: len(whole) - 200])
    items, errors = listed(open_evidence(cut))
    assert len(errors) == 1 and "compressed data ends early" in errors[0].reason
    top = items["file:cut.ab > ab:data"]
    expansion = expand("tar", Resolver().open_stream(top.locator), top, ContainerOptions())
    name, (data, _) = next(iter(AB_MEMBERS.items()))
    first = expansion.children[0]
    assert str(first.locator) == f"file:cut.ab > ab:data > tar:member={name}@0"
    assert sha256(content(first.locator)) == sha256(data)


# iTunes/Finder backup ------------------------------------------------------------------

IOS_FILES = [
    IosFile("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.JPG", jpeg(21)),
    IosFile("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0002.JPG", jpeg(22), protection_class=1),
    IosFile(
        "AppDomainGroup-group.com.iwilab.KakaoTalk",
        "Library/PrivateDocuments/Media/a1/photo_01.jpg",
        jpeg(23),
        modified=1709300000,
    ),
]
IOS_PATHS = [
    "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG",
    "/private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG",
    "/private/var/mobile/Containers/Shared/AppGroup/group.com.iwilab.KakaoTalk/"
    "Library/PrivateDocuments/Media/a1/photo_01.jpg",
]


@pytest.mark.parametrize("password", [None, PASSWORD])
def test_itunes_backup_every_planted_picture(tmp_path: Path, password: str | None) -> None:
    folder = build_itunes(tmp_path / "00008110-000A1B2C3D4E5F", IOS_FILES, password)
    source = open_evidence(folder, options=ContainerOptions(password=password))
    assert isinstance(source, ItunesBackupSource)
    items, errors = listed(source)
    assert errors == [] and len(items) == len(IOS_FILES)  # folders (flags 2) are not files
    for planted, path in zip(IOS_FILES, IOS_PATHS, strict=True):
        assert (
            planted.file_id
            == hashlib.sha1(f"{planted.domain}-{planted.relative}".encode()).hexdigest()
        )
        item = items[f"itunes:{folder.name} > ios:fileid={planted.file_id}"]
        assert item.path == path and item.size == len(planted.data)
        assert (item.times.modified, item.times.born) == (planted.modified, planted.born)
        assert item.times.changed == planted.changed
        assert sha256(content(item.locator, password)) == sha256(planted.data)
    facts = source.container.metadata
    assert facts["Device Name"] == "김민지의 iPhone" and facts["Product Type"] == "iPhone15,2"
    assert facts["encrypted"] == ("yes" if password else "no")


def test_itunes_10_0_backup_encrypts_its_files_but_not_manifest_db(tmp_path: Path) -> None:
    folder = build_itunes(tmp_path / "ios10", IOS_FILES, PASSWORD, plain_manifest=True)
    assert (folder / "Manifest.db").read_bytes().startswith(b"SQLite format 3\x00")
    items, errors = listed(open_evidence(folder, options=ContainerOptions(password=PASSWORD)))
    assert errors == [] and len(items) == len(IOS_FILES)
    for planted in IOS_FILES:
        item = items[f"itunes:ios10 > ios:fileid={planted.file_id}"]
        assert sha256(content(item.locator, PASSWORD)) == sha256(planted.data)
    _, errors = listed(open_evidence(folder))
    assert [e.reason for e in errors] == [
        "ios10: encrypted iTunes backup: a password is needed (--password)"
    ]


def test_itunes_encrypted_backup_without_or_with_a_wrong_password(tmp_path: Path) -> None:
    folder = build_itunes(tmp_path / "backup", IOS_FILES, PASSWORD)
    _, errors = listed(open_evidence(folder))
    assert [e.reason for e in errors] == [
        "backup: encrypted iTunes backup: a password is needed (--password)"
    ]
    _, errors = listed(open_evidence(folder, options=ContainerOptions(password="1234")))
    assert [e.reason for e in errors] == ["backup: encrypted iTunes backup: wrong password"]


def test_itunes_password_key_is_derived_once_and_handed_to_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan derives the key (PBKDF2, 10 M rounds on a real backup) once; a worker's
    resolver given the scan's options opens every file without a PBKDF2 round."""
    import pickle

    from scanner.config import ScanConfig
    from scanner.evidence.itunes_backup import derive_backup_keys
    from scanner.evidence.itunes_keys import keybag_id
    from scanner.pipeline.engine import Scan
    from scanner.pipeline.progress import Progress

    folder = build_itunes(tmp_path / "backup", IOS_FILES, PASSWORD)
    plain = build_itunes(tmp_path / "plain", IOS_FILES)
    manifest = plistlib.loads((plain / "Manifest.plist").read_bytes())
    manifest["BackupKeyBag"] = keybag(PASSWORD, {3: bytes(32)})  # as plain backups have
    (plain / "Manifest.plist").write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    rounds: list[str] = []
    real = hashlib.pbkdf2_hmac

    def counted(name: str, *args: object, **kwargs: object) -> bytes:
        rounds.append(name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counted)
    options = derive_backup_keys([folder, plain, tmp_path], ContainerOptions(password=PASSWORD))
    assert rounds == ["sha256", "sha1"]  # one derivation, for the one encrypted backup
    [key] = options.backup_keys.values()
    assert key.hex() not in repr(options) and PASSWORD not in repr(options)
    worker = pickle.loads(pickle.dumps(options))  # what the pool's initializer receives
    items, errors = listed(open_evidence(folder, options=worker))
    assert errors == [] and len(items) == len(IOS_FILES)
    resolver = Resolver(worker)
    for planted in IOS_FILES:
        locator = items[f"itunes:backup > ios:fileid={planted.file_id}"].locator
        assert sha256(read_all(resolver.open_stream(locator), 1 << 20)) == sha256(planted.data)
    assert rounds == ["sha256", "sha1"]  # none in the "worker"
    wrong = derive_backup_keys([folder], ContainerOptions(password="1234"))
    _, errors = listed(open_evidence(folder, options=wrong))
    assert [e.reason for e in errors] == ["backup: encrypted iTunes backup: wrong password"]
    scan = Scan(tmp_path / "case", [folder], ScanConfig(), "dftriage scan", Progress(), PASSWORD)
    bag = plistlib.loads((folder / "Manifest.plist").read_bytes())["BackupKeyBag"]
    assert scan.options.backup_keys == {keybag_id(bag): key}  # what its pool is given
    scan.db.close()


def test_itunes_hostile_file_id_never_becomes_a_path(tmp_path: Path) -> None:
    import sqlite3

    folder = build_itunes(tmp_path / "backup", IOS_FILES)
    with sqlite3.connect(folder / "Manifest.db") as db:
        row = db.execute("SELECT file FROM Files WHERE flags = 1").fetchone()
        db.execute(
            "INSERT INTO Files VALUES ('../../../../etc/passwd', 'HomeDomain', 'x', 1, ?)", row
        )
    items, errors = listed(open_evidence(folder))
    assert len(items) == len(IOS_FILES)
    assert [e.reason for e in errors] == ["Manifest.db: fileID is not 40 hex digits"]
    source = open_evidence(folder)
    with pytest.raises(EvidenceError, match="not a file of the backup"):
        source.open_item(source.locator.child("ios", "fileid=../../../../etc/passwd"))


# iTunes backups before iOS 10: Manifest.mbdb -------------------------------------------


@pytest.mark.parametrize(("password", "nested"), [(None, False), (PASSWORD, False), (None, True)])
def test_mbdb_backup_every_planted_picture(
    tmp_path: Path, password: str | None, nested: bool
) -> None:
    folder = build_itunes_mbdb(tmp_path / "old-iphone", IOS_FILES, password, nested)
    source = open_evidence(folder, options=ContainerOptions(password=password))
    assert isinstance(source, ItunesBackupSource) and source.mbdb
    items, errors = listed(source)
    assert errors == [] and len(items) == len(IOS_FILES)  # no folders, no symlink
    for planted, path in zip(IOS_FILES, IOS_PATHS, strict=True):
        item = items[f"itunes:old-iphone > ios:fileid={planted.file_id}"]
        assert item.path == path and item.size == len(planted.data)
        times = (item.times.modified, item.times.accessed, item.times.changed)
        assert times == (planted.modified, planted.born, planted.changed)
        assert item.times.basis == "utc (Manifest.mbdb record: mtime, atime, ctime)"
        assert sha256(content(item.locator, password)) == sha256(planted.data)
    facts = source.container.metadata
    assert facts["Product Version"] == "9.3.5" and facts["encrypted"] == (
        "yes" if password else "no"
    )
    assert any(name.endswith("Manifest.mbdb") for name in source.container.files)


def test_mbdb_backup_locked_damaged_and_hostile(tmp_path: Path) -> None:
    locked = build_itunes_mbdb(tmp_path / "locked", IOS_FILES, PASSWORD)
    _, errors = listed(open_evidence(locked))
    assert [e.reason for e in errors] == [
        "locked: encrypted iTunes backup: a password is needed (--password)"
    ]
    _, errors = listed(open_evidence(locked, options=ContainerOptions(password="1234")))
    assert [e.reason for e in errors] == ["locked: encrypted iTunes backup: wrong password"]

    folder = build_itunes_mbdb(tmp_path / "cut", IOS_FILES)
    manifest = folder / "Manifest.mbdb"
    data = manifest.read_bytes()
    third = IOS_FILES[2]
    domain = third.domain.encode()
    start = data.index(len(domain).to_bytes(2, "big") + domain)  # its folder's record
    cut = start + 5
    manifest.write_bytes(data[:cut])
    items, errors = listed(open_evidence(folder))
    assert len(items) == 2 and [e.reason for e in errors] == [
        f"Manifest.mbdb damaged at byte {start} (after 4 records): the 2 files before it are listed"
    ]
    manifest.write_bytes(b"mbdb\x04\x00" + data[6:])
    _, errors = listed(open_evidence(folder))
    assert [e.reason for e in errors] == [
        "cut: Manifest.mbdb: not an mbdb version 5 file (bad header)"
    ]

    hostile = build_itunes_mbdb(tmp_path / "hostile", IOS_FILES[:1])
    with (hostile / "Manifest.mbdb").open("ab") as out:
        out.write(mbdb_record("HomeDomain", "../../../../etc/passwd", 0o100644, 11))
        out.write(mbdb_record("MediaDomain", b"Media/DCIM/\xff\x00.JPG", 0o100644, 5))
    source = open_evidence(hostile)
    items, errors = listed(source)
    file_id = hashlib.sha1(b"HomeDomain-../../../../etc/passwd").hexdigest()
    odd = items[f"itunes:hostile > ios:fileid={file_id}"]  # named by its hash, never its path
    assert odd.path == "/private/var/mobile/../../../../etc/passwd"
    with pytest.raises(EvidenceError, match="backup blob missing"):
        source.open_item(odd.locator)
    raw_id = hashlib.sha1(b"MediaDomain-Media/DCIM/\xff\x00.JPG").hexdigest()  # the raw bytes
    assert items[f"itunes:hostile > ios:fileid={raw_id}"].path == (
        "/private/var/mobile/Media/DCIM/\\xff\x00.JPG"
    )
    assert errors == []


# dftriage scan and info ----------------------------------------------------------------


def test_scan_and_info_of_phone_extractions_with_a_password(tmp_path: Path) -> None:
    import json
    import os
    import sqlite3
    import sys

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    gone = UfdrFile("f-9", FS, "/data/gone.jpg", "files\\Image\\gone.jpg", None)
    wrong = hashlib.md5(jpeg(8)).hexdigest()
    tampered = UfdrFile(
        "f-7", FS, "/data/b.jpg", "files\\Image\\b.jpg", jpeg(7), claims={"MD5": wrong}
    )
    ufdr = build_ufdr(evidence / "phone.ufdr", [*UFDR_FILES, gone, tampered])
    ab = build_ab(evidence / "backup.ab", tar_bytes(AB_MEMBERS), PASSWORD)
    ios = build_itunes(evidence / "iphone", IOS_FILES, PASSWORD)
    old_ios = build_itunes_mbdb(evidence / "old-iphone", IOS_FILES, PASSWORD)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    case = tmp_path / "case"
    env = {**os.environ, "DFTRIAGE_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "scanner", "scan", str(ufdr), str(ab), str(ios), str(old_ios)]
    done = subprocess.run(
        [*command, "--case", str(case), "--no-models", "--workers", "2"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # error rows: the missing Local Path, a hash
    with sqlite3.connect(case / "case.sqlite") as db:
        items = dict(db.execute("SELECT locator, sha256 FROM items"))
        rows = db.execute("SELECT locator, origin FROM items")
        origins = {k: json.loads(v or "{}") for k, v in rows}
        errors = dict(db.execute("SELECT locator, reason FROM errors"))
        commands = [row[0] for row in db.execute("SELECT * FROM runs")]
    expected = {
        f"file:phone.ufdr > ufdr:id={f.file_id};member={f.local.replace(chr(92), '/')}": f.data
        for f in UFDR_FILES
    }
    offset = 0
    for name, (data, _) in AB_MEMBERS.items():
        expected[f"file:backup.ab > ab:data > tar:member={name}@{offset}"] = data
        offset += 512 + -(-len(data) // 512) * 512
    for f in IOS_FILES:
        expected[f"itunes:iphone > ios:fileid={f.file_id}"] = f.data
        expected[f"itunes:old-iphone > ios:fileid={f.file_id}"] = f.data
    for locator, data in expected.items():
        assert items.get(locator) == sha256(data or b""), locator
    gone_locator = "file:phone.ufdr > ufdr:id=f-9;member=files/Image/gone.jpg"
    assert "not in the UFDR" in errors[gone_locator]
    tampered_locator = "file:phone.ufdr > ufdr:id=f-7;member=files/Image/b.jpg"
    assert items[tampered_locator] == sha256(jpeg(7))  # read and analysed all the same
    assert errors[tampered_locator] == (
        "UFDR file:phone.ufdr: member 'files/Image/b.jpg': the content read is not what"
        f" report.xml states (MD5: report.xml {wrong}, content {hashlib.md5(jpeg(7)).hexdigest()})"
    )
    assert origins[tampered_locator]["hash stated in report.xml"] == (
        "DIFFERS from the content read (MD5)"
    )
    for f in UFDR_FILES:
        verdict = origins[
            f"file:phone.ufdr > ufdr:id={f.file_id};member={f.local.replace(chr(92), '/')}"
        ]
        assert verdict["hash stated in report.xml"] == "verified (MD5, SHA-256)"
    assert PASSWORD not in json.dumps(commands, ensure_ascii=False)
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if case not in p.parents)
    assert [p for p in after if p != Path("case")] == before  # nothing written beside the case

    info = subprocess.run(
        [sys.executable, "-m", "scanner", "info", str(ufdr), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    described = json.loads(info.stdout)
    assert described["container"]["kind"] == "ufdr"
    assert described["container"]["metadata"]["device: DeviceInfoSelectedManufacturer"] == "Samsung"
    # four files in report.xml (one deleted, one without content) and report.xml itself
    assert described["volumes"] == [{"file_system": "ufdr", "allocated": 4, "deleted": 1}]
    locked = subprocess.run(
        [sys.executable, "-m", "scanner", "info", str(ios)], capture_output=True, text=True
    )
    assert locked.returncode != 0
    assert locked.stderr.strip() == (
        "dftriage: error: iphone: encrypted iTunes backup: a password is needed (--password)"
    )
    opened = subprocess.run(
        [sys.executable, "-m", "scanner", "info", str(ios), "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    described = json.loads(opened.stdout)
    assert described["container"]["metadata"]["Serial Number"] == "F2LXK0ABCD12"
    assert described["volumes"] == [{"file_system": "itunes", "allocated": 3, "deleted": 0}]
    opened = subprocess.run(
        [sys.executable, "-m", "scanner", "info", str(old_ios), "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    described = json.loads(opened.stdout)
    assert described["container"]["metadata"]["Product Version"] == "9.3.5"
    assert described["volumes"] == [{"file_system": "itunes", "allocated": 3, "deleted": 0}]


def test_the_stored_command_hides_the_password() -> None:
    from scanner.commands.scan import redacted

    words = ["scan", "x.ab", "--password", PASSWORD, "--case", "c", f"--password={PASSWORD}"]
    assert redacted(words) == ["scan", "x.ab", "--password", "***", "--case", "c", "--password=***"]
