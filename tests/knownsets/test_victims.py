"""Victim sets from real reference photos: build, robust PDQ matching, face table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scanner.errors import KnownSetError
from scanner.hashing import hash_file, pdq_hash
from scanner.knownsets import VictimStore, build_victims, export_set, list_sets, load_matcher
from scanner.media.decode import decode_picture
from tests.knownsets.ks_helpers import FACES
from tests.knownsets.ks_transforms import TRANSFORMS

needs_faces = pytest.mark.skipif(
    not (FACES / "deepface").is_dir(), reason="shared face photos absent"
)
VICTIMS = {
    "P02": ["img3.jpg", "img12.jpg"],
    "P05": ["img16.jpg", "img17.jpg"],
    "P07": ["img20.jpg"],
}
OTHERS = ["img8.jpg", "img13.jpg", "img18.jpg", "img22.jpg", "img24.jpg", "img27.jpg", "img29.jpg"]


def victim_folder(root: Path) -> Path:
    """DIR/<victim>/picture, made of symbolic links to the shared photos (nothing copied)."""
    folder = root / "refs"
    for label, names in VICTIMS.items():
        (folder / label).mkdir(parents=True)
        for name in names:
            (folder / label / name).symlink_to(FACES / "deepface" / name)
    return folder


@needs_faces
def test_build_and_match_edited_copies(tmp_path: Path, home: Path) -> None:
    folder = victim_folder(tmp_path)
    (folder / "stray.jpg").symlink_to(FACES / "deepface" / "img1.jpg")
    (folder / "P07" / "notes.txt").write_text("not a picture")
    info, report = build_victims(folder, "school", home=home)
    assert (info.kind, info.entries, report.rejected) == ("victim", 5, 1)
    assert "stray.jpg: not inside a victim sub-folder" in report.messages[0]
    assert 5 * 8 < info.counts["pdq"] <= 5 * 43  # 8 dihedral + 35 slightly cropped each
    assert len(info.source_sha256) == 64
    matcher = load_matcher(["school"], home=home)
    crypto = hash_file(folder / "P05" / "img16.jpg")
    [exact] = matcher.match_crypto(crypto.md5, crypto.sha1, crypto.sha256)
    assert (exact.method, exact.label, exact.entry_id) == ("sha256", "P05", "P05/img16.jpg")
    for label, names in VICTIMS.items():
        for name in names:
            rgb = decode_picture((FACES / "deepface" / name).read_bytes())
            edited = {t: pdq_hash(fn(rgb)) for t, fn in TRANSFORMS.items()}
            edited["rotated"] = pdq_hash(np.ascontiguousarray(np.rot90(rgb)))
            results = matcher.match_pdq_many(
                [h for h, _ in edited.values()], [q for _, q in edited.values()]
            )
            for edit, matches in zip(edited, results, strict=True):
                assert matches, f"{name} after {edit} not found"
                assert matches[0].entry_id == f"{label}/{name}" and matches[0].distance <= 31, edit


@needs_faces
def test_unrelated_pictures_do_not_match(tmp_path: Path, home: Path) -> None:
    build_victims(victim_folder(tmp_path), "school", home=home)
    matcher = load_matcher(home=home)
    hashes = [pdq_hash(decode_picture((FACES / "deepface" / n).read_bytes())) for n in OTHERS]
    assert matcher.match_pdq_many([h for h, _ in hashes], [q for _, q in hashes]) == [[]] * len(
        OTHERS
    )


@needs_faces
def test_no_dihedral_and_export(tmp_path: Path, home: Path) -> None:
    info, _ = build_victims(
        victim_folder(tmp_path), "plain", home=home, dihedral=False, crops=False
    )
    assert info.counts["pdq"] == 5
    out = tmp_path / "victims.json"
    with open(out, "w", encoding="utf-8") as handle:
        export_set("plain", handle, home=home)
    text = out.read_text()
    assert text.count('"HashName": "PDQ"') == 5 and '"MediaFiles"' in text


def test_face_table_round_trip(tmp_path: Path, home: Path) -> None:
    folder = tmp_path / "refs" / "V1"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    import cv2

    picture = cv2.resize(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), (400, 300))
    cv2.imwrite(str(folder / "a.png"), picture)

    def embedder(rgb: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
        return [("mobilefacenet", "ab" * 32, rgb.mean(axis=(0, 1)).astype(np.float32))]

    build_victims(tmp_path / "refs", "v", home=home, embedder=embedder)
    store = VictimStore(home)
    store.add_faces("v", [("V2", "ref-9", "mobilefacenet", "ab" * 32, np.ones(3))])
    labels, refs, matrix = store.faces("v", "mobilefacenet")
    assert labels == ["V1", "V2"] and refs == ["V1/a.png", "ref-9"]
    assert matrix.dtype == np.float32 and matrix.shape == (2, 3)
    assert store.faces("v", "other-model")[2].shape == (0, 0)
    with pytest.raises(ValueError, match="empty or not finite"):
        store.add_faces("v", [("V3", "x", "m", "", np.array([np.nan]))])
    with pytest.raises(KnownSetError, match="no set named"):
        store.faces("absent", "m")


def test_folder_without_victim_subfolders(tmp_path: Path, home: Path) -> None:
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.jpg").write_bytes(b"x")
    with pytest.raises(KnownSetError, match="no reference picture found"):
        build_victims(tmp_path / "flat", "v", home=home)
    assert list_sets(home) == []


@needs_faces
def test_reference_video_frames_match(tmp_path: Path, home: Path) -> None:
    """A video in a victim folder is stored by its frames; a re-encoded still of one matches."""
    import cv2

    clip = FACES / "face_recognition" / "short_hamilton_clip.mp4"
    (tmp_path / "refs" / "V9").mkdir(parents=True)
    (tmp_path / "refs" / "V9" / "clip.mp4").symlink_to(clip)
    info, _ = build_victims(tmp_path / "refs", "vid", home=home)
    assert info.entries == 1 and info.counts["pdq"] >= 2
    capture = cv2.VideoCapture(str(clip))
    capture.set(cv2.CAP_PROP_POS_FRAMES, round(2 * capture.get(cv2.CAP_PROP_FPS)))
    ok, frame = capture.read()
    capture.release()
    assert ok
    still = cv2.cvtColor(cv2.resize(frame, None, fx=0.5, fy=0.5), cv2.COLOR_BGR2RGB)
    [match] = load_matcher(["vid"], home=home).match_pdq(*pdq_hash(still))
    assert (match.label, match.entry_id) == ("V9", "V9/clip.mp4") and match.distance <= 31
