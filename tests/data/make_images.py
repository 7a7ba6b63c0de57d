#!/usr/bin/env python3
"""Build the small test evidence images under tests/data/ with real tools, without mounting.

Run:  bash tests/data/make_images.sh      (or: python3 tests/data/make_images.py)

Tools used (Debian packages): dosfstools + mtools (FAT), exfatprogs (exFAT), e2fsprogs (ext4),
ntfs-3g (mkntfs, ntfscp, ntfslabel), gdisk (sgdisk), fdisk (sfdisk), ewf-tools (ewfacquire),
coreutils (split), gzip, ffmpeg; optional faketime (freezes the clock for tools that have no
option for fixed timestamps). Python: Pillow + numpy.

Everything is deterministic where the tools allow it: fixed seeds for the pictures, fixed volume
ids / UUIDs / GUIDs, fixed timestamps on the staged tree, E2FSPROGS_FAKE_TIME, SOURCE_DATE_EPOCH
and (when installed) libfaketime for mtools/mkntfs/ntfscp/mkfs.exfat/ewfacquire.
Raw images are committed gzip-compressed (gzip -n) because they are mostly zeros; tests gunzip
them into a temporary directory. E01 files and the split raw segments are committed as they are.

Writes tests/data/ground_truth.json describing every planted file and carving target.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
FIXED_TIME = "2024-03-01 12:00:00"
FIXED_EPOCH = 1709294400  # 2024-03-01T12:00:00Z
SECTOR = 512
MIB = 1024 * 1024

ENV = dict(os.environ)
ENV.update(
    TZ="UTC",
    LC_ALL="C.UTF-8",
    MTOOLS_SKIP_CHECK="1",
    MTOOLS_NO_VFAT="0",
    SOURCE_DATE_EPOCH=str(FIXED_EPOCH),
    E2FSPROGS_FAKE_TIME=str(FIXED_EPOCH),
)
FAKETIME = shutil.which("faketime")


def run(
    cmd: list[str], *, fake: bool = False, input: bytes | None = None, quiet: bool = True
) -> str:
    """Run a tool; with fake=True under libfaketime (frozen clock) when it is installed."""
    if fake and FAKETIME:
        cmd = [FAKETIME, "-f", FIXED_TIME] + cmd
    res = subprocess.run(cmd, env=ENV, input=input, capture_output=True)
    if res.returncode != 0:
        sys.stderr.write(
            f"FAILED: {' '.join(cmd)}\n{res.stdout.decode(errors='replace')}\n"
            f"{res.stderr.decode(errors='replace')}\n"
        )
        raise SystemExit(1)
    return res.stdout.decode(errors="replace")


# ---------------------------------------------------------------------------------------------
# Pictures and videos (deterministic)
# ---------------------------------------------------------------------------------------------


def _canvas(seed: int, w: int, h: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(max(2, h // 16), max(2, w // 16), 3), dtype=np.uint8)
    img = Image.fromarray(coarse, "RGB").resize((w, h), Image.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 8))):
        x0, y0 = int(rng.integers(0, w - 8)), int(rng.integers(0, h - 8))
        x1, y1 = x0 + int(rng.integers(8, w // 2 + 9)), y0 + int(rng.integers(8, h // 2 + 9))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.integers(0, 2):
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.rectangle((x0, y0, x1, y1), outline=colour, width=3)
    arr = np.asarray(img).astype(np.int16)
    arr += rng.integers(-12, 13, size=arr.shape, dtype=np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


def picture(kind: str, seed: int, w: int = 160, h: int = 120) -> bytes:
    img = _canvas(seed, w, h)
    buf = io.BytesIO()
    if kind == "jpeg":
        img.save(buf, "JPEG", quality=85)
    elif kind == "png":
        img.save(buf, "PNG", optimize=False, compress_level=9)
    elif kind == "gif":
        img.convert("P", palette=Image.ADAPTIVE, colors=64).save(buf, "GIF")
    elif kind == "webp":
        img.save(buf, "WEBP", quality=80, method=4)
    elif kind == "bmp":
        img.save(buf, "BMP")
    else:
        raise ValueError(kind)
    return buf.getvalue()


def noise_png(seed: int, w: int, h: int) -> bytes:
    """Incompressible picture (random pixels), used to make a multi-segment E01."""
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8), "RGB")
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


_MP4_CACHE: dict[int, bytes] = {}


def mp4(seed: int) -> bytes:
    if seed in _MP4_CACHE:
        return _MP4_CACHE[seed]
    with tempfile.TemporaryDirectory() as td:
        out = Path(td) / "clip.mp4"
        run(
            [
                "ffmpeg",
                "-nostdin",
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=1:size=96x64:rate=10",
                "-vf",
                f"hue=h={seed * 37 % 360}",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-threads",
                "1",
                "-pix_fmt",
                "yuv420p",
                "-x264-params",
                "threads=1:sliced-threads=0",
                "-fflags",
                "+bitexact",
                "-flags:v",
                "+bitexact",
                "-map_metadata",
                "-1",
                "-movflags",
                "+faststart",
                str(out),
            ]
        )
        data = out.read_bytes()
    _MP4_CACHE[seed] = data
    return data


def media(kind: str, seed: int, w: int = 160, h: int = 120) -> bytes:
    return mp4(seed) if kind == "mp4" else picture(kind, seed, w, h)


# ---------------------------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------------------------

GT: dict = {"generator": "tests/data/make_images.py", "images": {}}


def _hashes(data: bytes) -> dict:
    return {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
    }


def gt_image(name: str, **info) -> dict:
    entry = {"files": [], "carve_targets": [], **info}
    GT["images"][name] = entry
    return entry


def _is_short_name(name: str) -> bool:
    base, _, ext = name.partition(".")
    ok = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-~!#$%&'()@^`{}")
    return 0 < len(base) <= 8 and len(ext) <= 3 and set(base + ext) <= ok and "." not in ext


def gt_file(
    entry: dict, part: dict | None, fs: str, path: str, data: bytes, deleted: bool = False, **extra
) -> None:
    head, _, name = path.rpartition("/")
    if deleted and fs.startswith("fat") and _is_short_name(name):
        # A deleted 8.3-only entry (no long-name entries) loses its first character to 0xE5:
        # TSK lists it as "_MG_0002.JPG".
        extra["listed_path"] = f"{head}/_{name[1:]}"
    entry["files"].append(
        {
            "partition_index": None if part is None else part["index"],
            "partition_offset": 0 if part is None else part["offset"],
            "fs": fs,
            "path": path,
            "deleted": deleted,
            **_hashes(data),
            **extra,
        }
    )


def gt_carve(entry: dict, offset: int, data: bytes, where: str, kind: str) -> None:
    entry["carve_targets"].append({"offset": offset, "where": where, "type": kind, **_hashes(data)})


# ---------------------------------------------------------------------------------------------
# File system builders (all on plain files, no mounts)
# ---------------------------------------------------------------------------------------------


def stage_tree(root: Path, files: list[tuple[str, bytes]]) -> None:
    for rel, data in files:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    for p in sorted(root.rglob("*"), key=lambda q: -len(q.parts)):
        os.utime(p, (FIXED_EPOCH, FIXED_EPOCH), follow_symlinks=False)
    os.utime(root, (FIXED_EPOCH, FIXED_EPOCH))


def make_fat(
    img: Path,
    size: int,
    bits: int,
    volid: str,
    label: str,
    hidden: int,
    files: list[tuple[str, bytes]],
    delete: list[str],
) -> None:
    """mkfs.fat + mmd/mcopy; then mdel (clusters stay intact, only FAT chain + dir entry freed)."""
    img.unlink(missing_ok=True)
    with open(img, "wb") as f:
        f.truncate(size)
    run(
        [
            "mkfs.fat",
            "--invariant",
            "-F",
            str(bits),
            "-s",
            "1",
            "-S",
            "512",
            "-i",
            volid,
            "-n",
            label,
            "-h",
            str(hidden),
            str(img),
        ],
        fake=True,
    )
    made: set[str] = set()
    with tempfile.TemporaryDirectory() as td:
        for i, (rel, data) in enumerate(files):
            parts = rel.split("/")
            for k in range(1, len(parts)):
                d = "/".join(parts[:k])
                if d not in made:
                    run(["mmd", "-i", str(img), "::/" + d], fake=True)
                    made.add(d)
            src = Path(td) / f"f{i}"
            src.write_bytes(data)
            os.utime(src, (FIXED_EPOCH, FIXED_EPOCH))
            run(["mcopy", "-m", "-i", str(img), str(src), "::/" + rel], fake=True)
    for rel in delete:
        run(["mdel", "-i", str(img), "::/" + rel], fake=True)


def fat_free_tail(img: Path, length: int) -> int:
    """Byte offset (inside the FAT image) of a free run of clusters near the end of the volume,
    checked against `fsstat`-independent arithmetic from the boot sector."""
    b = img.read_bytes()[:512]
    bps, spc, rsv, nfat = struct.unpack_from("<HBHB", b, 11)
    (tot16,) = struct.unpack_from("<H", b, 19)
    (fatsz16,) = struct.unpack_from("<H", b, 22)
    (tot32,) = struct.unpack_from("<I", b, 32)
    (fatsz32,) = struct.unpack_from("<I", b, 36)
    (rootents,) = struct.unpack_from("<H", b, 17)
    total = (tot16 or tot32) * bps
    fatsz = fatsz16 or fatsz32
    clus = bps * spc
    # land on a cluster boundary ~ 8 clusters before the end, leaving room for the data
    off = total - ((length // clus) + 8) * clus
    data_start = (rsv + nfat * fatsz) * bps + ((rootents * 32 + bps - 1) // bps) * bps
    assert off > data_start
    return off


def make_ext4(
    img: Path, size: int, uuid: str, label: str, stage: Path, delete: list[str] = ()
) -> None:
    img.unlink(missing_ok=True)
    run(
        [
            "mke2fs",
            "-q",
            "-F",
            "-t",
            "ext4",
            "-b",
            "1024",
            "-N",
            "64",
            "-L",
            label,
            "-U",
            uuid,
            "-E",
            f"hash_seed={uuid},root_owner=0:0,lazy_itable_init=0,nodiscard",
            "-J",
            "size=1",
            "-d",
            str(stage),
            str(img),
            str(size // 1024),
        ],
        fake=True,
    )
    # mke2fs -d copies the staged files' ctime, which the host kernel sets to "now": pin it
    # (and every sub-second field) so that the image is reproducible.
    paths = ["/", "/lost+found"] + [
        "/" + str(p.relative_to(stage)) for p in sorted(stage.rglob("*"))
    ]
    cmds = "".join(
        f'sif "{p}" {field} {value}\n'
        for p in paths
        for field, value in (
            ("ctime", f"@{FIXED_EPOCH}"),
            ("ctime_extra", "0"),
            ("atime_extra", "0"),
            ("mtime_extra", "0"),
            ("crtime_extra", "0"),
        )
    )
    with tempfile.NamedTemporaryFile("w", suffix=".debugfs", encoding="utf-8") as cf:
        cf.write(cmds)
        cf.flush()
        run(["debugfs", "-w", "-f", cf.name, str(img)], fake=True)
    for rel in delete:
        # debugfs rm unlinks and frees inode + blocks but keeps the extent tree (content
        # stays recoverable with icat; a kernel delete would zero the extents).
        run(["debugfs", "-w", "-R", f"rm /{rel}", str(img)], fake=True)


def make_ntfs(
    img: Path,
    size: int,
    label: str,
    serial: str,
    start_sector: int,
    files: list[tuple[str, bytes]],
    ads: list[tuple[str, str, bytes]] = (),
) -> None:
    """mkntfs on a plain file + ntfscp (root folder only: ntfscp cannot create folders);
    alternate data streams via `ntfscp -N STREAM`."""
    img.unlink(missing_ok=True)
    with open(img, "wb") as f:
        f.truncate(size)
    run(
        [
            "mkntfs",
            "-F",
            "-Q",
            "-q",
            "-s",
            "512",
            "-c",
            "4096",
            "-p",
            str(start_sector),
            "-H",
            "255",
            "-S",
            "63",
            "-L",
            label,
            str(img),
        ],
        fake=True,
    )
    run(["ntfslabel", "-f", "--new-serial=" + serial, str(img)], fake=True)
    with tempfile.TemporaryDirectory() as td:
        for i, (name, data) in enumerate(files):
            src = Path(td) / f"f{i}"
            src.write_bytes(data)
            os.utime(src, (FIXED_EPOCH, FIXED_EPOCH))
            run(["ntfscp", "-q", "-t", str(img), str(src), name], fake=True)
        for i, (name, stream, data) in enumerate(ads):
            src = Path(td) / f"a{i}"
            src.write_bytes(data)
            run(["ntfscp", "-q", "-N", stream, str(img), str(src), name], fake=True)


class ExFatWriter:
    """Adds folders and contiguous files to a freshly made exFAT volume by writing directory
    entry sets, allocation-bitmap bits and cluster data directly (there is no mtools-like tool for
    exFAT and mounting is not allowed). Files use NoFatChain (contiguous clusters), as Windows
    writes them; deleting clears the entries' in-use bits and the bitmap bits, leaving the data.
    Names are hashed with ASCII up-casing only, which is exact for the names used here."""

    ATTR_DIR, ATTR_ARCHIVE = 0x10, 0x20

    def __init__(self, img: Path) -> None:
        self.f = open(img, "r+b")
        b = self._read(0, 512)
        self.fat_off, _, self.heap_off, self.nclus, self.root = struct.unpack_from(
            "<IIIII", b, 0x50
        )
        self.bps = 1 << b[0x6C]
        self.csize = self.bps << b[0x6D]
        root = self._read(self.coff(self.root), self.csize)
        for i in range(0, self.csize, 32):
            if root[i] == 0x81:
                (self.bm_clus,) = struct.unpack_from("<I", root, i + 20)
                (self.bm_len,) = struct.unpack_from("<Q", root, i + 24)
        self.bitmap = bytearray(self._read(self.coff(self.bm_clus), self.bm_len))
        self.dirs: dict[str, int] = {"": self.root}
        self.sets: dict[str, tuple[int, int, int, int]] = {}
        ts = ((2024 - 1980) << 25) | (3 << 21) | (1 << 16) | (12 << 11)
        self.ts = ts

    def _read(self, off: int, n: int) -> bytes:
        self.f.seek(off)
        return self.f.read(n)

    def _write(self, off: int, data: bytes) -> None:
        self.f.seek(off)
        self.f.write(data)

    def coff(self, clus: int) -> int:
        return self.heap_off * self.bps + (clus - 2) * self.csize

    def _alloc(self, n: int) -> int:
        run_start, run = 0, 0
        for c in range(2, self.nclus + 2):
            i = c - 2
            if self.bitmap[i // 8] >> (i % 8) & 1:
                run = 0
                continue
            if run == 0:
                run_start = c
            run += 1
            if run == n:
                for k in range(run_start, run_start + n):
                    self.bitmap[(k - 2) // 8] |= 1 << ((k - 2) % 8)
                return run_start
        raise RuntimeError("exFAT volume full")

    @staticmethod
    def _chk(data: bytes, skip: tuple[int, ...] = ()) -> int:
        c = 0
        for i, byte in enumerate(data):
            if i in skip:
                continue
            c = (((c << 15) | (c >> 1)) & 0xFFFF) + byte & 0xFFFF
        return c

    def _entry_set(self, name: str, attr: int, first: int, length: int, valid: int) -> bytes:
        u = name.encode("utf-16-le")
        nlen = len(u) // 2
        up = "".join(ch.upper() if ch.isascii() else ch for ch in name).encode("utf-16-le")
        name_hash = self._chk(up)
        n_name = (nlen + 14) // 15
        flags = 0x03 if length else 0x01  # AllocationPossible | NoFatChain
        stream = struct.pack(
            "<BBBBHHQIIQ",
            0xC0,
            flags,
            0,
            nlen,
            name_hash,
            0,
            valid,
            0,
            first if length else 0,
            length,
        )
        names = b""
        for k in range(n_name):
            part = u[k * 30 : (k + 1) * 30].ljust(30, b"\0")
            names += struct.pack("<BB", 0xC1, 0) + part
        primary = bytearray(
            struct.pack(
                "<BBHHHIIIBBBBB",
                0x85,
                1 + n_name,
                0,
                attr,
                0,
                self.ts,
                self.ts,
                self.ts,
                0,
                0,
                0x80,
                0x80,
                0x80,
            ).ljust(32, b"\0")
        )
        es = bytes(primary) + stream + names
        struct.pack_into("<H", primary, 2, self._chk(es, skip=(2, 3)))
        return bytes(primary) + stream + names

    def _place_set(self, parent: str, es: bytes) -> int:
        clus = self.dirs[parent]
        base = self.coff(clus)
        d = self._read(base, self.csize)
        need = len(es) // 32
        free = 0
        for i in range(self.csize // 32):
            free = free + 1 if d[i * 32] < 0x80 else 0
            if free == need:
                off = base + (i - need + 1) * 32
                self._write(off, es)
                return off
        raise RuntimeError(f"exFAT directory {parent!r} is full")

    def mkdir(self, path: str) -> None:
        parent, _, name = path.rpartition("/")
        if path in self.dirs:
            return
        if parent and parent not in self.dirs:
            self.mkdir(parent)
        clus = self._alloc(1)
        self._write(self.coff(clus), b"\0" * self.csize)
        es = self._entry_set(name, self.ATTR_DIR, clus, self.csize, self.csize)
        self.sets[path] = (self._place_set(parent, es), len(es) // 32, clus, 1)
        self.dirs[path] = clus

    def add_file(self, path: str, data: bytes) -> None:
        parent, _, name = path.rpartition("/")
        if parent:
            self.mkdir(parent)
        n = max(1, -(-len(data) // self.csize))
        clus = self._alloc(n)
        self._write(self.coff(clus), data.ljust(n * self.csize, b"\0"))
        es = self._entry_set(name, self.ATTR_ARCHIVE, clus, len(data), len(data))
        self.sets[path] = (self._place_set(parent, es), len(es) // 32, clus, n)

    def delete(self, path: str) -> None:
        off, count, clus, n = self.sets.pop(path)
        for k in range(count):
            t = self._read(off + 32 * k, 1)[0]
            self._write(off + 32 * k, bytes([t & 0x7F]))
        for c in range(clus, clus + n):
            self.bitmap[(c - 2) // 8] &= ~(1 << ((c - 2) % 8)) & 0xFF

    def close(self) -> None:
        self._write(self.coff(self.bm_clus), bytes(self.bitmap))
        self.f.close()


def write_at(img: Path, offset: int, data: bytes) -> None:
    with open(img, "r+b") as f:
        f.seek(offset)
        f.write(data)


def place(disk: Path, offset: int, fs_img: Path) -> None:
    """dd conv=notrunc of a file-system image into a partition range of a disk image."""
    run(
        [
            "dd",
            f"if={fs_img}",
            f"of={disk}",
            "bs=64K",
            f"seek={offset}",
            "oflag=seek_bytes",
            "conv=notrunc,sparse",
            "status=none",
        ]
    )


def sfdisk(disk: Path, script: str) -> list[dict]:
    run(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", str(disk)], input=script.encode())
    table = json.loads(run(["sfdisk", "-J", str(disk)]))["partitiontable"]
    return table["partitions"]


def gzip_to(src: Path, dst: Path) -> None:
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        with gzip.GzipFile(filename="", mode="wb", fileobj=fo, compresslevel=9, mtime=0) as gz:
            shutil.copyfileobj(fi, gz, 1 << 20)


def ewfacquire(
    raw: Path,
    target: Path,
    case: str,
    desc: str,
    evid: str,
    notes: str,
    segment: int | None = None,
    compression: str = "deflate:best",
) -> None:
    for old in target.parent.glob(target.name + ".E??"):
        old.unlink()
    cmd = [
        "ewfacquire",
        "-u",
        "-q",
        "-t",
        str(target),
        "-c",
        compression,
        "-f",
        "encase6",
        "-m",
        "fixed",
        "-M",
        "physical",
        "-d",
        "sha1",
        "-b",
        "64",
        "-P",
        "512",
        "-C",
        case,
        "-D",
        desc,
        "-E",
        evid,
        "-e",
        "dftriage test generator",
        "-N",
        notes,
    ]
    if segment:
        cmd += ["-S", str(segment)]
    run(cmd + [str(raw)], fake=True)
    run(["ewfverify", "-q", str(target) + ".E01"])


# ---------------------------------------------------------------------------------------------
# The images
# ---------------------------------------------------------------------------------------------

FAT32_SIZE = (
    34 * MIB
)  # FAT32 needs >= 65525 clusters or TSK calls it "Cannot determine file system type"


def build_fat32(work: Path) -> None:
    files = [
        ("DCIM/Camera/IMG_20240301_101500.jpg", media("jpeg", 101, 200, 150)),
        ("DCIM/Camera/IMG_20240301_101530.jpg", media("jpeg", 102, 180, 240)),
        ("DCIM/Camera/VID_20240301_101600.mp4", media("mp4", 103)),
        ("Pictures/Screenshots/Screenshot_20240302-091011.png", media("png", 104, 120, 200)),
        ("Pictures/holiday photo.gif", media("gif", 105, 96, 96)),
        ("Download/sticker.webp", media("webp", 106, 128, 128)),
        (
            "Android/data/com.kakao.talk/contents/KakaoTalk_20240303_0001.jpg",
            media("jpeg", 107, 240, 180),
        ),
        ("SHORT.JPG", media("jpeg", 108, 64, 64)),
        ("deleted_root_picture.jpg", media("jpeg", 109, 160, 160)),
    ]
    delete = [
        "DCIM/Camera/IMG_20240301_101530.jpg",
        "Download/sticker.webp",
        "deleted_root_picture.jpg",
    ]
    img = work / "fat32.img"
    make_fat(img, FAT32_SIZE, 32, "1a2b3c4d", "DFT_FAT32", 0, files, delete)
    entry = gt_image(
        "fat32.img.gz",
        raw_name="fat32.img",
        layout="single file system (no partition table)",
        fs="FAT32",
        size=img.stat().st_size,
    )
    for rel, data in files:
        gt_file(entry, None, "fat32", "/" + rel, data, rel in delete)
    gzip_to(img, HERE / "fat32.img.gz")


def build_ext4(work: Path) -> None:
    files = [
        ("DCIM/Camera/IMG_20240305_080000.jpg", media("jpeg", 201, 200, 150)),
        ("DCIM/Camera/IMG_20240305_080100.jpg", media("jpeg", 202, 150, 200)),
        ("Pictures/Screenshots/Screenshot_20240305-090000.png", media("png", 203, 100, 160)),
        (
            "Android/data/org.telegram.messenger/cache/-6012345678_121.jpg",
            media("jpeg", 204, 120, 90),
        ),
        ("<img src=x onerror=alert(1)>.jpg", media("jpeg", 205, 96, 96)),
        ("피해자_사진.jpg", media("jpeg", 206, 128, 96)),
        ("media/loop.gif", media("gif", 207, 80, 80)),
        ("media/clip.mp4", media("mp4", 208)),
    ]
    delete = ["DCIM/Camera/IMG_20240305_080100.jpg"]
    with tempfile.TemporaryDirectory() as td:
        stage = Path(td) / "root"
        stage.mkdir()
        stage_tree(stage, files)
        img = work / "ext4.img"
        make_ext4(img, 4 * MIB, "5e1c7a2b-0000-4000-8000-00000000e4e4", "dft_ext4", stage, delete)
    entry = gt_image(
        "ext4.img.gz",
        raw_name="ext4.img",
        layout="single file system (no partition table)",
        fs="ext4",
        size=img.stat().st_size,
        note="the deleted file was removed with `debugfs rm`, which keeps its extent tree, "
        "so icat still returns its content (a kernel delete would zero the extents)",
    )
    for rel, data in files:
        gt_file(entry, None, "ext4", "/" + rel, data, rel in delete)
    gzip_to(img, HERE / "ext4.img.gz")


def build_ntfs(work: Path) -> None:
    files = [
        ("IMG_0001.jpg", media("jpeg", 301, 200, 150)),
        ("Screenshot 2024-03-06 101010.png", media("png", 302, 160, 100)),
        ("animation.gif", media("gif", 303, 64, 64)),
        ("notes.txt", b"nothing to see here\r\n"),
        ("사진.webp", media("webp", 304, 96, 128)),
    ]
    hidden = media("jpeg", 305, 120, 120)
    ads = [("notes.txt", "hidden.jpg", hidden)]
    img = work / "ntfs.img"
    make_ntfs(img, 4 * MIB, "DFT_NTFS", "0x1122334455667788", 0, files, ads)
    entry = gt_image(
        "ntfs.img.gz",
        raw_name="ntfs.img",
        layout="single file system (no partition table)",
        fs="NTFS",
        size=img.stat().st_size,
        note="ntfscp cannot create folders or delete files: all files are in the root folder, "
        "none deleted; notes.txt carries an alternate data stream hidden.jpg",
    )
    for rel, data in files:
        gt_file(entry, None, "ntfs", "/" + rel, data, False)
    gt_file(entry, None, "ntfs", "/notes.txt:hidden.jpg", hidden, False, ads=True)
    gzip_to(img, HERE / "ntfs.img.gz")


def build_exfat(work: Path) -> None:
    files = [
        ("DCIM/100CANON/IMG_0001.JPG", media("jpeg", 801, 240, 180)),
        ("DCIM/100CANON/IMG_0002.JPG", media("jpeg", 802, 180, 240)),
        ("DCIM/100CANON/MVI_0003.MP4", media("mp4", 803)),
        ("Pictures/KakaoTalk/카카오톡_사진_20240320.jpg", media("jpeg", 804, 160, 120)),
        ("Pictures/Screenshots/Screenshot 2024-03-20 at 10.00.00.png", media("png", 805, 140, 100)),
        (
            "Download/a very long file name that needs several name entries.webp",
            media("webp", 806, 96, 96),
        ),
        ("animation.gif", media("gif", 807, 72, 72)),
    ]
    delete = [
        "DCIM/100CANON/IMG_0002.JPG",
        "Download/a very long file name that needs several name entries.webp",
    ]
    img = work / "exfat.img"
    img.unlink(missing_ok=True)
    with open(img, "wb") as f:
        f.truncate(8 * MIB)
    run(["mkfs.exfat", "-c", "4K", "-L", "DFT_EXFAT", str(img)], fake=True)
    run(["tune.exfat", "-I", "0x1a2b3c4e", str(img)], fake=True)
    w = ExFatWriter(img)
    for rel, data in files:
        w.add_file(rel, data)
    for rel in delete:
        w.delete(rel)
    w.close()
    entry = gt_image(
        "exfat.img.gz",
        raw_name="exfat.img",
        layout="single file system (no partition table)",
        fs="exFAT",
        size=img.stat().st_size,
        note="files written by make_images.py's ExFatWriter (contiguous, NoFatChain) into a "
        "mkfs.exfat volume; deleted = entry in-use bits and bitmap bits cleared",
    )
    for rel, data in files:
        gt_file(entry, None, "exfat", "/" + rel, data, rel in delete)
    gzip_to(img, HERE / "exfat.img.gz")


def build_gpt(work: Path) -> None:
    disk = work / "gpt.img"
    disk.unlink(missing_ok=True)
    p1_start, p1_size = 2048, FAT32_SIZE // SECTOR  # FAT32
    gap = 1 * MIB  # unpartitioned gap
    p2_start = p1_start + p1_size + gap // SECTOR
    p2_size = 4 * MIB // SECTOR  # ext4
    tail = 1 * MIB  # free space after the last partition
    total = (p2_start + p2_size) * SECTOR + tail + 33 * SECTOR  # + backup GPT
    with open(disk, "wb") as f:
        f.truncate(total)
    run(
        [
            "sgdisk",
            "-o",
            "-U",
            "6c1d3a3e-7f00-4d6a-9a5e-0000000000a1",
            "-n",
            f"1:{p1_start}:{p1_start + p1_size - 1}",
            "-t",
            "1:0700",
            "-c",
            "1:photos",
            "-u",
            "1:6c1d3a3e-7f00-4d6a-9a5e-0000000000b1",
            "-n",
            f"2:{p2_start}:{p2_start + p2_size - 1}",
            "-t",
            "2:8300",
            "-c",
            "2:linux",
            "-u",
            "2:6c1d3a3e-7f00-4d6a-9a5e-0000000000b2",
            str(disk),
        ]
    )
    entry = gt_image(
        "gpt.img.gz",
        raw_name="gpt.img",
        layout="GPT: p1 FAT32, 1 MiB gap, p2 ext4, 1 MiB free",
        size=total,
        partitions=[
            {"index": 0, "offset": p1_start * SECTOR, "length": p1_size * SECTOR, "fs": "FAT32"},
            {"index": 1, "offset": p2_start * SECTOR, "length": p2_size * SECTOR, "fs": "ext4"},
        ],
    )
    part1, part2 = entry["partitions"]
    fat_files = [
        ("DCIM/Camera/IMG_20240310_120000.jpg", media("jpeg", 401, 200, 150)),
        ("DCIM/Camera/IMG_20240310_120500.jpg", media("jpeg", 402, 150, 150)),
        ("Telegram Desktop/photo_2024-03-10_12-10-00.jpg", media("jpeg", 403, 180, 120)),
    ]
    fat_del = ["DCIM/Camera/IMG_20240310_120500.jpg"]
    fat = work / "gpt_p1.img"
    make_fat(fat, p1_size * SECTOR, 32, "2b3c4d5e", "GPT_FAT32", p1_start, fat_files, fat_del)
    place(disk, part1["offset"], fat)
    for rel, data in fat_files:
        gt_file(entry, part1, "fat32", "/" + rel, data, rel in fat_del)
    ext_files = [
        ("home/user/Pictures/wallpaper.png", media("png", 404, 160, 90)),
        ("home/user/Downloads/meme.webp", media("webp", 405, 100, 100)),
    ]
    with tempfile.TemporaryDirectory() as td:
        stage = Path(td) / "root"
        stage.mkdir()
        stage_tree(stage, ext_files)
        ext = work / "gpt_p2.img"
        make_ext4(ext, p2_size * SECTOR, "6c1d3a3e-7f00-4d6a-9a5e-0000000000c2", "gpt_ext4", stage)
    place(disk, part2["offset"], ext)
    for rel, data in ext_files:
        gt_file(entry, part2, "ext4", "/" + rel, data, False)
    # a JPEG in the unpartitioned gap, at an unaligned offset
    planted = media("jpeg", 406, 140, 100)
    off = (p1_start + p1_size) * SECTOR + 777
    write_at(disk, off, planted)
    gt_carve(entry, off, planted, "unpartitioned gap between p1 and p2", "jpeg")
    # and one in the free space after the last partition (sector aligned)
    planted2 = media("png", 407, 90, 90)
    off2 = (p2_start + p2_size) * SECTOR + 4096
    write_at(disk, off2, planted2)
    gt_carve(entry, off2, planted2, "unpartitioned space after the last partition", "png")
    gzip_to(disk, HERE / "gpt.img.gz")


def build_mbr(work: Path) -> None:
    disk = work / "mbr.img"
    disk.unlink(missing_ok=True)
    total = 20 * MIB
    with open(disk, "wb") as f:
        f.truncate(total)
    parts = sfdisk(
        disk,
        "label: dos\nlabel-id: 0x1a2b3c4d\nunit: sectors\n\n"
        "start=2048, size=8192, type=6\n"
        "start=10240, size=28672, type=5\n"
        "start=12288, size=8192, type=83\n"
        "start=22528, size=8192, type=7\n",
    )
    starts = {p["node"][-1]: p for p in parts}
    p_fat, p_ext4, p_ntfs = starts["1"], starts["5"], starts["6"]
    entry = gt_image(
        "mbr.img.gz",
        raw_name="mbr.img",
        layout="MBR: p1 FAT16; p2 extended holding p5 ext4 and p6 NTFS",
        size=total,
        partitions=[
            {
                "index": i,
                "offset": p["start"] * SECTOR,
                "length": p["size"] * SECTOR,
                "fs": fs,
                "mbr_slot": slot,
            }
            for i, (p, fs, slot) in enumerate(
                [(p_fat, "FAT16", 1), (p_ext4, "ext4", 5), (p_ntfs, "NTFS", 6)]
            )
        ],
    )
    pf, pe, pn = entry["partitions"]
    fat_files = [
        ("DCIM/100MEDIA/DSC00001.JPG", media("jpeg", 501, 200, 150)),
        ("DCIM/100MEDIA/DSC00002.JPG", media("jpeg", 502, 160, 120)),
        (
            "Android/data/org.telegram.messenger/cache/5_2024031012.jpg",
            media("jpeg", 503, 120, 160),
        ),
        ("old photo.png", media("png", 504, 100, 100)),
    ]
    fat_del = ["DCIM/100MEDIA/DSC00002.JPG", "old photo.png"]
    fat = work / "mbr_p1.img"
    make_fat(
        fat, p_fat["size"] * SECTOR, 16, "3c4d5e6f", "MBR_FAT16", p_fat["start"], fat_files, fat_del
    )
    planted = media("jpeg", 505, 150, 110)
    inner = fat_free_tail(fat, len(planted))
    write_at(fat, inner, planted)
    place(disk, pf["offset"], fat)
    for rel, data in fat_files:
        gt_file(entry, pf, "fat16", "/" + rel, data, rel in fat_del)
    gt_carve(
        entry,
        pf["offset"] + inner,
        planted,
        "unallocated clusters of the FAT16 file system (p1)",
        "jpeg",
    )
    ext_files = [
        ("photos/IMG_1001.jpg", media("jpeg", 506, 128, 128)),
        ("photos/screens/IMG_1002.png", media("png", 507, 96, 160)),
    ]
    with tempfile.TemporaryDirectory() as td:
        stage = Path(td) / "root"
        stage.mkdir()
        stage_tree(stage, ext_files)
        ext = work / "mbr_p5.img"
        make_ext4(
            ext, p_ext4["size"] * SECTOR, "7d8e9fa0-0000-4000-8000-0000000000e5", "mbr_ext4", stage
        )
    place(disk, pe["offset"], ext)
    for rel, data in ext_files:
        gt_file(entry, pe, "ext4", "/" + rel, data, False)
    ntfs_files = [
        ("IMG_2001.jpg", media("jpeg", 508, 180, 120)),
        ("chart.gif", media("gif", 509, 64, 48)),
    ]
    ntfs = work / "mbr_p6.img"
    make_ntfs(
        ntfs, p_ntfs["size"] * SECTOR, "MBR_NTFS", "0x2233445566778899", p_ntfs["start"], ntfs_files
    )
    place(disk, pn["offset"], ntfs)
    for rel, data in ntfs_files:
        gt_file(entry, pn, "ntfs", "/" + rel, data, False)
    gzip_to(disk, HERE / "mbr.img.gz")


def build_example(work: Path) -> None:
    """The README demo evidence: MBR disk, FAT32 (phone SD card style) + ext4, as a compressed E01."""
    disk = work / "example.raw"
    disk.unlink(missing_ok=True)
    fat_sectors = FAT32_SIZE // SECTOR
    ext_sectors = 4 * MIB // SECTOR
    total = (2048 + fat_sectors + 2048 + ext_sectors) * SECTOR + 512 * 1024
    with open(disk, "wb") as f:
        f.truncate(total)
    parts = sfdisk(
        disk,
        "label: dos\nlabel-id: 0x0e0a0b01\nunit: sectors\n\n"
        f"start=2048, size={fat_sectors}, type=c\n"
        f"start={2048 + fat_sectors + 2048}, size={ext_sectors}, type=83\n",
    )
    p1, p2 = parts
    entry = gt_image(
        "example.E01",
        raw_name="example.raw",
        layout="MBR: p1 FAT32 (phone storage), p2 ext4; 512 KiB free after p2",
        size=total,
        segments=["example.E01"],
        partitions=[
            {
                "index": 0,
                "offset": p1["start"] * SECTOR,
                "length": p1["size"] * SECTOR,
                "fs": "FAT32",
            },
            {
                "index": 1,
                "offset": p2["start"] * SECTOR,
                "length": p2["size"] * SECTOR,
                "fs": "ext4",
            },
        ],
    )
    e1, e2 = entry["partitions"]
    dup = media("jpeg", 601, 240, 180)
    fat_files = [
        ("DCIM/Camera/IMG_20240315_193000.jpg", dup),
        ("DCIM/Camera/IMG_20240315_193100.jpg", media("jpeg", 602, 180, 240)),
        ("DCIM/Camera/VID_20240315_193200.mp4", media("mp4", 603)),
        ("Pictures/Screenshots/Screenshot_20240316-101500.png", media("png", 604, 120, 200)),
        ("Telegram Desktop/photo_2024-03-16_22-01-05.jpg", dup),
        (
            "Android/data/org.telegram.messenger/cache/-1001234567_88.jpg",
            media("jpeg", 605, 160, 120),
        ),
        (
            "Android/data/com.kakao.talk/contents/KakaoTalk_Photo_20240317.jpg",
            media("jpeg", 606, 200, 200),
        ),
        ("Android/data/com.kakao.talk/contents/emoticon.gif", media("gif", 607, 80, 80)),
        ("Download/sticker.webp", media("webp", 608, 128, 128)),
    ]
    fat_del = [
        "DCIM/Camera/IMG_20240315_193100.jpg",
        "Android/data/org.telegram.messenger/cache/-1001234567_88.jpg",
    ]
    fat = work / "example_p1.img"
    make_fat(fat, fat_sectors * SECTOR, 32, "0e0a0b02", "PHONE_SD", p1["start"], fat_files, fat_del)
    carve = media("jpeg", 609, 200, 140)
    inner = fat_free_tail(fat, len(carve))
    write_at(fat, inner, carve)
    place(disk, e1["offset"], fat)
    for rel, data in fat_files:
        gt_file(entry, e1, "fat32", "/" + rel, data, rel in fat_del)
    gt_carve(
        entry,
        e1["offset"] + inner,
        carve,
        "unallocated clusters of the FAT32 file system (p1), in no file",
        "jpeg",
    )
    ext_files = [
        ("home/user/Pictures/IMG_0042.jpg", media("jpeg", 610, 160, 160)),
        ("home/user/.cache/thumbnails/normal/3f2a.png", media("png", 611, 128, 96)),
    ]
    with tempfile.TemporaryDirectory() as td:
        stage = Path(td) / "root"
        stage.mkdir()
        stage_tree(stage, ext_files)
        ext = work / "example_p2.img"
        make_ext4(
            ext, ext_sectors * SECTOR, "0e0a0b03-0000-4000-8000-0000000000e4", "example_ext4", stage
        )
    place(disk, e2["offset"], ext)
    for rel, data in ext_files:
        gt_file(entry, e2, "ext4", "/" + rel, data, False)
    entry["media_sha256"] = hashlib.sha256(disk.read_bytes()).hexdigest()
    entry["media_md5"] = hashlib.md5(disk.read_bytes()).hexdigest()
    entry["media_sha1"] = hashlib.sha1(disk.read_bytes()).hexdigest()
    ewfacquire(
        disk,
        HERE / "example",
        "DFT-2024-001",
        "Example seized phone SD card",
        "EVID-001",
        "Synthetic test image made by tests/data/make_images.py",
    )


def build_split(work: Path) -> None:
    """2 MiB MBR disk with a FAT12 partition; committed as split raw (.001/.002) and as a
    two-segment E01 (example-split.E01/.E02; 1 MiB is ewfacquire's smallest segment size, so
    the disk holds an incompressible 1.1 MB noise PNG)."""
    disk = work / "split.raw"
    disk.unlink(missing_ok=True)
    total = 2 * MIB
    with open(disk, "wb") as f:
        f.truncate(total)
    parts = sfdisk(disk, "label: dos\nlabel-id: 0x5b117000\nunit: sectors\n\nstart=128, type=1\n")
    p1 = parts[0]
    entry = gt_image(
        "split.raw.001",
        raw_name="split.raw",
        layout="MBR: p1 FAT12 at sector 128",
        size=total,
        segments=["split.raw.001", "split.raw.002"],
        partitions=[
            {
                "index": 0,
                "offset": p1["start"] * SECTOR,
                "length": p1["size"] * SECTOR,
                "fs": "FAT12",
            }
        ],
    )
    e1 = entry["partitions"][0]
    files = [
        ("noise.png", noise_png(701, 620, 600)),
        ("DCIM/IMG_0001.JPG", media("jpeg", 702, 160, 120)),
        ("DCIM/IMG_0002.JPG", media("jpeg", 703, 120, 160)),
    ]
    dele = ["DCIM/IMG_0002.JPG"]
    fat = work / "split_p1.img"
    make_fat(fat, p1["size"] * SECTOR, 12, "5b117001", "SPLIT", p1["start"], files, dele)
    place(disk, e1["offset"], fat)
    for rel, data in files:
        gt_file(entry, e1, "fat12", "/" + rel, data, rel in dele)
    entry["media_sha256"] = hashlib.sha256(disk.read_bytes()).hexdigest()
    entry["media_md5"] = hashlib.md5(disk.read_bytes()).hexdigest()
    entry["media_sha1"] = hashlib.sha1(disk.read_bytes()).hexdigest()
    for old in HERE.glob("split.raw.0*"):
        old.unlink()
    run(
        [
            "split",
            "-b",
            str(MIB),
            "-d",
            "-a",
            "3",
            "--numeric-suffixes=1",
            str(disk),
            str(HERE / "split.raw."),
        ]
    )
    ewfacquire(
        disk,
        HERE / "example-split",
        "DFT-2024-002",
        "Split E01 test image",
        "EVID-002",
        "Two segments; same media as split.raw.001/.002",
        segment=MIB,
    )
    segs = sorted(p.name for p in HERE.glob("example-split.E??"))
    e01 = json.loads(json.dumps(entry))
    e01["segments"] = segs
    GT["images"]["example-split.E01"] = e01


def main() -> None:
    only = set(sys.argv[1:])
    builders = {
        "fat32": build_fat32,
        "ext4": build_ext4,
        "exfat": build_exfat,
        "ntfs": build_ntfs,
        "gpt": build_gpt,
        "mbr": build_mbr,
        "example": build_example,
        "split": build_split,
    }
    gt_path = HERE / "ground_truth.json"
    if only and gt_path.exists():  # partial rebuild: keep the other images' entries
        GT["images"].update(json.loads(gt_path.read_text())["images"])
    with tempfile.TemporaryDirectory(prefix="dft-images-") as td:
        for name, fn in builders.items():
            if only and name not in only:
                continue
            print(f"building {name} ...", flush=True)
            fn(Path(td))
    GT["images"] = dict(sorted(GT["images"].items()))
    gt_path.write_text(json.dumps(GT, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", gt_path)


if __name__ == "__main__":
    main()
