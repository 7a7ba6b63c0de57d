"""iTunes/Finder iOS backups (a folder with Manifest.db), plain or encrypted.

Manifest.db is SQLite `Files(fileID, domain, relativePath, flags, file)`; rows with
`flags = 1` are files, whose content is the blob `<fileID[:2]>/<fileID>` (`fileID` is
sha1 of `domain-relativePath`) and whose `file` column is an NSKeyedArchiver plist with
`Size`, `LastModified`, `Birth`, `LastStatusChange` (POSIX seconds, UTC) and, when
encrypted, `ProtectionClass` and `EncryptionKey`. Device paths: `AppDomain-<id>` under
`/private/var/mobile/Containers/Data/Application/<id>/` (the device's own folder name is
a UUID the backup does not keep), `AppDomainGroup-<id>` under `…/Shared/AppGroup/<id>/`,
`AppDomainPlugin-<id>` under `…/Data/PluginKitPlugin/<id>/`, Home-, CameraRoll- and
MediaDomain under `/private/var/mobile/`, RootDomain `/private/var/root/`, WirelessDomain
`/private/var/wireless/`, KeychainDomain `/private/var/Keychains/`, SystemPreferencesDomain
`/private/var/preferences/`, any other domain as `/<domain>/`. Locators: `itunes:<folder>
> ios:fileid=<40 hex>`. Manifest.mbdb backups (before iOS 10) are not read (the folder is
then walked as a plain folder).
"""

from __future__ import annotations

import os
import plistlib
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scanner.errors import EvidenceError
from scanner.evidence.cbc_stream import CbcStream
from scanner.evidence.containers import ContainerOptions
from scanner.evidence.containers.base import printable
from scanner.evidence.images import ContainerInfo
from scanner.evidence.itunes_keys import BackupKeys, keybag_id, password_key, unlock
from scanner.evidence.streams import FileStream, Stream, read_all
from scanner.evidence.tsk_filesystem import WalkLimits
from scanner.types import Extent, FileItem, ItemError, Locator, Times

FILE_ID = re.compile(r"^[0-9a-f]{40}$")
MOBILE = "/private/var/mobile"
CONTAINERS_ROOT = f"{MOBILE}/Containers"
PREFIXES = (
    ("AppDomainGroup-", f"{CONTAINERS_ROOT}/Shared/AppGroup/"),
    ("AppDomainPlugin-", f"{CONTAINERS_ROOT}/Data/PluginKitPlugin/"),
    ("AppDomain-", f"{CONTAINERS_ROOT}/Data/Application/"),
)
DOMAINS = {
    "HomeDomain": MOBILE,
    "CameraRollDomain": MOBILE,
    "MediaDomain": MOBILE,
    "RootDomain": "/private/var/root",
    "WirelessDomain": "/private/var/wireless",
    "KeychainDomain": "/private/var/Keychains",
    "SystemPreferencesDomain": "/private/var/preferences",
}
INFO_FACTS = (
    "Device Name",
    "Product Type",
    "Product Version",
    "Build Version",
    "Serial Number",
    "IMEI",
    "MEID",
    "Phone Number",
    "Unique Identifier",
    "Last Backup Date",
)
BASIS = "utc (Manifest.db file record)"
PLIST_LIMIT = 64 << 20
MANIFEST_LIMIT = 4 << 30
ZERO_IV = bytes(16)


def is_itunes_backup(path: Path) -> bool:
    """A folder holding Manifest.db and Manifest.plist or Info.plist."""
    return (path / "Manifest.db").is_file() and any(
        (path / name).is_file() for name in ("Manifest.plist", "Info.plist")
    )


def device_path(domain: str, relative: str) -> str:
    """Where a backed-up file lived on the device (see the module docstring)."""
    base = DOMAINS.get(domain)
    if base is None:
        base = next(
            (root + domain[len(p) :] for p, root in PREFIXES if domain.startswith(p)),
            f"/{domain}",
        )
    return f"{base}/{relative}" if relative else base


