"""Keys of an encrypted iTunes/Finder backup, from the user's backup password.

The published algorithm (iphone-dataprotection, as used by iphone_backup_decrypt and
iOSbackup): Manifest.plist's `BackupKeyBag` is TLV (4-byte tag, 4-byte big-endian length);
the first `UUID` is the keybag's, each later `UUID` starts a class key (`CLAS`, `WRAP`,
`KTYP`, `WPKY`). The password key is PBKDF2-HMAC-SHA256(password, DPSL, DPIC) then
PBKDF2-HMAC-SHA1(that, SALT, ITER) (keybags without DPSL, before iOS 10.2: the SHA-1 step
alone); class keys whose WRAP has bit 2 are RFC 3394-wrapped with it. `ManifestKey` is a
4-byte little-endian protection class and the wrapped key of Manifest.db; each file's
`EncryptionKey` likewise, for its blob. All data is AES-256-CBC, IV zero, PKCS#7 padded.
The password key is derived once per scan (`derive_backup_keys` in itunes_backup.py) and
handed to the worker processes in memory, which then only unwrap (microseconds).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap

from scanner.errors import EvidenceError

WRAP_PASSPHRASE = 2
MAX_ITERATIONS = 50_000_000  # iOS uses 10 million SHA-256 rounds; more is a hostile keybag
CLASS_TAGS = (b"CLAS", b"WRAP", b"KTYP", b"WPKY", b"PBKY")


@dataclass
class BackupKeys:
    """The unwrapped class keys of a backup, by protection class."""

    class_keys: dict[int, bytes]

    def unwrap(self, wrapped: bytes, protection_class: int | None = None) -> bytes:
        """The key of Manifest.db or a file from its stored form (class + wrapped key, or
        the wrapped key alone with the class given)."""
        if protection_class is None:
            if len(wrapped) < 8:
                raise EvidenceError("encryption key too short")
            protection_class = struct.unpack("<I", wrapped[:4])[0]
            wrapped = wrapped[4:]
        key = self.class_keys.get(protection_class)
        if key is None:
            raise EvidenceError(f"no class key for protection class {protection_class}")
        try:
            return aes_key_unwrap(key, wrapped)
        except (InvalidUnwrap, ValueError) as exc:
            raise EvidenceError(f"file key does not unwrap (class {protection_class})") from exc


def _tlv(blob: bytes) -> Iterator[tuple[bytes, bytes]]:
    at = 0
    while at + 8 <= len(blob):
        tag, length = blob[at : at + 4], struct.unpack(">I", blob[at + 4 : at + 8])[0]
        yield tag, blob[at + 8 : at + 8 + length]
        at += 8 + length


def parse_keybag(blob: bytes) -> tuple[dict[bytes, bytes], list[dict[bytes, bytes]]]:
    """The keybag's own attributes and its class key records."""
    attrs: dict[bytes, bytes] = {}
    classes: list[dict[bytes, bytes]] = []
    for tag, value in _tlv(blob):
        if tag == b"UUID" and b"UUID" in attrs:
            classes.append({tag: value})
        elif tag in CLASS_TAGS and classes:
            classes[-1][tag] = value
        else:
            attrs.setdefault(tag, value)
    return attrs, classes


def _number(value: bytes | None, name: str) -> int:
    if value is None or len(value) not in (4, 8):
        raise EvidenceError(f"backup keybag: no valid {name}")
    return int.from_bytes(value, "big")


def keybag_id(keybag: bytes) -> str:
    """The digest by which a backup's derived password key is handed on."""
    return hashlib.sha256(keybag).hexdigest()


def password_key(keybag: bytes, password: str) -> bytes:
    """The key that unwraps the keybag's class keys: PBKDF2 twice (seconds of work)."""
    attrs, _ = parse_keybag(keybag)
    salt = attrs.get(b"SALT")
    iterations = _number(attrs.get(b"ITER"), "ITER")
    if not salt or not 0 < iterations <= MAX_ITERATIONS:
        raise EvidenceError("backup keybag: no valid SALT/ITER")
    secret = password.encode("utf-8")
    if b"DPSL" in attrs:
        rounds = _number(attrs.get(b"DPIC"), "DPIC")
        if not 0 < rounds <= MAX_ITERATIONS:
            raise EvidenceError("backup keybag: implausible DPIC")
        secret = hashlib.pbkdf2_hmac("sha256", secret, attrs[b"DPSL"], rounds, 32)
    return hashlib.pbkdf2_hmac("sha1", secret, salt, iterations, 32)


def unlock(keybag: bytes, password: str, derived: bytes | None = None) -> BackupKeys:
    """The class keys, unwrapped with the password key (`derived`, or derived here from
    the password); a one-line error if the password is wrong."""
    key = derived if derived is not None else password_key(keybag, password)
    keys: dict[int, bytes] = {}
    for record in parse_keybag(keybag)[1]:
        wrapped = record.get(b"WPKY")
        if wrapped is None or not _number(record.get(b"WRAP"), "WRAP") & WRAP_PASSPHRASE:
            continue
        try:
            keys[_number(record.get(b"CLAS"), "CLAS")] = aes_key_unwrap(key, wrapped)
        except (InvalidUnwrap, ValueError):
            raise EvidenceError("encrypted iTunes backup: wrong password") from None
    if not keys:
        raise EvidenceError("encrypted iTunes backup: the keybag holds no password-wrapped keys")
    return BackupKeys(keys)
