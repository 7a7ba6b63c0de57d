"""`dftriage carve`: files named by offset and type, DFXML report with byte runs."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from scanner.cli import main
from scanner.commands.carve import read_ahead

from .conftest import plant

NS = {"d": "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"}


def _report(out: Path) -> list[ET.Element]:
    return ET.parse(out / "report.xml").getroot().findall("d:fileobject", NS)


@pytest.fixture()
def fat_image(tmp_path: Path, media: dict[str, bytes]) -> Path:
    """A FAT32 image with two kept files and two deleted ones (their clusters unallocated)."""
    if not (shutil.which("mkfs.vfat") and shutil.which("mcopy")):
        pytest.skip("dosfstools/mtools missing")
    image = tmp_path / "fat.img"
    image.write_bytes(bytes(40 << 20))
    subprocess.run(["mkfs.vfat", "-F", "32", str(image)], check=True, capture_output=True)
    for name in ("png", "gif", "jpg", "bmp"):
        (tmp_path / f"f.{name}").write_bytes(media[name])
        subprocess.run(["mcopy", "-i", str(image), str(tmp_path / f"f.{name}"), "::/"], check=True)
    subprocess.run(["mdel", "-i", str(image), "::/f.png", "::/f.jpg"], check=True)
    return image


def test_free_space_by_default(tmp_path: Path, fat_image: Path, media: dict[str, bytes]):
    out = tmp_path / "out"
    assert main(["carve", str(fat_image), "--out", str(out)]) == 0
    objects = _report(out)
    kinds = sorted(o.find("d:filename", NS).text.rsplit(".", 1)[1] for o in objects)
    assert kinds == ["jpg", "png"]
    for obj in objects:
        name = obj.find("d:filename", NS).text
        data = (out / name).read_bytes()
        assert data == media[name.rsplit(".", 1)[1]]
        run = obj.find("d:byte_runs/d:byte_run", NS)
        assert int(name.split(".")[0]) == int(run.get("img_offset"))
        digest = obj.find("d:hashdigest[@type='sha256']", NS).text
        assert digest == hashlib.sha256(data).hexdigest()
        carve = obj.find("{urn:dftriage:carve}carve")
        assert carve.get("extent_kind") == "unallocated" and carve.get("complete") == "1"


def test_whole_image_and_types(tmp_path: Path, fat_image: Path, media: dict[str, bytes]):
    out = tmp_path / "out"
    assert main(["carve", str(fat_image), "--out", str(out), "--whole", "--types", "gif,bmp"]) == 0
    names = sorted(p.name for p in out.iterdir() if p.name != "report.xml")
    assert sorted(n.rsplit(".", 1)[1] for n in names) == ["bmp", "gif"]
    assert sorted((out / n).read_bytes() for n in names) == sorted([media["gif"], media["bmp"]])


def test_raw_file_with_partial(tmp_path: Path, media: dict[str, bytes]):
    raw = plant(tmp_path / "disk.dd", 300_000, {1000: media["png"][:50_000]})
    out = tmp_path / "out"
    assert main(["carve", str(raw), "--out", str(out), "--types", "png"]) == 0
    kept = (out / f"{1000:015d}.partial.png").read_bytes()
    assert len(kept) >= 33 and kept == media["png"][: len(kept)]  # up to the last good CRC
    out2 = tmp_path / "out2"
    assert main(["carve", str(raw), "--out", str(out2), "--no-partial"]) == 0
    assert [p.name for p in out2.iterdir()] == ["report.xml"]
    assert _report(out2)[0].find("{urn:dftriage:carve}carve").get("complete") == "0"


def test_bad_arguments_are_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    raw = plant(tmp_path / "disk.dd", 10_000, {})
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    assert main(["carve", str(raw), "--out", str(busy)]) == 2
    assert main(["carve", str(raw), "--out", str(tmp_path / "o"), "--types", "exe"]) == 2
    assert main(["carve", str(busy), "--out", str(tmp_path / "o2")]) == 2
    assert capsys.readouterr().err.count("dftriage: error:") == 3


def test_e01_evidence(tmp_path: Path, media: dict[str, bytes]):
    """The same carve through libewf: an E01 made with ewfacquire from a planted raw image."""
    if shutil.which("ewfacquire") is None:
        pytest.skip("ewf-tools missing")
    raw = plant(tmp_path / "disk.raw", 2 << 20, {5000: media["jpg"], 700_001: media["webp"]})
    cmd = ["ewfacquire", "-u", "-q", "-t", str(tmp_path / "disk"), "-c", "deflate:fast", "-f",
           "encase6", "-m", "fixed", "-M", "physical", "-d", "sha256", str(raw)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    out = tmp_path / "out"
    assert main(["carve", str(tmp_path / "disk.E01"), "--out", str(out), "--whole"]) == 0
    assert (out / f"{5000:015d}.jpg").read_bytes() == media["jpg"]
    assert (out / f"{700_001:015d}.webp").read_bytes() == media["webp"]


def test_read_ahead_advises_a_file_and_skips_a_folder(tmp_path: Path) -> None:
    image = tmp_path / "disk.raw"
    image.write_bytes(bytes(3 << 20))
    open_fds = len(os.listdir("/proc/self/fd"))
    thread = read_ahead(str(image), 2 << 20)
    assert thread is not None
    thread.join(5)
    assert not thread.is_alive()
    assert len(os.listdir("/proc/self/fd")) == open_fds  # its descriptor is closed
    assert read_ahead(str(tmp_path)) is None
    assert read_ahead(str(tmp_path / "missing.raw")) is None


def test_carve_command_parses_without_the_engine() -> None:
    """Parsing `carve` arguments imports no numpy/OpenCV: they load in run(), while the image
    is read ahead."""
    code = (
        "import sys; from scanner.cli import build_parser; build_parser('carve'); "
        "print(sorted({'numpy', 'cv2', 'hyperscan', 'scanner.carve'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
