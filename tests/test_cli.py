"""The `dftriage` command: info output, exit codes and one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"
TRUTH = json.loads((DATA / "ground_truth.json").read_text())["images"]["example.E01"]


def dftriage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args], capture_output=True, text=True, timeout=600
    )


def test_info_json_describes_container_partitions_and_file_systems() -> None:
    done = dftriage("info", str(DATA / "example.E01"), "--json", "--verify")
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["container"]["kind"] == "ewf"
    assert info["container"]["stored_hashes"]["md5"] == TRUTH["media_md5"]
    assert info["verification"]["matches"] == {"md5": True, "sha1": True}
    assert info["partition_scheme"] == "dos"
    volumes = {v["offset"]: v for v in info["volumes"]}
    for partition in TRUTH["partitions"]:
        assert volumes[partition["offset"]]["file_system"] == partition["fs"].lower()
    planted = [
        f for f in TRUTH["files"] if f["partition_offset"] == TRUTH["partitions"][0]["offset"]
    ]
    first = volumes[TRUTH["partitions"][0]["offset"]]
    assert first["deleted"] == sum(f["deleted"] for f in planted)
    assert first["unallocated_bytes"] > 0
    assert {g["offset"] for g in info["gaps"]} >= {0}


def test_unreadable_evidence_exits_2_with_one_line(tmp_path: Path) -> None:
    for args in (
        ("info", str(tmp_path / "missing.E01")),
        ("scan", str(tmp_path / "missing.E01"), "--case", str(tmp_path / "c")),
    ):
        done = dftriage(*args)
        assert done.returncode == 2
        assert done.stderr.strip().count("\n") == 0
        assert "missing.E01" in done.stderr and "no such file" in done.stderr


def test_missing_segment_exits_2_naming_it(tmp_path: Path) -> None:
    shutil.copy(DATA / "example-split.E01", tmp_path / "disk.E01")
    done = dftriage("info", str(tmp_path / "disk.E01"))
    assert done.returncode == 2
    assert "disk.E02" in done.stderr and done.stderr.strip().count("\n") == 0


def test_bad_config_stops_before_the_scan(tmp_path: Path) -> None:
    config = tmp_path / "scan.yaml"
    config.write_text("carve: true\nworkers: many\n")
    done = dftriage(
        "scan", str(DATA / "example.E01"), "--case", str(tmp_path / "case"), "--config", str(config)
    )
    assert done.returncode == 2
    assert f"{config}:2: workers must be int" in done.stderr
    assert not (tmp_path / "case").exists()


def test_malformed_rule_stops_before_the_scan(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(Path(__file__).parents[1] / "rules" / "apps.yaml", rules / "apps.yaml")
    (rules / "mine.yaml").write_text(
        "rules:\n  - name: x\n    priority: 9\n    category: c\n    when: {fact: nudity, op: '>=', value: 0.5}\n    reason: '{nudity}'\n"
    )
    config = tmp_path / "scan.yaml"
    config.write_text(f"rules: {rules}\n")
    done = dftriage(
        "scan", str(DATA / "example.E01"), "--case", str(tmp_path / "case"), "--config", str(config)
    )
    assert done.returncode == 2
    assert "mine.yaml:3" in done.stderr and "priority" in done.stderr
    assert not (tmp_path / "case").exists()


def test_json_progress_events_end_with_a_summary(tmp_path: Path) -> None:
    done = dftriage(
        "scan", str(DATA / "example.E01"), "--case", str(tmp_path / "case"), "--no-models", "--json"
    )
    assert done.returncode in (0, 1), done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[-1]["event"] == "finished"
    assert events[-1]["blobs"] == len(
        json.loads((tmp_path / "case" / "report.json").read_text())["blobs"]
    )
    assert "report.html" in events[-1]["reports"]


def test_corrupt_pictures_become_error_rows_and_the_scan_goes_on(
    tmp_path: Path, damaged_video: Path
) -> None:
    from PIL import Image

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    Image.new("RGB", (200, 150), (120, 40, 200)).save(evidence / "good.jpg", quality=90)
    good = (evidence / "good.jpg").read_bytes()
    (evidence / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (evidence / "bomb.png").write_bytes(_png_header(60000, 60000))
    (evidence / "header-only.jpg").write_bytes(
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
    )
    shutil.copyfile(damaged_video, evidence / "damaged.mp4")
    (evidence / "hostile-exif.jpg").write_bytes(_jpeg_with_oversized_exif_tag())
    done = dftriage("scan", str(evidence), "--case", str(tmp_path / "case"), "--no-models")
    assert done.returncode == 1, done.stderr
    report = json.loads((tmp_path / "case" / "report.json").read_text())
    assert report["summary"]["errors"] >= 1
    reasons = " ".join(e["reason"] for e in report["errors"])
    assert "exceeds the budget" in reasons
    assert "no decodable frame in the video" in reasons
    assert "/tmp" not in reasons and ".media" not in reasons  # no worker's temporary file name
    assert "[mpeg4 @" not in done.stderr  # FFmpeg's own messages, which name no file
    assert "Tag data larger than file" not in done.stderr  # nor Pillow's warnings
    assert "cannot identify image file" in reasons and "BytesIO" not in reasons  # reproducible
    good_blob = next(b for b in report["blobs"] if b["locations"][0]["path"] == "/good.jpg")
    assert good_blob["pdq"] and good_blob["width"] == 200


def _jpeg_with_oversized_exif_tag() -> bytes:
    """A decodable JPEG whose EXIF ImageDescription claims 50,000 bytes (Pillow warns)."""
    import io
    import struct

    from PIL import Image

    exif = Image.Exif()
    exif[0x010E] = "x" * 100
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "JPEG", exif=exif.tobytes())
    data = bytearray(out.getvalue())
    tiff = data.find(b"Exif\x00\x00") + 6
    order = "<" if data[tiff : tiff + 2] == b"II" else ">"
    ifd = tiff + struct.unpack(order + "I", data[tiff + 4 : tiff + 8])[0]
    count = struct.unpack(order + "H", data[ifd : ifd + 2])[0]
    for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
        if struct.unpack(order + "H", data[entry : entry + 2])[0] == 0x010E:
            data[entry + 4 : entry + 8] = struct.pack(order + "I", 50_000)
    return bytes(data)


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_example_imports_the_bundled_set_and_scans_the_bundled_e01(tmp_path: Path) -> None:
    done = dftriage("example", "--case", str(tmp_path / "case"), "--no-models", "--json")
    assert done.returncode == 0, done.stderr
    assert "set 'example-known-bad' (known-bad): 2 entries" in done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[-1]["event"] == "finished" and events[-1]["errors"] == 0
    summary = json.loads((tmp_path / "case" / "report.json").read_text())["summary"]
    assert summary["carved"] > 0 and summary["findings_by_priority"] == {"1": 2}
