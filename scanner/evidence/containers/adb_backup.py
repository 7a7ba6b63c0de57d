"""Android `adb backup` files (`.ab`): one member, `ab:data`, the tar inside.

Format (Android's BackupManagerService, as read by android-backup-extractor and
lclevy's ab_decrypt): the lines `ANDROID BACKUP`, version, compressed (0|1), encryption
(`none`|`AES-256`); for AES-256 five more lines: user password salt, master key checksum
salt, PBKDF2 rounds, user key IV, master key blob (hex). PBKDF2-HMAC-SHA1(password, salt,
rounds, 32) decrypts the blob (AES-256-CBC) into length-prefixed master IV, master key and
checksum; the checksum is PBKDF2 of the master key's bytes as Java chars (UTF-8 of each
byte sign-extended; version 1: the bytes themselves) and tells a wrong password. The rest
of the file is (AES-256-CBC with master key and IV, PKCS#7 padded) zlib of a tar. Both
layers are read with random access (`CbcStream`, `InflatedStream`), so the tar container
lists and opens `apps/com.kakao.talk/…` members in place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import ClassVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from scanner.errors import EvidenceError
from scanner.evidence.cbc_stream import CbcStream
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
)
from scanner.evidence.containers.inflate import ZLIB, InflatedStream
from scanner.evidence.streams import RangeStream, Stream

MAGIC = b"ANDROID BACKUP\n"
VALUE = "data"
HEADER_BYTES = 4096
MAX_ROUNDS = 10_000_000  # Android uses 10000; more is a hostile header


class AdbBackupContainer(Container):
    kind: ClassVar[str] = "ab"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head.startswith(MAGIC)

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        lines, offset = _header_lines(stream.read(0, HEADER_BYTES))
        version, compressed, encryption = lines[1], lines[2], lines[3]
        if not version.isdigit() or compressed not in ("0", "1"):
            raise EvidenceError(f"Android backup: bad header (version {version[:20]!r})")
        self._facts = {
            "android backup version": version,
            "compressed": "yes" if compressed == "1" else "no",
            "encryption": encryption[:40],
        }
        self._limit = options.bomb_limit(stream.size)
        self._problem = ""
        body: Stream
        if encryption == "none":
            body = RangeStream(stream, offset, stream.size - offset)
        elif encryption == "AES-256":
            if not options.password:
                raise EvidenceError(
                    "Android backup is encrypted (AES-256): a password is needed (--password)"
                )
            fields, offset = _header_lines(stream.read(0, HEADER_BYTES), count=9)
            key, iv = _master_key(fields[4:9], int(version), options.password)
            cipher = CbcStream(RangeStream(stream, offset, stream.size - offset), key, iv)
            self._problem = cipher.padding_problem
            body = cipher
        else:
            raise EvidenceError(f"Android backup: unknown encryption {encryption[:40]!r}")
        self._data: Stream = InflatedStream(body, ZLIB) if compressed == "1" else body

    def members(self) -> Iterator[Member | Problem]:
        size = self._measure()
        damage = getattr(self._data, "damage", "")
        if self._problem:
            yield Problem(self._problem)
        if damage:
            yield Problem(f"{damage}; the {size} bytes before it are read")
        yield Member(VALUE, "", size)

    def _measure(self) -> int:
        if isinstance(self._data, InflatedStream) and self._data.size < 0:
            self._data.measure(self._limit + 1)
        return self._data.size

    def open(self, value: str) -> Stream:
        if value != VALUE:
            raise EvidenceError(f"Android backup has one member, {VALUE!r}, not {value[:80]!r}")
        self._measure()
        return self._data

    def metadata(self) -> dict[str, str]:
        return dict(self._facts)


def _header_lines(head: bytes, count: int = 4) -> tuple[list[str], int]:
    """The first `count` header lines and where the data after them starts."""
    lines: list[str] = []
    at = 0
    for _ in range(count):
        end = head.find(b"\n", at)
        if end < 0:
            raise EvidenceError(f"Android backup: header cut off after {len(lines)} line(s)")
        try:
            lines.append(head[at:end].decode("ascii"))
        except UnicodeDecodeError:
            raise EvidenceError(
                f"Android backup: header line {len(lines) + 1} is not text"
            ) from None
        at = end + 1
    return lines, at


def _master_key(fields: list[str], version: int, password: str) -> tuple[bytes, bytes]:
    """Master key and IV from the five encryption header lines; a clear error for a wrong
    password or a damaged header."""
    try:
        salt, check_salt, iv, blob = (bytes.fromhex(fields[i]) for i in (0, 1, 3, 4))
        rounds = int(fields[2])
    except ValueError:
        raise EvidenceError("Android backup: damaged encryption header") from None
    if not 0 < rounds <= MAX_ROUNDS or len(iv) != 16 or not blob or len(blob) % 16:
        raise EvidenceError("Android backup: damaged encryption header")
    for secret in _password_forms(password):
        user_key = hashlib.pbkdf2_hmac("sha1", secret, salt, rounds, 32)
        decryptor = Cipher(algorithms.AES(user_key), modes.CBC(iv)).decryptor()
        parsed = _blob_fields(decryptor.update(blob) + decryptor.finalize())
        if parsed is None:
            continue
        master_iv, master_key, checksum = parsed
        for form in (_java_chars(master_key), master_key)[:: -1 if version == 1 else 1]:
            computed = hashlib.pbkdf2_hmac("sha1", form, check_salt, rounds, len(checksum))
            if computed == checksum and len(master_key) == 32 and len(master_iv) == 16:
                return master_key, master_iv
    raise EvidenceError("Android backup: wrong password (the master key checksum does not match)")


def _password_forms(password: str) -> list[bytes]:
    """The password as Java's PBKDF2 sees it: UTF-8 (version 2 on), low 8 bits per char (1)."""
    utf8 = password.encode("utf-8")
    low = bytes(ord(c) & 0xFF for c in password)
    return [utf8] if low == utf8 else [utf8, low]


def _blob_fields(plain: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(IV, key, checksum) from the decrypted master key blob, None if it is not one."""
    pad = plain[-1] if plain else 0
    if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
        return None
    plain = plain[:-pad]
    fields, at = [], 0
    for _ in range(3):
        if at >= len(plain):
            return None
        length = plain[at]
        fields.append(plain[at + 1 : at + 1 + length])
        if len(fields[-1]) != length:
            return None
        at += 1 + length
    return fields[0], fields[1], fields[2]


def _java_chars(data: bytes) -> bytes:
    """Bytes turned into Java chars by sign extension, then UTF-8 encoded (as Android's
    PBKDF2WithHmacSHA1 does with the master key's bytes)."""
    return "".join(chr(b if b < 0x80 else 0xFF00 | b) for b in data).encode("utf-8")


CONTAINERS.add("ab", AdbBackupContainer, "Android adb backup (.ab), plain or AES-256")
