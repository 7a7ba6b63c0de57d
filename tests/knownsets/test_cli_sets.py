"""`dftriage sets ...` through the real command line entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.knownsets import import_set, load_matcher
from scanner.knownsets.vics_export import VicsMedia, export_vics
from tests.knownsets.ks_helpers import DATA, digests


@pytest.fixture
def cli_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DFTRIAGE_HOME", str(home))
    return home


def test_import_list_export_remove(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "sets",
                "import",
                str(DATA / "vics20_media.json"),
                "--name",
                "pv",
                "--kind",
                "known-bad",
            ]
        )
        == 0
    )
    assert "5 accepted, 0 rejected, 0 duplicate" in capsys.readouterr().out
    assert (
        main(
            [
                "sets",
                "import",
                str(DATA / "vics20_bad.json"),
                "--name",
                "bad",
                "--kind",
                "known-bad",
            ]
        )
        == 1
    )
    captured = capsys.readouterr()
    assert (
        "record 4 (line 82): bad MD5" in captured.err and "3 accepted, 2 rejected" in captured.out
    )
    assert main(["sets", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["kind"], s["entries"]) for s in listed] == [
        ("bad", "known-bad", 3),
        ("pv", "known-bad", 5),
    ]
    assert all(len(s["source_sha256"]) == 64 and s["imported_at"] for s in listed)
    out = tmp_path / "pv.json"
    assert main(["sets", "export", "pv", "-o", str(out)]) == 0
    assert main(["sets", "remove", "bad"]) == 0
    capsys.readouterr()
    assert main(["sets", "import", str(out), "--name", "again", "--kind", "known-bad"]) == 0
    again = load_matcher(["again"], home=cli_home)
    [match] = again.match_crypto(digests(4)["md5"], "", "")
    assert (match.category, match.entry_id, match.label) == ("0", "4", "series-1")


def test_fatal_errors_exit_2(cli_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "sets",
        "import",
        str(DATA / "vics31_wrong_version.json"),
        "--name",
        "w",
        "--kind",
        "known-bad",
    ]
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("dftriage: error: ")
    assert main(["sets", "export", "absent"]) == 2
    assert (
        main(
            [
                "sets",
                "import",
                str(DATA / "custom.csv"),
                "--name",
                "c",
                "--kind",
                "victim",
                "--format",
                "csv",
                "--columns",
                "sha256",
            ]
        )
        == 2
    )


def test_build_victims_without_models(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cv2
    import numpy as np

    folder = tmp_path / "refs" / "V1"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    cv2.imwrite(
        str(folder / "a.png"),
        cv2.resize(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), (400, 300)),
    )
    assert main(["sets", "build-victims", str(tmp_path / "refs"), "--name", "v", "--no-faces"]) == 0
    assert "victim set 'v': 1 reference pictures" in capsys.readouterr().out


def test_export_vics_records(tmp_path: Path, home: Path) -> None:
    out = tmp_path / "matches.json"
    d = digests(7)
    with open(out, "w", encoding="utf-8") as handle:
        export_vics(
            [
                VicsMedia(
                    media_id=1,
                    md5=d["md5"],
                    sha1=d["sha1"],
                    sha256=d["sha256"],
                    category=1,
                    media_size=10,
                    file_name="a.jpg",
                    extra={"Series": "s"},
                ),
                {"media_id": 2, "pdq": "ab" * 32, "category": "2"},
            ],
            handle,
        )
    doc = json.loads(out.read_text())
    assert doc["@odata.context"].endswith("2.0.xml/US/$metadata#Media")
    first, second = doc["value"]
    assert first["MD5"] == d["md5"].upper() and first["Category"] == 1 and first["Series"] == "s"
    assert second["AlternativeHashes"] == [{"HashName": "PDQ", "HashValue": "ab" * 32}]
    _, report = import_set(out, "back", "known-bad", home=home)
    assert report.accepted == 2
    [match] = load_matcher(home=home).match_pdq("ab" * 32, 100)
    assert (match.entry_id, match.category, match.distance) == ("2", "2", 0)
    with pytest.raises(ValueError, match="needs at least one hash"):
        VicsMedia(media_id=3)
