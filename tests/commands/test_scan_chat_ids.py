"""`dftriage scan` of a folder laid out like an Android extraction: the KakaoTalk chat room
of each received picture reaches the facts, a rule on it, report.json and findings.csv."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

RULES = Path(__file__).parents[2] / "rules"
ROOM, OTHER_ROOM = "18247529340028813", "18230011223344556"
CONTENTS = "sdcard/Android/data/com.kakao.talk/contents"


def _jpeg(path: Path, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (160, 120), colour)
    image.paste((255, 255, 255), (20, 20, 60, 70))
    image.save(path, format="JPEG", quality=90)  # KakaoTalk's files have no extension


def test_chat_room_of_a_received_picture_in_every_report(tmp_path: Path) -> None:
    evidence = tmp_path / "extraction"
    _jpeg(evidence / CONTENTS / "Mg==" / ROOM / "a1b2c3d4e5f6a7b8", (200, 40, 40))
    _jpeg(evidence / CONTENTS / "Mg==" / OTHER_ROOM / "c9d8e7f6a5b4c3d2", (40, 200, 40))
    _jpeg(evidence / "sdcard/DCIM/Camera/20240301_211407.jpg", (40, 40, 200))
    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("apps.yaml", "default.yaml"):
        shutil.copy(RULES / name, rules / name)
    (rules / "case.yaml").write_text(
        "rules:\n"
        "  - name: reported-room\n"
        "    priority: 2\n"
        "    category: reported-chat\n"
        f"    when: {{fact: chat_ids, op: contains, value: 'kakaotalk:{ROOM}'}}\n"
        "    reason: 'in the reported chat room {chat_ids} ({kind})'\n"
    )
    config = tmp_path / "scan.yaml"
    config.write_text(f"rules: {rules}\n")
    case = tmp_path / "case"
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", str(evidence), "--case", str(case)]
        + ["--no-models", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr

    report = json.loads((case / "report.json").read_text())
    by_path = {loc["path"]: (blob, loc) for blob in report["blobs"] for loc in blob["locations"]}
    blob, location = by_path[f"/{CONTENTS}/Mg==/{ROOM}/a1b2c3d4e5f6a7b8"]
    assert blob["media_type"] == "image/jpeg"
    assert (location["apps"], location["chat_ids"]) == (["kakaotalk"], [f"kakaotalk:{ROOM}"])
    assert blob["findings"] == [
        {
            "rule": "reported-room",
            "priority": 2,
            "category": "reported-chat",
            "reason": f"in the reported chat room kakaotalk:{ROOM} (picture)",
        }
    ]
    other, other_location = by_path[f"/{CONTENTS}/Mg==/{OTHER_ROOM}/c9d8e7f6a5b4c3d2"]
    assert other_location["chat_ids"] == [f"kakaotalk:{OTHER_ROOM}"] and other["findings"] == []
    _, camera = by_path["/sdcard/DCIM/Camera/20240301_211407.jpg"]
    assert (camera["apps"], camera["chat_ids"]) == (["camera"], [])

    with (case / "findings.csv").open(encoding="utf-8-sig", newline="") as stream:
        [row] = list(csv.DictReader(stream))
    assert (row["rule"], row["chat_ids"], row["apps"]) == (
        "reported-room",
        f"kakaotalk:{ROOM}",
        "kakaotalk",
    )
