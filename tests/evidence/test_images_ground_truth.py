"""Validate the committed test images in tests/data/ against ground_truth.json with The Sleuth Kit.

These tests do not use dftriage's own code: they check that the images hold what
tests/data/make_images.py says they hold, as seen by TSK's `mmls`, `fls -r -p`, `icat`,
`blkstat` and `img_cat` (and `ewfverify` for the E01 files). Tests comparing dftriage's evidence
layer with TSK build on the same ground truth.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
GROUND_TRUTH = DATA / "ground_truth.json"
SECTOR = 512

pytestmark = [
    pytest.mark.skipif(
        shutil.which("fls") is None, reason="The Sleuth Kit (fls/icat) is not installed"
    ),
    pytest.mark.skipif(not GROUND_TRUTH.exists(), reason="tests/data/ground_truth.json is missing"),
]


def _load() -> dict:
    if not GROUND_TRUTH.exists():
        return {}
    return json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))["images"]


IMAGES = _load()
_TMP = tempfile.TemporaryDirectory(prefix="dft-gt-")


@functools.cache
def image_args(name: str) -> tuple[str, ...]:
    """Command-line arguments naming the image for TSK: gunzipped copy, or every segment."""
    info = IMAGES[name]
    if name.endswith(".gz"):
        out = Path(_TMP.name) / info["raw_name"]
        with gzip.open(DATA / name, "rb") as fi, open(out, "wb") as fo:
            shutil.copyfileobj(fi, fo, 1 << 20)
        return (str(out),)
    segments = info.get("segments") or [name]
    return tuple(str(DATA / s) for s in segments)


def tsk(*args: str) -> bytes:
    res = subprocess.run(list(args), capture_output=True, timeout=120)
    assert res.returncode == 0, f"{' '.join(args)} failed: {res.stderr.decode(errors='replace')}"
    return res.stdout


_FLS_LINE = re.compile(r"^(?P<type>\S+) (?P<deleted>\* )?(?P<inode>[^:\s]+):\t(?P<path>.*)$")


@functools.cache
def fls_listing(name: str, offset: int) -> dict[str, list[tuple[str, bool]]]:
    """path -> [(inode, deleted), ...] from `fls -r -p -o SECTOR` (every entry, allocated + deleted)."""
    out = tsk("fls", "-r", "-p", "-o", str(offset // SECTOR), *image_args(name))
    listing: dict[str, list[tuple[str, bool]]] = {}
    for line in out.decode("utf-8", errors="surrogateescape").splitlines():
        m = _FLS_LINE.match(line)
        if m:
            listing.setdefault("/" + m["path"], []).append((m["inode"], bool(m["deleted"])))
    return listing


def _file_cases():
    for name, info in IMAGES.items():
        for f in info["files"]:
            yield pytest.param(name, f, id=f"{name}:{f['partition_index']}:{f['path']}")


def _carve_cases():
    for name, info in IMAGES.items():
        for c in info["carve_targets"]:
            yield pytest.param(name, c, id=f"{name}@{c['offset']}")


def _partitioned():
    for name, info in IMAGES.items():
        if info.get("partitions"):
            yield pytest.param(name, info, id=name)


@pytest.mark.parametrize(("name", "gt"), list(_file_cases()))
def test_file_listed_and_content_matches(name: str, gt: dict) -> None:
    listing = fls_listing(name, gt["partition_offset"])
    # deleted 8.3-only FAT names lose their first character ("_MG_0002.JPG"); the generator records that
    path = gt.get("listed_path", gt["path"])
    assert path in listing, f"{path} not listed by fls in {name}"
    entries = listing[path]
    wanted = [e for e in entries if e[1] == gt["deleted"]]
    assert wanted, f"{path} listed with deleted={[e[1] for e in entries]}, expected {gt['deleted']}"
    inode = wanted[0][0]
    data = tsk("icat", "-o", str(gt["partition_offset"] // SECTOR), *image_args(name), inode)
    assert len(data) == gt["size"]
    assert hashlib.sha256(data).hexdigest() == gt["sha256"]
    assert hashlib.md5(data).hexdigest() == gt["md5"]


def test_deleted_fat_files_are_present() -> None:
    deleted = [
        (n, f)
        for n, i in IMAGES.items()
        for f in i["files"]
        if f["deleted"] and f["fs"].startswith("fat")
    ]
    assert len(deleted) >= 5, "the generator plants several deleted FAT files"


def _read_media(name: str, offset: int, length: int) -> bytes:
    first = offset // SECTOR
    last = (offset + length - 1) // SECTOR
    raw = tsk("img_cat", "-s", str(first), "-e", str(last), *image_args(name))
    start = offset - first * SECTOR
    return raw[start : start + length]


@pytest.mark.parametrize(("name", "gt"), list(_carve_cases()))
def test_carve_target_bytes(name: str, gt: dict) -> None:
    data = _read_media(name, gt["offset"], gt["size"])
    assert hashlib.sha256(data).hexdigest() == gt["sha256"]
    info = IMAGES[name]
    inside = [
        p
        for p in info.get("partitions", [])
        if p["offset"] <= gt["offset"] < p["offset"] + p["length"]
    ]
    if inside:
        # planted in a file system's free space: TSK must call its first sector unallocated
        p = inside[0]
        out = tsk(
            "blkstat",
            "-o",
            str(p["offset"] // SECTOR),
            *image_args(name),
            str((gt["offset"] - p["offset"]) // SECTOR),
        ).decode()
        assert "Not Allocated" in out, out
    else:
        mm = tsk("mmls", *image_args(name)).decode()
        sector = gt["offset"] // SECTOR
        rows = [r.split() for r in mm.splitlines() if re.match(r"^\d{3}:", r)]
        hit = [r for r in rows if int(r[2]) <= sector <= int(r[3]) and r[1] == "-------"]
        assert hit, f"sector {sector} is not in an unallocated mmls range:\n{mm}"


@pytest.mark.parametrize(("name", "info"), list(_partitioned()))
def test_partitions_match_mmls(name: str, info: dict) -> None:
    mm = tsk("mmls", *image_args(name)).decode()
    starts = {}
    for r in mm.splitlines():
        cols = r.split()
        if re.match(r"^\d{3}:$", cols[0] if cols else "") and re.match(
            r"^\d{3}(:\d{3})?$", cols[1]
        ):
            starts[int(cols[2]) * SECTOR] = int(cols[4]) * SECTOR
    for p in info["partitions"]:
        assert starts.get(p["offset"]) == p["length"], f"partition {p} not in mmls output:\n{mm}"


@pytest.mark.parametrize("name", [n for n in IMAGES if n.endswith(".E01")])
def test_ewf_verifies(name: str) -> None:
    if shutil.which("ewfverify") is None:
        pytest.skip("ewfverify (ewf-tools) is not installed")
    out = tsk("ewfverify", "-q", "-d", "sha256", str(DATA / name)).decode()
    assert "SUCCESS" in out
    assert IMAGES[name]["media_md5"] in out
    # the acquisition stored MD5 and SHA-1 in the E01 (EnCase 6 has no place for SHA-256)
    if shutil.which("ewfinfo"):
        info = tsk("ewfinfo", str(DATA / name)).decode()
        assert IMAGES[name]["media_md5"] in info
        assert IMAGES[name]["media_sha1"] in info


def test_split_raw_equals_split_e01() -> None:
    if "split.raw.001" not in IMAGES:
        pytest.skip("no split raw image")
    info = IMAGES["split.raw.001"]
    h = hashlib.sha256()
    for seg in info["segments"]:
        h.update((DATA / seg).read_bytes())
    assert h.hexdigest() == info["media_sha256"] == IMAGES["example-split.E01"]["media_sha256"]
    assert len(IMAGES["example-split.E01"]["segments"]) >= 2
