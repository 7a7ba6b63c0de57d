"""`dftriage formats` lists every registry with a description for each entry."""

from __future__ import annotations

import json
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
