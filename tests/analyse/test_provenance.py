"""Source-photo attribution on real photos: composites trace back to the photo they were made from."""

from __future__ import annotations

import numpy as np
import pytest

from scanner.analyse.signals.provenance import (
    SourcePhotoMatch,
    match_source_photo,
    prepare_reference,
)
from scanner.media.decode import decode_picture
from tests.analyse.analysis_support import jpeg, paste_face

# Evaluation people only (never used to set SOURCE_MATCH_THRESHOLD).
SOURCE = "face_recognition/biden.jpg"
SAME_PERSON = ["face_recognition/biden2.jpg"]
OTHERS = ["deepface/img27.jpg", "deepface/img13.jpg", "face_recognition/rose_leslie_img1.jpg"]
TARGET = "deepface/img18.jpg"


@pytest.fixture(scope="module")
def references(photo, landmarks_of) -> list:  # noqa: ANN001
    out = []
    for name in [SOURCE, *SAME_PERSON, *OTHERS]:
        rgb = photo(name)
        out.append((name, rgb, landmarks_of(rgb)[0]))
    return out


@pytest.mark.parametrize("bottleneck", [False, True])
def test_composite_is_traced_to_its_source_photo(
    photo, landmarks_of, references, bottleneck
) -> None:  # noqa: ANN001
    source, target = photo(SOURCE), photo(TARGET)
    composite = paste_face(
        source, landmarks_of(source)[0], target, landmarks_of(target)[0], bottleneck
    )
    forwarded = decode_picture(jpeg(composite, 75))
    match = match_source_photo(forwarded, landmarks_of(forwarded)[0], references)
    assert isinstance(match, SourcePhotoMatch)
    assert match.reference == SOURCE
    assert match.matched


def test_genuine_photo_is_not_attributed_to_another_photo_of_the_person(
    photo, landmarks_of, references
) -> None:  # noqa: ANN001
    genuine = photo("face_recognition/biden2.jpg")
    others = [r for r in references if r[0] != "face_recognition/biden2.jpg"]
    match = match_source_photo(genuine, landmarks_of(genuine)[0], others)
    assert match is not None and not match.matched


def test_the_photo_itself_matches_and_prepared_references_give_the_same(
    photo, landmarks_of, references
) -> None:  # noqa: ANN001
    genuine = photo(SOURCE)
    prepared = [prepare_reference(*r) for r in references]
    plain = match_source_photo(genuine, landmarks_of(genuine)[0], references)
    again = match_source_photo(genuine, landmarks_of(genuine)[0], prepared)
    assert plain == again
    assert plain is not None and plain.reference == SOURCE and plain.correlation > 0.95


def test_unusable_inputs_give_none_or_are_skipped(photo, landmarks_of, references) -> None:  # noqa: ANN001
    rgb = photo(SOURCE)
    points = landmarks_of(rgb)[0]
    assert match_source_photo(rgb, points, []) is None
    assert match_source_photo(rgb, np.full((5, 2), np.nan), references) is None
    assert match_source_photo(rgb, np.zeros((4, 2)), references) is None
    assert match_source_photo(rgb.astype(np.float32), points, references) is None
    tiny = points.mean(axis=0) + (points - points.mean(axis=0)) * 0.01
    assert match_source_photo(rgb, tiny, references) is None
    broken = [("broken", np.zeros((3, 3), np.uint8), points), ("nan", rgb, np.full((5, 2), np.nan))]
    match = match_source_photo(rgb, points, broken + references)
    assert match is not None and match.reference == SOURCE
    assert match_source_photo(rgb, points, broken) is None
