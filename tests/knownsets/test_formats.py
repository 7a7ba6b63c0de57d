"""Hash lists, hashdeep, CSV, PDQ lists and NSRL: detection, import, bad lines, duplicates."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scanner.errors import KnownSetError
from scanner.knownsets import ReadOptions, import_set, list_sets, load_matcher, remove_set
from scanner.knownsets.formats import FORMATS, SetFormat, detect_format
from tests.knownsets.ks_helpers import DATA, digests


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("md5sum.txt", "md5"),
        ("sha1_list.txt", "sha1"),
        ("hashdeep.txt", "hashdeep"),
        ("NSRLFile.txt", "nsrl"),
        ("vics20_media.json", "vics"),
    ],
)
def test_detection(name: str, expected: str) -> None:
    assert detect_format(DATA / name) == expected


def test_undetectable_needs_format(tmp_path: Path) -> None:
    with pytest.raises(KnownSetError, match="give --format"):
        detect_format(DATA / "custom.csv")


def test_md5sum_output(home: Path) -> None:
    _, report = import_set(
        DATA / "md5sum.txt", "m", "known-bad", options=ReadOptions(category="1"), home=home
    )
    assert report.accepted == 5
    [match] = load_matcher(home=home).match_crypto(digests(22)["md5"], "", "")
    assert (match.label, match.category, match.entry_id) == ("file 22.jpg", "1", "3")


def test_bad_hex_and_duplicates_are_reported(home: Path) -> None:
    info, report = import_set(DATA / "sha1_list.txt", "s", "known-good", home=home)
    assert (report.accepted, report.rejected, report.duplicates) == (3, 1, 1)
    assert any(
        "sha1_list.txt: line 5: bad SHA1" in m and "not hexadecimal" in m for m in report.messages
    )
    assert any("line 6: duplicate SHA1" in m and "(first in line 2)" in m for m in report.messages)
    assert info.entries == 3 and info.counts == {"sha1": 3}


def test_hashdeep(home: Path) -> None:
    _, report = import_set(DATA / "hashdeep.txt", "h", "known-bad", home=home)
    assert report.accepted == 3
    [match] = load_matcher(home=home).match_crypto("", "", digests(31)["sha256"])
    assert match.label == "/evidence/p31.jpg"


def test_csv_with_column_mapping(home: Path) -> None:
    options = ReadOptions(columns={"sha256": "Hash", "category": "Cat"})
    _, report = import_set(
        DATA / "custom.csv", "c", "victim", fmt="csv", options=options, home=home
    )
    assert report.accepted == 3
    [match] = load_matcher(home=home).match_crypto("", "", digests(41)["sha256"])
    assert (match.set_kind, match.category, match.label) == ("victim", "2", "pic41.jpg")
    with pytest.raises(KnownSetError, match="no column 'Nope'"):
        import_set(
            DATA / "custom.csv",
            "c2",
            "victim",
            fmt="csv",
            options=ReadOptions(columns={"md5": "Nope"}),
            home=home,
        )


def test_nsrl_legacy_and_v3(home: Path, tmp_path: Path) -> None:
    _, report = import_set(DATA / "NSRLFile.txt", "nsrl-old", "known-good", home=home)
    assert report.accepted == 3
    db_path = tmp_path / "RDS_modern.db"
    db = sqlite3.connect(db_path)
    db.executescript((DATA / "nsrl_v3.sql").read_text())
    db.commit()
    db.close()
    assert detect_format(db_path) == "nsrl"
    _, report = import_set(db_path, "nsrl", "known-good", home=home)
    assert (report.accepted, report.rejected) == (3, 1)
    assert "FILE row 4: bad SHA256 'XYZ'" in report.messages[0]
    [match] = load_matcher(["nsrl"], home=home).match_crypto(digests(61)["md5"], "", "")
    assert (match.set_kind, match.label, match.entry_id) == ("known-good", "app61.exe", "7061")


def test_nsrl_of_the_wrong_schema(home: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "other.db"
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE FILE (sha1 TEXT, name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(
        KnownSetError,
        match=r"other.db: not an NSRL RDS v3 database: table FILE lacks column\(s\) sha256, md5",
    ):
        import_set(db_path, "n", "known-good", home=home)
    text = tmp_path / "NSRLFile.txt"
    text.write_text('"MD5","SHA-1"\n"00","11"\n')
    with pytest.raises(KnownSetError, match="not an NSRL file: line 1"):
        import_set(text, "n", "known-good", fmt="nsrl", home=home)
    assert list_sets(home) == []


def test_pdq_list_needs_format_and_matches_by_distance(home: Path, tmp_path: Path) -> None:
    base = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
    near = format(int(base, 16) ^ 0b1011, "064x")  # 3 bits away
    far = format(int(base, 16) ^ ((1 << 40) - 1), "064x")  # 40 bits away
    source = tmp_path / "pdq.txt"
    plain = tmp_path / "plain.txt"
    plain.write_text(f"{base}\n{far}\n")
    assert detect_format(plain) == "sha256"  # 64 hex digits alone are taken as SHA-256
    source.write_text(f"{base},bridge\n{'g' * 64},broken\n{far}\n")
    _, report = import_set(source, "p", "known-bad", fmt="pdq", home=home)
    assert (report.accepted, report.rejected) == (2, 1)
    matcher = load_matcher(home=home)
    [match] = matcher.match_pdq(near, 90)
    assert (match.method, match.distance, match.label, match.entry_id) == ("pdq", 3, "bridge", "1")
    assert matcher.match_pdq(near, 49) == []  # low quality never matches
    assert load_matcher(home=home, pdq_radius=2).match_pdq(near, 90) == []


def test_empty_and_missing_sources(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(KnownSetError, match="no usable record"):
        import_set(empty, "e", "known-bad", fmt="md5", home=home)
    with pytest.raises(KnownSetError, match="no such file"):
        import_set(tmp_path / "absent.txt", "e", "known-bad", home=home)
    with pytest.raises(KnownSetError, match="bad set name"):
        import_set(DATA / "md5sum.txt", "../evil", "known-bad", home=home)
    with pytest.raises(KnownSetError, match="set kind must be one of"):
        import_set(DATA / "md5sum.txt", "k", "bad", home=home)


def test_replace_and_remove(home: Path) -> None:
    import_set(DATA / "md5sum.txt", "m", "known-bad", home=home)
    with pytest.raises(KnownSetError, match="already exists"):
        import_set(DATA / "hashdeep.txt", "m", "known-bad", home=home)
    import_set(DATA / "hashdeep.txt", "m", "known-bad", home=home, replace=True)
    assert [i.format for i in list_sets(home)] == ["hashdeep"]
    remove_set("m", home)
    assert list_sets(home) == []
    with pytest.raises(KnownSetError, match="no set named 'm'"):
        load_matcher(["m"], home=home)


def test_registry_refuses_duplicates() -> None:
    with pytest.raises(ValueError, match="already registered"):
        FORMATS.add("md5", SetFormat(FORMATS["md5"].read), "again")


def test_half_built_sets_are_not_listed(home: Path) -> None:
    import_set(DATA / "md5sum.txt", "m", "known-bad", home=home)
    partial = home / "sets" / ".build-x-123"
    partial.mkdir()
    (partial / "set.json").write_text((home / "sets" / "m" / "set.json").read_text())
    assert [i.name for i in list_sets(home)] == ["m"]
    assert [s.name for s in load_matcher(home=home).sets] == ["m"]