def derive_backup_keys(paths: Iterable[Path], options: ContainerOptions) -> ContainerOptions:
    """`options` with the password key of every encrypted backup among `paths`, derived
    here once, so that worker processes open its files without PBKDF2's millions of rounds
    each. A backup whose key cannot be derived is left out (opening it says why)."""
    if not options.password:
        return options
    keys = dict(options.backup_keys)
    for path in paths:
        if not (path.is_dir() and is_itunes_backup(path)):
            continue
        try:
            keybag = _plist(path / "Manifest.plist").get("BackupKeyBag")
            if isinstance(keybag, bytes) and keybag_id(keybag) not in keys:
                keys[keybag_id(keybag)] = password_key(keybag, options.password)
        except EvidenceError:
            continue
    return replace(options, backup_keys=keys)


@dataclass(frozen=True)
class FileRecord:
    """What a Manifest.db `file` plist says of one file."""

    size: int
    times: Times
    protection_class: int | None = None
    wrapped_key: bytes | None = None


def file_record(blob: bytes) -> FileRecord:
    """Parse the NSKeyedArchiver plist of the `file` column (UIDs resolved in `$objects`)."""
    try:
        archive = plistlib.loads(blob)
        objects = archive["$objects"]
        root = _resolve(objects, archive["$top"]["root"])
        times = {
            name: float(root[key])
            for name, key in (
                ("modified", "LastModified"),
                ("born", "Birth"),
                ("changed", "LastStatusChange"),
            )
            if isinstance(root.get(key), int | float)
        }
        key = _resolve(objects, root.get("EncryptionKey"))
        wrapped = key.get("NS.data") if isinstance(key, dict) else key
        record_class = root.get("ProtectionClass")
        if isinstance(wrapped, bytes) and len(wrapped) > 4:
            if not isinstance(record_class, int):
                record_class = int.from_bytes(wrapped[:4], "little")
            wrapped = wrapped[4:]
        else:
            wrapped = None
        return FileRecord(
            int(root.get("Size", 0)), Times(**times, basis=BASIS), record_class, wrapped
        )
    except (plistlib.InvalidFileException, KeyError, IndexError, TypeError, ValueError) as exc:
        raise EvidenceError(f"unreadable Manifest.db file record: {type(exc).__name__}") from None


def _resolve(objects: list[Any], value: Any) -> Any:
    return objects[value.data] if isinstance(value, plistlib.UID) else value


