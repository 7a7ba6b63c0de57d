"""Carving benchmark: dftriage against PhotoRec, foremost and scalpel on the same test disk.

Builds a GPT disk with FAT32, ext4 and NTFS partitions and unpartitioned space, old data
(random bytes) everywhere, and media of every family planted: allocated, deleted, in
unpartitioned space on the 4 KiB grid and at unaligned offsets, truncated, and JPEGs split
in two fragments. Then runs each tool on the image (page cache warmed first, or emptied
with --cold, so all see the same cache) and prints, per tool: byte-exact recall per
category and per format (SHA-256 against ground truth), partial recoveries, embedded
finds, junk outputs, MB/s, peak RSS, and ratios against PhotoRec measured in the same run.
`dd` reading the image to /dev/null and `md5sum` reading and hashing it (no carving) are
timed alike: the floor any tool reads at, and a single-core pass that touches every byte.

    python bench/carve_vs_peers.py                 # 512 MiB disk, a few minutes
    python bench/carve_vs_peers.py --size 4096     # 4 GiB
    python bench/carve_vs_peers.py --size 1024 --work /tmp/cb --reuse --repeat 3 --cold
    python bench/carve_vs_peers.py --size 1024 --seeds 7101,7202,7303 --tools dftriage,photorec
Each tool runs --repeat times, taking turns with the others; the best wall and CPU seconds
are kept and the load average is printed (these machines are shared). Not part of CI.

Fragmented media (bench/carve_fragments.py): every picture format and MP4, split in two at
a sector boundary (first piece one sector to several MiB), 4 KiB to 4 MiB apart, the second
piece first on disk half of the time. `--seeds` runs several disks and prints recall per
seed and per format. Seeds 1-99 were used while developing; **the held-out seeds, chosen
on 2026-12-07 before any was run, are 7101, 7202 and 7303**: the README's figures come
from them only.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from carve_fragments import fragment_jobs, large_jpeg, write_split, write_three
from PIL import Image

MiB = 1 << 20
CLUSTER = 4096
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared" / "data"
PICTURES = ["jpg", "jpg-progressive", "png", "gif", "bmp", "webp", "tiff"]
VIDEOS = ["mp4", "mov", "3gp", "avi", "mkv", "webm"]
FFMPEG = {
    "mp4": ("mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
    "mov": ("mov", ["-c:v", "mjpeg", "-q:v", "5"]),
    "3gp": ("3gp", ["-c:v", "h263", "-s", "176x144"]),
    "avi": ("avi", ["-c:v", "mpeg4", "-pix_fmt", "yuv420p"]),
    "mkv": ("mkv", ["-c:v", "mpeg4", "-pix_fmt", "yuv420p"]),
    "webm": ("webm", ["-c:v", "libvpx", "-b:v", "300k", "-pix_fmt", "yuv420p"]),
}
CATEGORIES = [
    "allocated", "deleted", "aligned", "unaligned", "fragmented", "three-piece", "truncated"
]  # fmt: skip
SPLIT = ("fragmented", "three-piece")


@dataclass
class Planted:
    category: str
    kind: str
    data: bytes  # the whole original file
    kept: int  # bytes present on disk (== len(data) unless truncated)
    note: str = ""  # fragmented: "forward" or "reversed"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# ---------------------------------------------------------------- media corpus


def _photo(rng: random.Random) -> Image.Image:
    width, height = rng.randrange(320, 1100, 8), rng.randrange(240, 820, 8)
    gen = np.random.default_rng(rng.randrange(2**32))
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x * y) % 256], -1)
    noise = gen.integers(0, rng.choice([8, 24, 48]), (height, width, 3))
    return Image.fromarray(((base + noise) % 256).astype(np.uint8))


def make_picture(kind: str, rng: random.Random) -> bytes:
    image = _photo(rng)
    out = io.BytesIO()
    if kind == "jpg":
        image.save(out, "JPEG", quality=rng.randrange(70, 96))
    elif kind == "jpg-progressive":
        image.save(out, "JPEG", quality=rng.randrange(70, 96), progressive=True)
    elif kind == "gif":
        image.resize((image.width // 2, image.height // 2)).convert("P").save(out, "GIF")
    elif kind == "bmp":
        image.resize((image.width // 2, image.height // 2)).save(out, "BMP")
    elif kind == "tiff":
        image.resize((image.width // 2, image.height // 2)).save(out, "TIFF")
    else:
        image.save(out, kind.upper())
    return out.getvalue()


def make_video(kind: str, rng: random.Random, tmp: Path) -> bytes:
    ext, codec = FFMPEG[kind]
    out = tmp / f"clip.{ext}"
    source = rng.choice(["testsrc", "testsrc2", "smptebars"])
    seconds = rng.randrange(2, 8)
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i"]
    cmd += [f"{source}=size=320x240:rate=15", "-t", str(seconds), *codec]
    cmd += ["-metadata", f"title=bench-{rng.randrange(2**48)}", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out.read_bytes()


def make_media(kind: str, rng: random.Random, tmp: Path) -> bytes:
    return make_video(kind, rng, tmp) if kind in VIDEOS else make_picture(kind, rng)


def shared_media() -> list[tuple[str, bytes]]:
    """Real photos and clips from ../shared/data (skipped when absent)."""
    kinds = {".jpg": "jpg", ".png": "png", ".webp": "webp", ".mp4": "mp4"}
    out = []
    if SHARED.exists():
        for path in sorted(SHARED.rglob("*")):
            if path.suffix in kinds and path.is_file() and path.stat().st_size < 4 * MiB:
                data = path.read_bytes()
                kind = "webp" if data[8:12] == b"WEBP" else kinds[path.suffix]
                if kind == "jpg" and data[:3] == b"\xff\xd8\xff":
                    out.append((kind, data))
                elif kind != "jpg":
                    out.append((kind, data))
    return out


# ---------------------------------------------------------------- the disk


def random_fill(path: Path, size: int, rng: random.Random) -> None:
    with open(path, "wb") as out:
        for _ in range(0, size, 16 * MiB):
            out.write(rng.randbytes(min(16 * MiB, size - out.tell())))


def run(cmd: list[str], **kw: object) -> None:
    subprocess.run(cmd, check=True, capture_output=True, **kw)  # type: ignore[call-overload]


def build_fat(path: Path, size: int, files: list[Planted], rng: random.Random, tmp: Path) -> None:
    random_fill(path, size, rng)
    sectors = 8
    while sectors > 1 and size // (512 * sectors) < 66_000:
        sectors //= 2  # FAT32 needs at least 65,525 clusters
    run(["mkfs.vfat", "-F", "32", "-S", "512", "-s", str(sectors), str(path)])
    for index, item in enumerate(files):
        src = tmp / f"f{index:04d}.{item.kind.split('-')[0]}"
        src.write_bytes(item.data)
        run(["mcopy", "-i", str(path), str(src), "::/"])
        src.unlink()
    for index, item in enumerate(files):
        if item.category == "deleted":
            run(["mdel", "-i", str(path), f"::/f{index:04d}.{item.kind.split('-')[0]}"])


def build_ext4(path: Path, size: int, files: list[Planted], rng: random.Random, tmp: Path) -> None:
    random_fill(path, size, rng)
    root = tmp / "ext4root"
    root.mkdir()
    for index, item in enumerate(files):
        (root / f"f{index:04d}.{item.kind.split('-')[0]}").write_bytes(item.data)
    run(["mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-E", "lazy_itable_init=0,nodiscard",
         "-d", str(root), str(path)])  # fmt: skip
    shutil.rmtree(root)
    for index, item in enumerate(files):
        if item.category == "deleted":
            name = f"f{index:04d}.{item.kind.split('-')[0]}"
            run(["debugfs", "-w", "-R", f"rm /{name}", str(path)])


def build_ntfs(path: Path, size: int, files: list[Planted], rng: random.Random, tmp: Path) -> None:
    random_fill(path, size, rng)
    run(["mkntfs", "-F", "-Q", "-q", "-c", "4096", str(path)])
    for index, item in enumerate(files):
        src = tmp / f"n{index:04d}.{item.kind.split('-')[0]}"
        src.write_bytes(item.data)
        run(["ntfscp", "-f", str(path), str(src), src.name])
        src.unlink()


def write_at(disk: Path, offset: int, source: Path | bytes) -> None:
    with open(disk, "r+b") as out:
        out.seek(offset)
        if isinstance(source, bytes):
            out.write(source)
            return
        with open(source, "rb") as src:
            shutil.copyfileobj(src, out, 16 * MiB)


def build_disk(work: Path, size: int, seed: int, three: int = 0) -> tuple[Path, list[Planted]]:
    """The test disk and what was planted on it (with `three` JPEGs in three pieces)."""
    rng = random.Random(seed)
    tmp = work / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    per = max(1, round(2 * min(size / (512 * MiB), 3)))
    planted: list[Planted] = []

    def new(category: str, kind: str) -> Planted:
        data = make_media(kind, rng, tmp)
        item = Planted(category, kind, data, len(data))
        planted.append(item)
        return item

    formats = PICTURES + VIDEOS
    fs_files: dict[str, list[Planted]] = {"fat": [], "ext4": [], "ntfs": []}
    for fs in fs_files:
        for kind in formats:
            fs_files[fs].append(new("allocated", kind))
            if fs != "ntfs":
                fs_files[fs].append(new("deleted", kind))
    part = (size * 22 // 100) // MiB * MiB
    offsets = {"fat": MiB, "ext4": MiB + part, "ntfs": MiB + 2 * part}
    builders = {"fat": build_fat, "ext4": build_ext4, "ntfs": build_ntfs}
    disk = work / "disk.raw"
    random_fill(disk, size, rng)
    for fs, files in fs_files.items():
        image = tmp / f"{fs}.img"
        builders[fs](image, part, files, rng, tmp)
        write_at(disk, offsets[fs], image)
        image.unlink()
    sgdisk = ["sgdisk", "-Z", str(disk)]
    run(sgdisk)
    cmd = ["sgdisk"]
    for number, (fs, code) in enumerate((("fat", "0700"), ("ext4", "8300"), ("ntfs", "0700")), 1):
        first = offsets[fs] // 512
        cmd += ["-n", f"{number}:{first}:{first + part // 512 - 1}", "-t", f"{number}:{code}"]
    run([*cmd, str(disk)])
    _plant_raw(disk, MiB + 3 * part, size - 2 * MiB, per, rng, tmp, planted, three)
    shutil.rmtree(tmp)
    return disk, planted


def _plant_raw(
    disk: Path,
    lo: int,
    hi: int,
    per: int,
    rng: random.Random,
    tmp: Path,
    planted: list[Planted],
    three: int,
) -> None:
    """Aligned, unaligned, truncated and fragmented media in unpartitioned space."""
    jobs = [(c, k) for c in ("aligned", "unaligned", "truncated") for k in PICTURES + VIDEOS]
    jobs = jobs * per + fragment_jobs(per) + [("three-piece", "jpg")] * three
    extra = shared_media()
    rng.shuffle(jobs)
    cursor = lo
    with open(disk, "r+b") as out:
        for index, (category, kind) in enumerate(jobs):
            if category == "aligned" and index < len(extra):
                kind, data = extra[index]
            elif category == "fragmented" and kind == "jpg" and rng.random() < 0.15:
                data = large_jpeg(rng)
            else:
                data = make_media(kind, rng, tmp)
            cursor = -(-cursor // CLUSTER) * CLUSTER + rng.randrange(1, 24) * CLUSTER
            start = cursor
            room = (9 << 20) if category == "three-piece" else (5 << 20)  # the largest gaps
            if start + len(data) + room >= hi:
                break
            if category == "unaligned":
                start += rng.choice([n for n in range(1, CLUSTER) if n % 512])
            item = Planted(category, kind, data, len(data))
            if category == "truncated":  # overwritten from a sector boundary on
                cut = start + int(len(data) * rng.uniform(0.4, 0.8))
                item.kept = max(512, cut - cut % 512 - start)
            if category == "fragmented":
                end, item.note, _, _ = write_split(out, start, data, rng)
            elif category == "three-piece":  # its order is not a note: not two-fragment
                end, _ = write_three(out, start, data, rng)
            else:
                out.seek(start)
                out.write(data[: item.kept])
                end = start + item.kept
            if end >= hi:
                break
            planted.append(item)
            cursor = end


def save_truth(work: Path, planted: list[Planted]) -> None:
    """Ground truth next to the disk, so `--work DIR --reuse` can skip the build."""
    folder = work / "truth"
    folder.mkdir(exist_ok=True)
    rows = []
    for index, item in enumerate(planted):
        name = f"{index:04d}.bin"
        (folder / name).write_bytes(item.data)
        rows.append({"category": item.category, "kind": item.kind, "kept": item.kept,
                     "file": name, "note": item.note})  # fmt: skip
    (folder / "truth.json").write_text(json.dumps(rows, indent=1))


def load_truth(work: Path) -> list[Planted]:
    rows = json.loads((work / "truth" / "truth.json").read_text())
    return [
        Planted(
            r["category"],
            r["kind"],
            (work / "truth" / r["file"]).read_bytes(),
            r["kept"],
            r.get("note", ""),
        )  # fmt: skip
        for r in rows
    ]


# ---------------------------------------------------------------- tools


def scalpel_conf(path: Path) -> Path:
    wanted = {"gif", "jpg", "png", "bmp", "tif", "avi", "mov"}
    lines = []
    for line in Path("/etc/scalpel/scalpel.conf").read_text().splitlines():
        parts = line.lstrip("#").split()
        lines.append(line.lstrip("#").strip() if parts and parts[0] in wanted else line)
    path.write_text("\n".join(lines) + "\n")
    return path


def tool_commands(
    image: Path, out: Path, dftriage_args: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    (out / "photorec").mkdir(parents=True, exist_ok=True)
    photorec = "partition_none,options,paranoid,fileopt,everything,disable," + ",".join(
        f"{t},enable" for t in ("jpg", "png", "gif", "bmp", "riff", "mov", "tif", "mkv")
    )
    return {
        "dftriage": [sys.executable, "-m", "scanner", "carve", str(image), "--whole",
                     "--out", str(out / "dftriage"), *dftriage_args],
        "photorec": ["photorec", "/log", "/d", str(out / "photorec" / "recup"), "/cmd",
                     str(image), photorec + ",search"],
        "foremost": ["foremost", "-Q", "-t", "jpg,gif,png,bmp,avi,mp4,mov", "-i", str(image),
                     "-o", str(out / "foremost")],
        "scalpel": ["scalpel", "-c", str(scalpel_conf(out / "scalpel.conf")), "-o",
                    str(out / "scalpel"), str(image)],
        "dd": ["dd", f"if={image}", "of=/dev/null", "bs=8M"],  # reading alone: the floor
        "md5sum": ["md5sum", str(image)],  # reading and one cheap pass over every byte
    }  # fmt: skip


def measure(cmd: list[str], log: Path) -> tuple[float, int, int, float]:
    """(seconds, peak RSS in KiB of the largest process, exit status, CPU seconds: user +
    system of the tool and its children), via /usr/bin/time."""
    (log.parent).mkdir(parents=True, exist_ok=True)
    rss_file = log.with_suffix(".rss")
    cwd = REPO if cmd[0] == sys.executable else log.parent  # peers drop logs in their cwd
    with open(log, "wb") as sink:
        started = time.perf_counter()
        status = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S", "-o", str(rss_file), *cmd],
            stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, cwd=cwd, check=False,
        ).returncode  # fmt: skip
        seconds = time.perf_counter() - started
    text = rss_file.read_text() if rss_file.exists() else ""
    found = re.findall(r"^(\d+) ([\d.]+) ([\d.]+)$", text, re.M)
    rss, user, system = found[-1] if found else ("0", "0", "0")
    return seconds, int(rss), status, float(user) + float(system)


def cache(disk: Path, cold: bool) -> None:
    """Evict the image from the page cache (this file only) or read it all into it."""
    fd = os.open(disk, os.O_RDONLY)
    try:
        if cold:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        else:
            while os.read(fd, 16 * MiB):
                pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------- scoring


SKIP_NAMES = re.compile(r"(report\.xml|audit\.txt|scalpel\.conf|\.log)$")


def outputs(folder: Path) -> list[tuple[str, bytes]]:
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and not SKIP_NAMES.search(p.name)]
    return [(p.name, p.read_bytes()) for p in files]


@dataclass
class Score:
    exact: Counter[str]
    exact_kind: Counter[str]
    partial: Counter[str]
    padded: int
    embedded: int
    junk: int
    total: int
    fragments: Counter[str]  # "kind order" -> two-fragment files recovered byte-exact
    foreign_inside: int  # outputs not named partial that start like a planted file, but
    # are not it: whole-looking files with foreign bytes inside (or cut short)


def score(found: list[tuple[str, bytes]], planted: list[Planted]) -> Score:
    by_sha = {p.sha256: p for p in planted if p.category != "truncated"}
    by_head: dict[bytes, list[Planted]] = defaultdict(list)
    for p in planted:
        by_head[p.data[:32]].append(p)
    hit: set[str] = set()
    partial: set[int] = set()
    embedded = junk = padded = foreign_inside = 0
    for name, data in found:
        digest = hashlib.sha256(data).hexdigest()
        if digest in by_sha:
            hit.add(digest)
            continue
        owners = by_head.get(data[:32], [])
        if any(len(data) > len(p.data) and data.startswith(p.data) for p in owners):
            padded += 1
            continue
        prefix = [p for p in owners if data.startswith(p.data[: min(p.kept, 4096)])]
        if prefix:  # starts like a planted file (at least its first 4 KiB) but is not it
            partial.update(id(p) for p in prefix)
            foreign_inside += "partial" not in name
        elif len(data) >= 16 and any(data in p.data for p in planted):
            embedded += 1
        else:
            junk += 1
    exact = Counter(by_sha[d].category for d in hit)
    exact_kind = Counter(by_sha[d].kind for d in hit)
    part = Counter(p.category for p in planted if id(p) in partial and p.sha256 not in hit)
    fragments = Counter(f"{by_sha[d].kind} {by_sha[d].note}" for d in hit if by_sha[d].note)
    return Score(
        exact, exact_kind, part, padded, embedded, junk, len(found), fragments, foreign_inside
    )


# ---------------------------------------------------------------- report


Result = tuple[Score, float, int, float]  # score, best seconds, peak RSS KiB, best CPU seconds


def report(planted: list[Planted], results: dict[str, Result], size: int) -> None:
    totals = Counter(p.category for p in planted)
    kinds = Counter(p.kind for p in planted if p.category != "truncated")
    tools = list(results)
    print(f"\ndisk {size / MiB:.0f} MiB, {len(planted)} planted media: {dict(totals)}\n")
    head = f"{'':22}" + "".join(f"{t:>11}" for t in tools)
    print("byte-exact recall per category\n" + head)
    for category in CATEGORIES:
        if category == "truncated":
            continue
        row = "".join(f"{results[t][0].exact[category]:>7}/{totals[category]:<3}" for t in tools)
        print(f"{category:22}{row}")
    whole = sum(v for k, v in totals.items() if k != "truncated")
    print(f"{'all (not truncated)':22}" + "".join(
        f"{sum(results[t][0].exact.values()):>7}/{whole:<3}" for t in tools))  # fmt: skip
    print("\nbyte-exact recall per format\n" + head)
    for kind in sorted(kinds):
        print(f"{kind:22}" + "".join(
            f"{results[t][0].exact_kind[kind]:>7}/{kinds[kind]:<3}" for t in tools))  # fmt: skip
    frag = Counter(f"{p.kind} {p.note}" for p in planted if p.note)
    print("\ntwo-fragment recall per format and order\n" + head)
    for key in sorted(frag):
        print(f"{key:22}" + "".join(
            f"{results[t][0].fragments[key]:>7}/{frag[key]:<3}" for t in tools))  # fmt: skip
    print("\nother outputs\n" + head)
    rows = {
        "partial (truncated)": lambda s: s.partial["truncated"],
        "partial (other)": lambda s: sum(s.partial.values()) - s.partial["truncated"],
        "whole + trailing junk": lambda s: s.padded,
        "whole, foreign inside": lambda s: s.foreign_inside,
        "embedded (thumbs...)": lambda s: s.embedded,
        "junk outputs": lambda s: s.junk,
        "files written": lambda s: s.total,
    }
    for name, get in rows.items():
        print(f"{name:22}" + "".join(f"{get(results[t][0]):>11}" for t in tools))
    print(f"{'MB/s':22}" + "".join(f"{size / 1e6 / results[t][1]:>11.0f}" for t in tools))
    print(f"{'seconds':22}" + "".join(f"{results[t][1]:>11.2f}" for t in tools))
    print(f"{'CPU seconds':22}" + "".join(f"{results[t][3]:>11.2f}" for t in tools))
    print(f"{'peak RSS MiB':22}" + "".join(f"{results[t][2] / 1024:>11.0f}" for t in tools))
    if "photorec" in results:
        base, secs, _, cpu = results["photorec"]
        print("\nratio to PhotoRec (recall, speed = its seconds / the tool's, CPU likewise)")
        for t in tools:
            exact = sum(results[t][0].exact.values()) / max(1, sum(base.exact.values()))
            print(
                f"  {t:12} recall x{exact:.2f}   speed x{secs / results[t][1]:.2f}"
                f"   CPU x{cpu / max(results[t][3], 1e-9):.2f}"
            )


def run_tool(
    tool: str,
    cmd: list[str],
    work: Path,
    disk: Path,
    planted: list[Planted],
    cold: bool,
    best: Result | None,
) -> Result:
    """One run of a tool; its outputs are scored on the first run, times kept at their best."""
    (work / "out" / "photorec.ses").unlink(missing_ok=True)  # else PhotoRec resumes: no work
    (work / "out" / "photorec").mkdir(parents=True, exist_ok=True)  # it writes nothing without
    cache(disk, cold=cold)
    seconds, rss, status, cpu = measure(cmd, work / "out" / f"{tool}.log")
    print(f"{tool}: {seconds:.2f} s, {cpu:.2f} CPU-s, exit {status}", flush=True)
    if best is None:
        found = outputs(work / "out" / tool) if (work / "out" / tool).exists() else []
        best = (score(found, planted), seconds, rss, cpu)
    shutil.rmtree(work / "out" / tool, ignore_errors=True)
    return best[0], min(best[1], seconds), max(best[2], rss), min(best[3], cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="disk size in MiB (default 512)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", help="work folder (default: a temporary one, removed)")
    parser.add_argument("--tools", default="dftriage,photorec,foremost,scalpel,dd,md5sum")
    parser.add_argument("--reuse", action="store_true", help="reuse the disk built in --work")
    parser.add_argument(
        "--cold", action="store_true", help="evict the image from the page cache before each tool"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per tool, taking turns; the best is kept"
    )
    parser.add_argument("--seeds", help="comma-separated seeds: one disk each, then a summary")
    parser.add_argument(
        "--three-pieces", action="store_true", help="run dftriage carve with --three-pieces"
    )
    parser.add_argument(
        "--plant-three-piece", type=int, default=0,
        help="JPEGs in three pieces planted besides (default 0: earlier seeds' disks unchanged)",
    )  # fmt: skip
    args = parser.parse_args()
    root = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="carvebench-"))
    seeds = [int(seed) for seed in args.seeds.split(",")] if args.seeds else [args.seed]
    summary: dict[int, tuple[list[Planted], dict[str, Result]]] = {}
    try:
        for seed in seeds:
            work = root / f"seed-{seed}" if args.seeds else root
            summary[seed] = run_seed(args, work, seed)
    finally:
        if not args.work:
            shutil.rmtree(root, ignore_errors=True)
    if args.seeds:
        print_summary(summary)
    return 0


def run_seed(
    args: argparse.Namespace, work: Path, seed: int
) -> tuple[list[Planted], dict[str, Result]]:
    """Build (or reuse) the disk of one seed, run the tools on it and print the report."""
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if args.reuse and (work / "truth" / "truth.json").exists():
        disk, planted = work / "disk.raw", load_truth(work)
    else:
        disk, planted = build_disk(work, args.size * MiB, seed, args.plant_three_piece)
        save_truth(work, planted)
        print(f"built {disk} (seed {seed}) in {time.perf_counter() - started:.0f} s", flush=True)
    commands = tool_commands(disk, work / "out", ("--three-pieces",) if args.three_pieces else ())
    tools = [t for t in args.tools.split(",") if shutil.which(commands[t][0]) is not None]
    print(f"load average {os.getloadavg()}; tools {tools}", flush=True)
    results: dict[str, Result] = {}
    for turn in range(args.repeat):
        for tool in tools:
            results[tool] = run_tool(tool, commands[tool], work, disk, planted, args.cold,
                                     results.get(tool))  # fmt: skip
            print(f"  turn {turn + 1}, load average {os.getloadavg()}", flush=True)
    print(f"\n=== seed {seed}")
    report(planted, results, disk.stat().st_size)
    return planted, results


def print_summary(summary: dict[int, tuple[list[Planted], dict[str, Result]]]) -> None:
    """Per seed and tool: contiguous and two-fragment recall per format, whole-looking files
    with foreign bytes inside, and speed against PhotoRec."""
    print("\nper seed: byte-exact recall (found/planted)")
    kinds = sorted({p.kind for planted, _ in summary.values() for p in planted if p.note})
    head = ["seed", "tool", "contiguous", *[f"2-frag {k}" for k in kinds], "jpg fwd/rev",
            "3-piece jpg", "foreign inside", "x PhotoRec"]  # fmt: skip
    print(" | ".join(head))
    for seed, (planted, results) in summary.items():
        whole = [p for p in planted if p.category not in ("truncated", *SPLIT)]
        threes = sum(p.category == "three-piece" for p in planted)
        frag = Counter(p.kind for p in planted if p.note)
        order = Counter(p.note for p in planted if p.kind == "jpg" and p.note)
        base = results.get("photorec")
        for tool, (sc, seconds, _, _) in results.items():
            if tool in ("dd", "md5sum"):
                continue
            got = Counter(key.split()[0] for key in sc.fragments.elements())
            contiguous = sum(sc.exact[c] for c in CATEGORIES if c not in SPLIT)
            cells = [str(seed), tool, f"{contiguous}/{len(whole)}"]
            cells += [f"{got[k]}/{frag[k]}" for k in kinds]
            cells.append(f"{sc.fragments['jpg forward']}/{order['forward']} "
                         f"{sc.fragments['jpg reversed']}/{order['reversed']}")  # fmt: skip
            cells.append(f"{sc.exact['three-piece']}/{threes}")
            cells.append(str(sc.foreign_inside))
            cells.append(f"{base[1] / seconds:.2f}" if base else "-")
            print(" | ".join(cells))


if __name__ == "__main__":
    sys.exit(main())
