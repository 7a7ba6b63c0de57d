"""Locators: printable chains that survive a JSON round trip, with hostile names intact."""

import pytest

from scanner.types import Extent, ExtentKind, Locator


def test_locator_prints_as_a_chain_and_round_trips() -> None:
    locator = (
        Locator((("ewf", "case.E01"),))
        .child("part", "dos:2@1048576")
        .child("ntfs", "inode=67,attr=128-4")
    )
    assert str(locator) == "ewf:case.E01 > part:dos:2@1048576 > ntfs:inode=67,attr=128-4"
    assert Locator.from_json(locator.to_json()) == locator


def test_hostile_names_survive_the_round_trip() -> None:
    locator = Locator((("folder", "ev"),)).child(
        "file", 'a > b/<img src=x onerror=alert(1)>.jpg "피해자"'
    )
    assert Locator.from_json(locator.to_json()) == locator


def test_bad_locators_and_extents_are_refused() -> None:
    with pytest.raises(ValueError):
        Locator(())
    with pytest.raises(ValueError):
        Locator((("a:b", "x"),))
    with pytest.raises(ValueError):
        Extent(Locator((("raw", "d"),)), 0, 0, ExtentKind.UNALLOCATED)


def test_times_as_dict_names_every_time() -> None:
    from dataclasses import asdict

    from scanner.types import Times

    times = Times(modified=1.5, accessed=None, changed=3.0, born=4.25)
    assert times.as_dict() == {k: v for k, v in asdict(times).items() if k != "basis"}
    zipped = Times(modified=1.5, basis="utc (tar header)")
    assert zipped.as_dict() == asdict(zipped)


def test_a_locator_prints_the_evidence_name_and_keeps_its_path() -> None:
    from scanner.types import Locator

    locator = Locator((("ewf", "/cases/7/case.E01"), ("part", "dos:2@1048576")))
    locator = locator.child("ext4", "inode=14").child("zip", "member=DCIM/a.jpg")
    assert (
        str(locator) == "ewf:case.E01 > part:dos:2@1048576 > ext4:inode=14 > zip:member=DCIM/a.jpg"
    )
    assert Locator.from_json(locator.to_json()) == locator
    assert locator.with_root("/mnt/7/case.E01").root == ("ewf", "/mnt/7/case.E01")