def _plist(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = read_all(FileStream(path), PLIST_LIMIT)
        loaded = plistlib.loads(data)
    except (OSError, EvidenceError, plistlib.InvalidFileException, ValueError) as exc:
        raise EvidenceError(f"{path}: unreadable plist: {exc}") from None
    return loaded if isinstance(loaded, dict) else {}


@dataclass
class ItunesBackupSource:
    """An iTunes/Finder backup folder, walked as the device's files."""

    path: Path
    options: ContainerOptions = field(default_factory=ContainerOptions)
    limits: WalkLimits = field(default_factory=WalkLimits)

    def __post_init__(self) -> None:
        self.root = self.path.resolve()
        self.locator = Locator((("itunes", str(self.root)),))
        self.manifest = _plist(self.root / "Manifest.plist")
        info = _plist(self.root / "Info.plist")
        self.encrypted = bool(self.manifest.get("IsEncrypted"))
        names = ("Manifest.db", "Manifest.plist", "Info.plist")
        files = tuple(str(self.root / n) for n in names if (self.root / n).is_file())
        self.container = ContainerInfo(
            "itunes",
            sum(os.stat(f).st_size for f in files),
            files,
            metadata=self._facts(info),
        )
        self._db: sqlite3.Connection | None = None
        self._keys: BackupKeys | None = None

    def _facts(self, info: dict[str, Any]) -> dict[str, str]:
        facts = {name: printable(str(info[name]))[:200] for name in INFO_FACTS if name in info}
        lockdown = self.manifest.get("Lockdown")
        if isinstance(lockdown, dict) and "ProductVersion" in lockdown:
            facts.setdefault("Product Version", printable(str(lockdown["ProductVersion"]))[:40])
        facts["encrypted"] = "yes" if self.encrypted else "no"
        return facts

    def unlock(self) -> sqlite3.Connection:
        """Manifest.db, opened read-only (decrypted in memory when the backup is encrypted);
        a one-line EvidenceError if no or a wrong password is given."""
        if self._db is not None:
            return self._db
        manifest = self.root / "Manifest.db"
        if self.encrypted:
            self._keys = self._unlock_keys()
            stored = self.manifest.get("ManifestKey")
            if not isinstance(stored, bytes):
                raise EvidenceError(f"{self.root.name}: encrypted backup without a ManifestKey")
            key = self._keys.unwrap(stored)
            plain = CbcStream(FileStream(manifest), key, ZERO_IV)
            data = read_all(plain, MANIFEST_LIMIT)
            if not data.startswith(b"SQLite format 3\x00"):
                raise EvidenceError(f"{self.root.name}: Manifest.db does not decrypt to SQLite")
            db = sqlite3.connect(":memory:", check_same_thread=False)
            db.deserialize(data)
        else:
            uri = f"{manifest.as_uri()}?mode=ro&immutable=1"
            db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        db.text_factory = lambda raw: printable(raw.decode("utf-8", "surrogateescape"))
        self._db = db
        return db

    def _unlock_keys(self) -> BackupKeys:
        if not self.options.password:
            raise EvidenceError(
                f"{self.root.name}: encrypted iTunes backup: a password is needed (--password)"
            )
        keybag = self.manifest.get("BackupKeyBag")
        if not isinstance(keybag, bytes):
            raise EvidenceError(f"{self.root.name}: encrypted backup without a BackupKeyBag")
        derived = self.options.backup_keys.get(keybag_id(keybag))
        try:
            return unlock(keybag, self.options.password, derived)
        except EvidenceError as exc:
            raise EvidenceError(f"{self.root.name}: {exc}") from None

    def walk(self) -> Iterator[FileItem | ItemError]:
        try:
            rows = self.unlock().execute(
                "SELECT fileID, domain, relativePath, file FROM Files WHERE flags = 1"
            )
        except (EvidenceError, sqlite3.Error) as exc:
            yield ItemError(str(self.locator), "walk", str(exc))
            return
        for count, (file_id, domain, relative, blob) in enumerate(rows):
            if count >= self.limits.max_entries:
                yield ItemError(str(self.locator), "walk", "entry limit reached")
                return
            where = self.locator.child("ios", f"fileid={file_id}"[:60])
            if not isinstance(file_id, str) or not FILE_ID.match(file_id):
                yield ItemError(str(where), "walk", "Manifest.db: fileID is not 40 hex digits")
                continue
            try:
                record = file_record(blob if isinstance(blob, bytes) else b"")
            except EvidenceError as exc:
                yield ItemError(str(where), "walk", str(exc))
                continue
            path = device_path(str(domain or ""), str(relative or ""))
            yield FileItem(where, path, record.size, False, times=record.times)

    def extents(self) -> Iterator[Extent]:
        return iter(())

    def open_item(self, locator: Locator) -> Stream:
        kind, value = locator.steps[1] if len(locator.steps) > 1 else ("", "")
        file_id = value.removeprefix("fileid=")
        if kind != "ios" or not FILE_ID.match(file_id):
            raise EvidenceError(f"{locator}: not a file of the backup {self.root.name}")
        row = (
            self.unlock().execute("SELECT file FROM Files WHERE fileID = ?", (file_id,)).fetchone()
        )
        if row is None:
            raise EvidenceError(f"{locator}: not in Manifest.db")
        record = file_record(row[0] if isinstance(row[0], bytes) else b"")
        try:
            blob = FileStream(self.root / file_id[:2] / file_id)
        except OSError as exc:
            raise EvidenceError(f"{locator}: backup blob missing: {exc.strerror}") from None
        if not self.encrypted:
            return blob
        if record.wrapped_key is None or self._keys is None:
            raise EvidenceError(f"{locator}: encrypted backup file without an EncryptionKey")
        key = self._keys.unwrap(record.wrapped_key, record.protection_class)
        return CbcStream(blob, key, ZERO_IV, record.size)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
