"""VICS JSON import: versions, shapes, streaming across chunks, bad records kept apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.errors import KnownSetError
from scanner.knownsets import import_set, load_matcher, vics_format
from scanner.knownsets.formats import detect_format
from scanner.knownsets.model import ReadOptions, Record, Rejection
from tests.knownsets.ks_helpers import DATA, digests


def test_v20_media_import_and_match(home: Path) -> None:
    info, report = import_set(DATA / "vics20_media.json", "pv", "known-bad", home=home)
    assert (report.accepted, report.rejected, report.duplicates) == (5, 0, 0)
    assert info.counts == {"md5": 5, "sha1": 5, "sha256": 5} and info.format == "vics"
    matcher = load_matcher(home=home)
    d = digests(3)
    [match] = matcher.match_crypto(d["md5"], "", "")
    assert (match.set_name, match.method, match.category, match.entry_id) == ("pv", "md5", "3", "3")
    assert match.label == "series-0"
    [by_sha256] = matcher.match_crypto("", "", d["sha256"])  # from AlternativeHashes
    assert by_sha256.method == "sha256"
    assert matcher.match_crypto(digests(99)["md5"], digests(99)["sha1"], "") == []


def test_v13_cases_import(home: Path) -> None:
    assert detect_format(DATA / "vics13_cases.json") == "vics"
    info, report = import_set(DATA / "vics13_cases.json", "old", "known-bad", home=home)
    assert report.accepted == 5 and info.entries == 5
    matcher = load_matcher(["old"], home=home)
    assert [m.category for m in matcher.match_crypto("", digests(13)["sha1"], "")] == ["2"]


def test_bad_records_are_reported_and_neighbours_kept(home: Path) -> None:
    info, report = import_set(DATA / "vics20_bad.json", "bad", "known-bad", home=home)
    assert (report.accepted, report.rejected) == (3, 2)
    first, second = report.messages[:2]
    assert "vics20_bad.json: record 2 (near line 30): malformed JSON at line 32" in first
    assert "vics20_bad.json: record 4 (line 82): bad MD5 'NOT-HEX'" in second
    matcher = load_matcher(["bad"], home=home)
    for n, found in ((1, True), (2, False), (3, True), (4, False), (5, True)):
        assert bool(matcher.match_crypto("", digests(n)["sha1"], "")) is found, n
    log = (home / "sets" / "bad" / "import.log").read_text()
    assert "malformed JSON" in log and "3 accepted, 2 rejected" in log


def test_wrong_version_and_not_vics(home: Path, tmp_path: Path) -> None:
    with pytest.raises(KnownSetError, match=r"VICS version '3.1' is not supported"):
        import_set(DATA / "vics31_wrong_version.json", "w", "known-bad", fmt="vics", home=home)
    plain = tmp_path / "plain.json"
    plain.write_text('{"value": [{"MD5": "00"}]}')
    with pytest.raises(KnownSetError, match="not a VICS file: no @odata.context"):
        import_set(plain, "w", "known-bad", fmt="vics", home=home)
    assert not (home / "sets" / "w").exists()


def _big_cases_file(path: Path, count: int) -> None:
    media = [
        {
            "MediaID": n,
            "Category": 1,
            "MD5": digests(n)["md5"],
            "SHA1": digests(n)["sha1"],
            "Exifs": [{"PropertyName": "Make", "Value": "x" * 50}],
        }
        for n in range(count)
    ]
    payload = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases",
        "value": [
            {"CaseID": 1, "Media": media[: count // 2]},
            {"CaseID": 2, "Media": media[count // 2 :]},
        ],
    }
    path.write_text(json.dumps(payload))


def test_streaming_across_chunks_and_containers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With tiny chunks, cases far larger than the window are entered, not decoded whole."""
    monkeypatch.setattr(vics_format, "CHUNK_CHARS", 4096)
    monkeypatch.setattr(vics_format, "WINDOW_CHARS", 2048)
    source = tmp_path / "cases.json"
    _big_cases_file(source, 400)
    items = list(vics_format.read(source, ReadOptions()))
    records = [i for i in items if isinstance(i, Record)]
    assert not [i for i in items if isinstance(i, Rejection)]
    assert [r.entry_id for r in records] == [str(n) for n in range(400)]
    assert records[123].md5 == bytes.fromhex(digests(123)["md5"])


def test_truncated_file_keeps_what_came_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(vics_format, "CHUNK_CHARS", 4096)
    monkeypatch.setattr(vics_format, "WINDOW_CHARS", 2048)
    source = tmp_path / "cut.json"
    _big_cases_file(source, 100)
    text = source.read_text()
    source.write_text(text[: len(text) // 2])
    items = list(vics_format.read(source, ReadOptions()))
    records = [i for i in items if isinstance(i, Record)]
    rejections = [i for i in items if isinstance(i, Rejection)]
    assert 40 <= len(records) < 50
    assert [r.entry_id for r in records] == [str(n) for n in range(len(records))]
    assert rejections and "truncated" in rejections[-1].reason
