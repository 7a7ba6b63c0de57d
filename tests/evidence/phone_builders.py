"""Generators for phone extractions, built from the published formats: Cellebrite UFDR
(zip + report.xml), Android `adb backup` (.ab, plain and AES-256) and iTunes/Finder
backups (Manifest.db, or Manifest.mbdb before iOS 10, + blobs, plain and encrypted, with a
keybag made here)."""

from __future__ import annotations

import hashlib
import io
import os
import plistlib
import random
import sqlite3
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from PIL import Image

NS = "http://pa.cellebrite.com/report/2.0"


def jpeg(seed: int, size: int = 24) -> bytes:
    """A small, distinct JPEG (noise from `seed`)."""
    rng = random.Random(seed)
    image = Image.frombytes(
        "RGB", (size, size), bytes(rng.randrange(256) for _ in range(size**2 * 3))
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def aes_cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-CBC with PKCS#7 padding."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


# Cellebrite UFDR ----------------------------------------------------------------------


@dataclass
class UfdrFile:
    file_id: str
    fs: str
    path: str
    local: str  # Local Path as report.xml writes it (backslashes)
    data: bytes | None  # None: not stored in the zip
    deleted: str = "Intact"
    created: str = "2024-03-01T10:00:00.000+09:00"
    modified: str = "2024-03-02T11:30:00.000+09:00"
    # File items that replace what report.xml states by default (the content's MD5 and
    # SHA256), e.g. {"MD5": "0" * 32} for a report that does not match its extraction
    claims: dict[str, str] = field(default_factory=dict)

    def stated(self) -> dict[str, str]:
        data = self.data or b""
        default = {"SHA256": sha256(data), "MD5": hashlib.md5(data).hexdigest()}
        return {**default, **self.claims}


def report_xml(files: list[UfdrFile], device: dict[str, str]) -> str:
    items = "".join(f"<item name={quoteattr(k)}><![CDATA[{v}]]></item>" for k, v in device.items())
    tagged = []
    for f in files:
        size = len(f.data) if f.data is not None else 1234
        hashes = "".join(f"<item name={quoteattr(k)}>{v}</item>" for k, v in f.stated().items())
        tagged.append(
            f'<file fs={quoteattr(f.fs)} fsid="fs1" path={quoteattr(f.path)} size="{size}"'
            f' id={quoteattr(f.file_id)} extractionId="0" deleted="{f.deleted}"'
            ' embedded="false" isrelated="False"><accessInfo>'
            f'<timestamp name="CreationTime">{f.created}</timestamp>'
            f'<timestamp name="ModifyTime">{f.modified}</timestamp>'
            '<timestamp name="AccessTime"></timestamp></accessInfo>'
            '<metadata section="File">'
            f'<item name="Local Path"><![CDATA[{f.local}]]></item>'
            f'{hashes}<item name="Tags">Image</item>'
            "</metadata></file>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<project id="p1" name="case" reportVersion="7.60" xmlns="{NS}">'
        '<sourceExtractions><extractionInfo id="0" name="File System" isCustomName="False"'
        ' type="FileSystem" deviceName="SM-S918N" /></sourceExtractions>'
        f'<metadata section="Device Info">{items}</metadata>'
        '<metadata section="Extraction Data"><item name="ExtractionType">'
        "<![CDATA[Full File System]]></item></metadata>"
        f"<taggedFiles>{''.join(tagged)}</taggedFiles>"
        '<decodedData><modelType type="Chat"><model type="Chat" id="c1">'
        '<field name="Source"><value type="String">KakaoTalk</value></field>'
        "</model></modelType></decodedData></project>"
    )


DEVICE = {
    "DeviceInfoSelectedManufacturer": "Samsung",
    "DeviceInfoSelectedDeviceName": "Galaxy S23 Ultra",
    "IMEI": "356938035643809",
}


def build_ufdr(
    path: Path,
    files: list[UfdrFile],
    extra: dict[str, bytes] | None = None,
    report: str | None = None,
) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for f in files:
            if f.data is not None:
                archive.writestr(f.local.replace("\\", "/"), f.data, zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        archive.writestr("report.xml", report if report is not None else report_xml(files, DEVICE))
    return path


# Android adb backup --------------------------------------------------------------------


def tar_bytes(members: dict[str, tuple[bytes, int]]) -> bytes:
    """A tar of name -> (data, mtime)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, (data, mtime) in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), mtime
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def java_chars(data: bytes) -> bytes:
    return "".join(chr(b if b < 0x80 else 0xFF00 | b) for b in data).encode("utf-8")


def build_ab(
    path: Path,
    tar: bytes,
    password: str | None = None,
    compressed: bool = True,
    version: int = 5,
    rounds: int = 1000,
) -> Path:
    body = zlib.compress(tar) if compressed else tar
    header = f"ANDROID BACKUP\n{version}\n{int(compressed)}\n".encode()
    if password is None:
        path.write_bytes(header + b"none\n" + body)
        return path
    salt, check_salt, user_iv = os.urandom(64), os.urandom(64), os.urandom(16)
    master_key, master_iv = os.urandom(32), os.urandom(16)
    user_key = hashlib.pbkdf2_hmac("sha1", password.encode(), salt, rounds, 32)
    checksum = hashlib.pbkdf2_hmac("sha1", java_chars(master_key), check_salt, rounds, 32)
    blob = bytes([16]) + master_iv + bytes([32]) + master_key + bytes([32]) + checksum
    lines = [
        b"AES-256",
        salt.hex().upper().encode(),
        check_salt.hex().upper().encode(),
        str(rounds).encode(),
        user_iv.hex().upper().encode(),
        aes_cbc(user_key, user_iv, blob).hex().upper().encode(),
    ]
    path.write_bytes(header + b"\n".join(lines) + b"\n" + aes_cbc(master_key, master_iv, body))
    return path


# iTunes/Finder backup ------------------------------------------------------------------


@dataclass
class IosFile:
    domain: str
    relative: str
    data: bytes
    modified: int = 1709254800
    born: int = 1709168400
    changed: int = 1709341200
    protection_class: int = 3

    @property
    def file_id(self) -> str:
        return hashlib.sha1(f"{self.domain}-{self.relative}".encode()).hexdigest()


def ns_keyed_file(f: IosFile, encryption_key: bytes | None) -> bytes:
    """The `file` column: an NSKeyedArchiver MBFile as iOS writes it."""
    uid = plistlib.UID
    record: dict[str, object] = {
        "$class": uid(4),
        "RelativePath": uid(2),
        "Size": len(f.data),
        "LastModified": f.modified,
        "Birth": f.born,
        "LastStatusChange": f.changed,
        "Mode": 0o100644,
        "InodeNumber": 1234,
        "UserID": 501,
        "GroupID": 501,
        "Flags": 0,
        "ProtectionClass": f.protection_class,
    }
    objects: list[object] = [
        "$null",
        record,
        f.relative,
        {"NS.data": encryption_key or b"", "$class": uid(5)},
        {"$classname": "MBFile", "$classes": ["MBFile", "NSObject"]},
        {"$classname": "NSMutableData", "$classes": ["NSMutableData", "NSData", "NSObject"]},
    ]
    if encryption_key is not None:
        record["EncryptionKey"] = uid(3)
    archive = {
        "$version": 100000,
        "$archiver": "NSKeyedArchiver",
        "$top": {"root": uid(1)},
        "$objects": objects,
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def _tlv(tag: bytes, value: bytes | int) -> bytes:
    data = value.to_bytes(4, "big") if isinstance(value, int) else value
    return tag + len(data).to_bytes(4, "big") + data


def keybag(password: str, class_keys: dict[int, bytes], double: bool = True) -> bytes:
    """A backup keybag whose class keys are wrapped with the password key (small counts);
    `double=False`: the SHA-1 step alone, as before iOS 10.2 (no DPSL/DPIC)."""
    dpsl, salt = os.urandom(20), os.urandom(20)
    dpic, iterations = 1000, 100
    first = hashlib.pbkdf2_hmac("sha256", password.encode(), dpsl, dpic, 32)
    secret = first if double else password.encode()
    password_key = hashlib.pbkdf2_hmac("sha1", secret, salt, iterations, 32)
    fields: list[tuple[bytes, bytes | int]] = [
        (b"VERS", 4 if double else 3),
        (b"TYPE", 1),
        (b"UUID", os.urandom(16)),
        (b"HMCK", os.urandom(40)),
        (b"WRAP", 2),
        (b"SALT", salt),
        (b"ITER", iterations),
    ]
    if double:
        fields += [(b"DPWT", 1), (b"DPIC", dpic), (b"DPSL", dpsl)]
    blob = b"".join(_tlv(tag, value) for tag, value in fields)
    for cls, key in class_keys.items():
        blob += _tlv(b"UUID", os.urandom(16)) + _tlv(b"CLAS", cls) + _tlv(b"WRAP", 3)
        blob += _tlv(b"KTYP", 0) + _tlv(b"WPKY", aes_key_wrap(password_key, key))
    return blob


INFO = {
    "Device Name": "김민지의 iPhone",
    "Product Type": "iPhone15,2",
    "Product Version": "17.4",
    "Serial Number": "F2LXK0ABCD12",
    "IMEI": "353912110123456",
}


def build_itunes(
    folder: Path, files: list[IosFile], password: str | None = None, plain_manifest: bool = False
) -> Path:
    """A backup as iOS 10+ writes it; `plain_manifest`: an encrypted backup whose
    Manifest.db is not encrypted (iOS 10.0 and 10.1)."""
    folder.mkdir(parents=True)
    class_keys = {cls: os.urandom(32) for cls in (1, 2, 3, 4)}
    scratch = folder.parent / f"{folder.name}-manifest.sqlite"
    db = sqlite3.connect(scratch)
    db.execute(
        "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT,"
        " flags INTEGER, file BLOB)"
    )
    db.execute("CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB)")
    for f in files:
        blob_path = folder / f.file_id[:2] / f.file_id
        blob_path.parent.mkdir(exist_ok=True)
        key = None
        if password is None:
            blob_path.write_bytes(f.data)
        else:
            file_key = os.urandom(32)
            blob_path.write_bytes(aes_cbc(file_key, bytes(16), f.data))
            wrapped = aes_key_wrap(class_keys[f.protection_class], file_key)
            key = struct.pack("<I", f.protection_class) + wrapped
        row = (f.file_id, f.domain, f.relative, 1, ns_keyed_file(f, key))
        db.execute("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", row)
        folder_id = hashlib.sha1(f"{f.domain}-{f.relative.rpartition('/')[0]}".encode()).hexdigest()
        row = (folder_id, f.domain, f.relative.rpartition("/")[0], 2, b"")
        db.execute("INSERT OR IGNORE INTO Files VALUES (?, ?, ?, ?, ?)", row)
    db.commit()
    db.close()
    manifest: dict[str, object] = {
        "IsEncrypted": password is not None,
        "Version": "10.0",
        "Lockdown": {"ProductVersion": "17.4", "DeviceName": INFO["Device Name"]},
    }
    data = scratch.read_bytes()
    scratch.unlink()
    if password is None or plain_manifest:
        (folder / "Manifest.db").write_bytes(data)
    else:
        manifest_key = os.urandom(32)
        (folder / "Manifest.db").write_bytes(aes_cbc(manifest_key, bytes(16), data))
        manifest["ManifestKey"] = struct.pack("<I", 3) + aes_key_wrap(class_keys[3], manifest_key)
    if password is not None:
        manifest["BackupKeyBag"] = keybag(password, class_keys)
    (folder / "Manifest.plist").write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    (folder / "Info.plist").write_bytes(plistlib.dumps(INFO))
    return folder


# iTunes backup before iOS 10: Manifest.mbdb --------------------------------------------


def _mbdb_string(value: bytes | None) -> bytes:
    return b"\xff\xff" if value is None else len(value).to_bytes(2, "big") + value


def mbdb_record(
    domain: str,
    path: str | bytes,
    mode: int,
    size: int = 0,
    times: tuple[int, int, int] = (0, 0, 0),
    link: str | None = None,
    key: bytes | None = None,
    protection_class: int = 0,
    properties: tuple[tuple[bytes, bytes], ...] = (),
    data_hash: bytes | None = None,
) -> bytes:
    """One Manifest.mbdb record; `times` is (mtime, atime, ctime)."""
    head = b"".join(
        _mbdb_string(v)
        for v in (
            domain.encode(),
            path if isinstance(path, bytes) else path.encode(),
            link and link.encode(),
            data_hash,
            key,
        )
    )
    fixed = struct.pack(
        ">HQIIIIIQBB", mode, 0x12345, 501, 501, *times, size, protection_class, len(properties)
    )
    return head + fixed + b"".join(_mbdb_string(k) + _mbdb_string(v) for k, v in properties)


def build_itunes_mbdb(
    folder: Path, files: list[IosFile], password: str | None = None, nested: bool = False
) -> Path:
    """A backup as iOS 5-9 wrote it: Manifest.mbdb (folders, a symlink, the files, each
    with its SHA-1), blobs at `<fileID>` (`nested`: under `<fileID[:2]>/`), Manifest.plist
    with a keybag of the SHA-1 step alone when encrypted."""
    folder.mkdir(parents=True)
    class_keys = {cls: os.urandom(32) for cls in (1, 2, 3, 4)}
    records = [b"mbdb\x05\x00"]
    for f in files:
        parent = f.relative.rpartition("/")[0]
        records.append(mbdb_record(f.domain, parent, 0o40755, times=(f.modified,) * 3))
        key = None
        blob = folder / (f"{f.file_id[:2]}/{f.file_id}" if nested else f.file_id)
        blob.parent.mkdir(exist_ok=True)
        if password is None:
            blob.write_bytes(f.data)
        else:
            file_key = os.urandom(32)
            blob.write_bytes(aes_cbc(file_key, bytes(16), f.data))
            wrapped = aes_key_wrap(class_keys[f.protection_class], file_key)
            key = struct.pack("<I", f.protection_class) + wrapped
        records.append(
            mbdb_record(
                f.domain, f.relative, 0o100644, len(f.data), (f.modified, f.born, f.changed),
                key=key, protection_class=f.protection_class,
                properties=((b"com.apple.assetsd.UUID", os.urandom(16)),),
                data_hash=hashlib.sha1(f.data).digest(),
            )
        )  # fmt: skip
    records.append(mbdb_record("HomeDomain", "Library/link", 0o120755, link="/var/x"))
    (folder / "Manifest.mbdb").write_bytes(b"".join(records))
    manifest: dict[str, object] = {
        "IsEncrypted": password is not None,
        "Version": "9.1",
        "Lockdown": {"ProductVersion": "9.3.5", "DeviceName": INFO["Device Name"]},
    }
    if password is not None:
        manifest["BackupKeyBag"] = keybag(password, class_keys, double=False)
    (folder / "Manifest.plist").write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    (folder / "Info.plist").write_bytes(plistlib.dumps({**INFO, "Product Version": "9.3.5"}))
    return folder
