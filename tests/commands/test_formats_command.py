"""`dftriage formats` lists every registry with a description for each entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_formats_lists_every_registry_as_json() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "formats", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    names = {kind: {entry["name"] for entry in rows} for kind, rows in found.items()}
    assert {"zip", "tar", "gzip", "ufdr", "ab"} <= names["containers"]
    assert {"ntfs", "ext4", "fat32", "exfat", "hfs+"} <= names["file systems"]
    assert {"jpeg", "png"} <= names["carvers"]
    assert {"vics", "nsrl", "md5"} <= names["set formats"]
    assert {"json", "html", "vics", "case-uco", "dfxml", "csv"} <= names["report writers"]
    assert {"mtcnn", "nudenet-yolov8", "dlib-resnet"} <= names["model families"]
    assert all(entry["description"] for rows in found.values() for entry in rows)


def test_formats_lists_each_registry_in_registration_order_once() -> None:
    from scanner.commands.formats import registered
    from scanner.evidence.tsk_filesystem import FILE_SYSTEMS, FS_NAMES
    from scanner.knownsets.formats import FORMATS

    found = registered()
    assert found["set formats"] == FORMATS.describe()
    assert [name for name, _ in found["set formats"]][:4] == ["vics", "nsrl", "hashdeep", "csv"]
    assert found["file systems"] == FILE_SYSTEMS.describe()
    assert list(FS_NAMES.values()).count("ufs1") == 2  # FFS1 and FFS1B: one entry listed
    for kind, rows in found.items():
        names = [name for name, _ in rows]
        assert len(names) == len(set(names)), kind


def test_formats_prints_a_table_per_registry() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "formats"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    for title in ("containers", "file systems", "carvers", "set formats", "report writers"):
        assert title in done.stdout
    assert "model families" in done.stdout and "nudenet-yolov8" in done.stdout
    assert "findings.csv: one row per finding and location" in done.stdout
