"""iOS Photos V2 thumbnails: the path of the asset each was made from."""

from __future__ import annotations

import pytest

from scanner.evidence.containers.ios_thumbnails import (
    ios_thumbnail_origin,
    ios_thumbnail_original,
)

MEDIA = "/private/var/mobile/Media"


@pytest.mark.parametrize(
    ("path", "original"),
    [
        (f"{MEDIA}/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0001.JPG/5005.JPG",
         f"{MEDIA}/DCIM/100APPLE/IMG_0001.JPG"),
        # an iTunes backup's CameraRollDomain path, relative to Media
        ("/CameraRollDomain/Media/PhotoData/Thumbnails/V2/DCIM/101APPLE/IMG_1234.HEIC/5003.JPG",
         f"{MEDIA}/DCIM/101APPLE/IMG_1234.HEIC"),
        ("Media/PhotoData/Thumbnails/V2/PhotoData/CPLAssets/group79/0F1E.JPG/5005.JPG",
         f"{MEDIA}/PhotoData/CPLAssets/group79/0F1E.JPG"),
        ("/ufdr/x/photodata/thumbnails/v2/DCIM/100APPLE/IMG_0002.MOV/5005.jpg",
         f"{MEDIA}/DCIM/100APPLE/IMG_0002.MOV"),
    ],
)  # fmt: skip
def test_the_folder_under_v2_is_the_asset_path(path: str, original: str) -> None:
    assert ios_thumbnail_original(path) == original


@pytest.mark.parametrize(
    "path",
    [
        f"{MEDIA}/DCIM/100APPLE/IMG_0001.JPG",  # an original, not a thumbnail
        f"{MEDIA}/PhotoData/Thumbnails/V2/5005.JPG",  # no asset path
        f"{MEDIA}/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0001.JPG/cover.png",
        f"{MEDIA}/PhotoData/Thumbnails/thumbnailConfiguration",  # not V2
        f"{MEDIA}/PhotoData/Thumbnails/V2/DCIM/../../../etc/passwd/5005.JPG",
        f"{MEDIA}/PhotoData/Thumbnails/V2/DCIM//IMG_0001.JPG/5005.JPG",
        f"{MEDIA}/PhotoData/Thumbnails/V2/" + "a/" * 3000 + "5005.JPG",
    ],
)
def test_other_paths_have_no_original(path: str) -> None:
    assert ios_thumbnail_original(path) is None
    assert ios_thumbnail_origin(path) is None


def test_the_origin_a_thumbnail_item_carries() -> None:
    origin = ios_thumbnail_origin(
        f"{MEDIA}/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0001.JPG/5005.JPG"
    )
    assert origin == {
        "store": "ios-photos-thumbnails",
        "entry": "5005.JPG",
        "original_path": f"{MEDIA}/DCIM/100APPLE/IMG_0001.JPG",
        "original_path_basis": "the thumbnail's folder under Thumbnails/V2 repeats it",
        "thumbnail": "iOS Photos thumbnail 5005.JPG",
        "note": "iOS Photos thumbnail of IMG_0001.JPG, whose original may be gone",
    }
