"""iTunes/Finder iOS backups (a folder with Manifest.db, or Manifest.mbdb before iOS 10),
plain or encrypted.

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
> ios:fileid=<40 hex>`. Backups before iOS 10 list their files in Manifest.mbdb
(`itunes_mbdb.py`: the same domains, paths, times and keys; blobs at `<fileID>` in the
backup folder itself, Manifest.mbdb not encrypted).
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
from scanner.evidence.itunes_mbdb import MbdbRecord
from scanner.evidence.itunes_mbdb import records as mbdb_records
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
MBDB_BASIS = "utc (Manifest.mbdb record: mtime, atime, ctime)"
MANIFESTS = ("Manifest.db", "Manifest.mbdb")
PLIST_LIMIT = 64 << 20
MANIFEST_LIMIT = 4 << 30
MBDB_LIMIT = 1 << 30  # a phone's Manifest.mbdb is tens of MB (about 200 bytes a file)
ZERO_IV = bytes(16)
SQLITE = b"SQLite format 3\x00"


def is_itunes_backup(path: Path) -> bool:
    """A folder holding Manifest.db (or Manifest.mbdb) and Manifest.plist or Info.plist."""
    return any((path / name).is_file() for name in MANIFESTS) and any(
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
            manifest = _plist(path / "Manifest.plist")
            keybag = manifest.get("BackupKeyBag")  # plain backups have one too
            if not manifest.get("IsEncrypted") or not isinstance(keybag, bytes):
                continue
            if keybag_id(keybag) not in keys:
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


def mbdb_file_record(record: MbdbRecord) -> FileRecord:
    """What a Manifest.mbdb record says of a file, as a Manifest.db record would."""
    times = {
        name: float(value)
        for name, value in (
            ("modified", record.mtime),
            ("accessed", record.atime),
            ("changed", record.ctime),
        )
        if value
    }
    key = record.encryption_key
    if len(key) > 4:
        protection, wrapped = int.from_bytes(key[:4], "little"), key[4:]
        return FileRecord(record.size, Times(**times, basis=MBDB_BASIS), protection, wrapped)
    return FileRecord(record.size, Times(**times, basis=MBDB_BASIS))


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE)) == SQLITE
    except OSError as exc:
        raise EvidenceError(f"{path.parent.name}: {path.name}: {exc.strerror}") from None


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
        self.mbdb = not (self.root / "Manifest.db").is_file()
        names = (*MANIFESTS, "Manifest.plist", "Info.plist")
        files = tuple(str(self.root / n) for n in names if (self.root / n).is_file())
        self.container = ContainerInfo(
            "itunes",
            sum(os.stat(f).st_size for f in files),
            files,
            metadata=self._facts(info),
        )
        self._db: sqlite3.Connection | None = None
        self._keys: BackupKeys | None = None
        self._listed: dict[str, tuple[str, FileRecord]] | None = None  # Manifest.mbdb's files
        self._damage = ""  # why Manifest.mbdb could not be read to its end

    def _facts(self, info: dict[str, Any]) -> dict[str, str]:
        facts = {name: printable(str(info[name]))[:200] for name in INFO_FACTS if name in info}
        lockdown = self.manifest.get("Lockdown")
        if isinstance(lockdown, dict) and "ProductVersion" in lockdown:
            facts.setdefault("Product Version", printable(str(lockdown["ProductVersion"]))[:40])
        facts["encrypted"] = "yes" if self.encrypted else "no"
        return facts

    def unlock(self) -> None:
        """Open the backup's file list (and its keys, if encrypted); a one-line
        EvidenceError if no or a wrong password is given."""
        if self.mbdb:
            self._mbdb_files()
        else:
            self._manifest_db()

    def _manifest_db(self) -> sqlite3.Connection:
        """Manifest.db, opened read-only (decrypted in memory when it is encrypted: from
        iOS 10.2 on; 10.0 and 10.1 encrypted the files only)."""
        if self._db is not None:
            return self._db
        manifest = self.root / "Manifest.db"
        if self.encrypted:
            self._keys = self._unlock_keys()
        if self._keys is not None and not _is_sqlite(manifest):
            db = sqlite3.connect(":memory:", check_same_thread=False)
            db.deserialize(self._decrypted_manifest(manifest, self._keys))
        else:
            uri = f"{manifest.as_uri()}?mode=ro&immutable=1"
            db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        db.text_factory = lambda raw: printable(raw.decode("utf-8", "surrogateescape"))
        self._db = db
        return db

    def _decrypted_manifest(self, manifest: Path, keys: BackupKeys) -> bytes:
        stored = self.manifest.get("ManifestKey")
        if not isinstance(stored, bytes):
            raise EvidenceError(f"{self.root.name}: encrypted backup without a ManifestKey")
        plain = CbcStream(FileStream(manifest), keys.unwrap(stored), ZERO_IV)
        data = read_all(plain, MANIFEST_LIMIT)
        if not data.startswith(SQLITE):
            raise EvidenceError(f"{self.root.name}: Manifest.db does not decrypt to SQLite")
        return data

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
        if self.mbdb:
            yield from self._walk_mbdb()
            return
        try:
            rows = self._manifest_db().execute(
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

    def _walk_mbdb(self) -> Iterator[FileItem | ItemError]:
        try:
            listed = self._mbdb_files()
        except EvidenceError as exc:
            yield ItemError(str(self.locator), "walk", str(exc))
            return
        for count, (file_id, (path, record)) in enumerate(listed.items()):
            if count >= self.limits.max_entries:
                yield ItemError(str(self.locator), "walk", "entry limit reached")
                return
            where = self.locator.child("ios", f"fileid={file_id}")
            yield FileItem(where, path, record.size, False, times=record.times)
        if self._damage:
            yield ItemError(str(self.locator), "walk", self._damage)

    def _mbdb_files(self) -> dict[str, tuple[str, FileRecord]]:
        """Manifest.mbdb's regular files by file ID (device path, record); an encrypted
        backup's keys are unlocked first, so that a missing password is one error."""
        if self._listed is not None:
            return self._listed
        if self.encrypted and self._keys is None:
            self._keys = self._unlock_keys()
        try:
            data = read_all(FileStream(self.root / "Manifest.mbdb"), MBDB_LIMIT)
        except OSError as exc:
            raise EvidenceError(f"{self.root.name}: Manifest.mbdb: {exc.strerror}") from None
        except EvidenceError as exc:
            raise EvidenceError(f"{self.root.name}: Manifest.mbdb: {exc}") from None
        listed: dict[str, tuple[str, FileRecord]] = {}
        try:
            for record in mbdb_records(data):
                if record.is_file:
                    path = device_path(record.domain, record.path)
                    listed.setdefault(record.file_id, (path, mbdb_file_record(record)))
        except EvidenceError as exc:
            if not listed:
                raise EvidenceError(f"{self.root.name}: {exc}") from None
            self._damage = f"{exc}: the {len(listed)} files before it are listed"
        self._listed = listed
        return listed

    def _record(self, locator: Locator, file_id: str) -> FileRecord:
        if self.mbdb:
            found = self._mbdb_files().get(file_id)
            if found is None:
                raise EvidenceError(f"{locator}: not in Manifest.mbdb")
            return found[1]
        row = (
            self._manifest_db()
            .execute("SELECT file FROM Files WHERE fileID = ?", (file_id,))
            .fetchone()
        )
        if row is None:
            raise EvidenceError(f"{locator}: not in Manifest.db")
        return file_record(row[0] if isinstance(row[0], bytes) else b"")

    def _blob(self, file_id: str) -> Path:
        """Where a file's content is: `<id[:2]>/<id>`, or `<id>` in backups before iOS 10."""
        nested = self.root / file_id[:2] / file_id
        flat = self.root / file_id
        return flat if self.mbdb and not nested.is_file() else nested

    def extents(self) -> Iterator[Extent]:
        return iter(())

    def open_item(self, locator: Locator) -> Stream:
        kind, value = locator.steps[1] if len(locator.steps) > 1 else ("", "")
        file_id = value.removeprefix("fileid=")
        if kind != "ios" or not FILE_ID.match(file_id):
            raise EvidenceError(f"{locator}: not a file of the backup {self.root.name}")
        record = self._record(locator, file_id)
        try:
            blob = FileStream(self._blob(file_id))
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
