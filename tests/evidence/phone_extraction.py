"""A generator of phone-like extraction archives for tests and benches.

`plant(seed)` lays out an Android or iOS full-file-system extraction (camera photos,
KakaoTalk's extension-less chat media, Telegram folders, a screenshot, non-media files, an
archive inside the archive); `write_zip`/`write_tar` store it with Python's own zipfile and
tarfile, in a member order, compression and time layout that vary with the seed. Every
planted picture is returned with the path a scan must report and its SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import random
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

ANDROID_ROOTS = ("", "sdcard/", "data/media/0/", "storage/emulated/0/")
IOS_ROOT = "private/var/mobile/"


@dataclass(frozen=True)
class Planted:
    """One file of the extraction: where it sits and what it holds."""

    path: str  # inside the archive, "/"-separated, no leading "/"
    data: bytes
    mtime: int
    picture: bool = True
    inner: str = ""  # for a picture inside a nested archive: its path there

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def picture(rng: random.Random, kind: str = "JPEG") -> bytes:
    """A small noisy picture (each one distinct), of a size that varies with `rng`."""
    width, height = rng.randint(40, 220), rng.randint(40, 220)
    pixels = bytes(rng.getrandbits(8) for _ in range(width * height * 3))
    image = Image.frombytes("RGB", (width, height), pixels)
    out = io.BytesIO()
    image.save(out, kind, **({"quality": rng.randint(60, 95)} if kind == "JPEG" else {}))
    return out.getvalue()


def plant(seed: int) -> list[Planted]:
    """The files of one extraction; layout, names, counts and times vary with `seed`."""
    rng = random.Random(seed)
    ios = rng.random() < 0.3
    root = IOS_ROOT if ios else rng.choice(ANDROID_ROOTS)
    base = 1_600_000_000 + rng.randint(0, 10**8)

    def when() -> int:
        return base + rng.randint(0, 10**7)

    files: list[Planted] = []
    camera = "Media/DCIM/100APPLE" if ios else "DCIM/Camera"
    for index in range(rng.randint(2, 5)):
        files.append(Planted(f"{root}{camera}/IMG_{index:04d}.jpg", picture(rng), when()))
    if ios:
        group = "Containers/Shared/AppGroup/ABCD-1234/Library/PrivateDocuments/chat"
        chat = rng.randint(10**15, 10**16)
        files.append(Planted(f"{root}{group}/{chat}/{rng.getrandbits(64):x}", picture(rng), when()))
    else:
        for folder in ("Mg==", "Mg==", "Mw=="):
            chat = rng.randint(10**15, 10**16)
            name = hashlib.sha1(rng.randbytes(8)).hexdigest()
            kakao = f"{root}Android/data/com.kakao.talk/contents/{folder}/{chat}/{name}"
            files.append(Planted(kakao, picture(rng), when()))
        telegram = f"{root}Android/data/org.telegram.messenger/files/Telegram/Telegram Images"
        files.append(
            Planted(f"{telegram}/{rng.randint(1, 9**9)}_x.png", picture(rng, "PNG"), when())
        )
    files.append(Planted(f"{root}notes/readme.txt", b"not a picture\n" * 40, when(), False))
    inner_name = f"saved/{rng.randint(1, 999)}.jpg"
    inner = Planted(f"{root}Download/album.zip", picture(rng), when(), inner=inner_name)
    files.append(inner)
    rng.shuffle(files)
    return files


def nested_zip(item: Planted) -> bytes:
    """The bytes of the archive inside the archive (a zip holding `item`'s picture)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo(item.inner, date_time=(2024, 3, 1, 10, 0, 0))
        archive.writestr(info, item.data)
    return out.getvalue()


def stored_bytes(item: Planted) -> bytes:
    return nested_zip(item) if item.inner else item.data


def write_zip(files: list[Planted], path: Path, seed: int) -> Path:
    """The extraction as a zip; compression varies per member, times are UTC extras."""
    rng = random.Random(seed)
    with zipfile.ZipFile(path, "w") as archive:
        for item in files:
            info = zipfile.ZipInfo(item.path, date_time=(2024, 1, 2, 3, 4, 6))
            info.compress_type = rng.choice((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED))
            info.extra = b"\x55\x54\x05\x00\x01" + item.mtime.to_bytes(4, "little")
            archive.writestr(info, stored_bytes(item))
    return path


def write_tar(files: list[Planted], path: Path, mode: str = "w") -> Path:
    """The extraction as a tar (`mode` "w", "w:gz", "w:bz2" or "w:xz"), with folders."""
    with tarfile.open(path, mode) as archive:
        folders = sorted({str(Path(item.path).parent) for item in files} - {"."})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        for item in files:
            data = stored_bytes(item)
            info = tarfile.TarInfo(item.path)
            info.size, info.mtime = len(data), item.mtime
            archive.addfile(info, io.BytesIO(data))
    return path
