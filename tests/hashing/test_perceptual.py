"""PDQ hex convention (against ThreatExchange's published hashes), pHash/dHash, video PDQ."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pdqhash
import pytest

from scanner.errors import MediaError
from scanner.hashing.perceptual import (
    PDQ_MIN_QUALITY,
    hamming,
    pdq_bits_to_hex,
    pdq_dihedral,
    pdq_hash,
    pdq_hex_to_bits,
    perceptual_hashes,
    video_pdq,
)
from scanner.media.decode import decode_picture

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"

# ThreatExchange's reference hashes of its "dih" sample set (bridge-1..8), from
# pdq/python/pdqhashing/tests/pdq_test.py in facebook/ThreatExchange.
TE_BRIDGE = {
    "original": "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22",
    "rotate-90": "38a50efd71c83f429013d68d0ffffc52e34e0e15ada952a9d29684214aa9e5af",
    "rotate-180": "2dadda64b5a142e5d362209057da895ae63b8c7fc277b4b766b319361f893188",
    "rotate-270": "a5f0a457248995e8c9065c275aaa54d8b61ba4bdf8fcfc0387c32f8b0bfc4f05",
    "flipx": "d8f80f31e0f417b00e37f5dd028f980fb36ed12a9662c1e233e64c634e9c64dd",
    "flipy": "0dad259bb1a1bd18d362576556da32a1e63b7380c2374b4866b3c6c91b89ce77",
    "flip-plus-1": "f0a5e10271dcc0bd9c5309720fff018de34ef1e8ada9a956d2967ade1ea91a50",
    "flip-minus-1": "69f05aa8a4996a17c146a2da5aaaab07b61b5b60f8fc07fc83c3d0740bfcb0fa",
}
# Transposing a picture (flip about the main diagonal) maps these onto each other.
TE_TRANSPOSED = {
    "original": "flip-plus-1",
    "rotate-90": "flipy",
    "rotate-180": "flip-minus-1",
    "rotate-270": "flipx",
}


def smooth_picture(seed: int, height: int = 480, width: int = 640) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 10, width // 10, 3), dtype=np.uint8)
    return np.ascontiguousarray(cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC))


def transpose_permutation() -> np.ndarray:
    """Index map of pdqhash's vector under transposition, from its float output."""
    picture = smooth_picture(3)
    before, _ = pdqhash.compute_float(picture)
    after, _ = pdqhash.compute_float(np.ascontiguousarray(picture.transpose(1, 0, 2)))
    index = np.abs(after[:, None] - before[None, :]).argmin(axis=1)
    assert np.allclose(after, before[index], atol=1e-2), "transposition is not a pure permutation"
    assert len(set(index.tolist())) == 256
    return index


def transpose_hex(hex_hash: str, index: np.ndarray, bitorder: str = "big") -> str:
    bits = np.unpackbits(np.frombuffer(bytes.fromhex(hex_hash), np.uint8), bitorder=bitorder)
    return np.packbits(bits[index], bitorder=bitorder).tobytes().hex()


def test_hex_is_threatexchange_python_form() -> None:
    """Element 0 is the most significant bit, as ThreatExchange's '%0*X' of int(bits, 2)."""
    picture = smooth_picture(1)
    bits, _ = pdqhash.compute(picture)
    expected = "%0*x" % (64, int("".join(str(int(b)) for b in bits), 2))  # noqa: UP031
    assert pdq_hash(picture)[0] == expected
    assert pdq_bits_to_hex(pdq_hex_to_bits(expected)) == expected


def test_transposition_maps_threatexchange_reference_hashes_exactly() -> None:
    """With our bit order, transposing ThreatExchange's bridge hashes gives exactly its hashes
    of the transposed pictures; with the other bit order nothing comes close."""
    index = transpose_permutation()
    picture = smooth_picture(5)
    ours = pdq_hash(picture)[0]
    assert pdq_hash(np.ascontiguousarray(picture.transpose(1, 0, 2)))[0] == transpose_hex(
        ours, index
    )
    for source, target in TE_TRANSPOSED.items():
        assert transpose_hex(TE_BRIDGE[source], index) == TE_BRIDGE[target]
        assert transpose_hex(TE_BRIDGE[target], index) == TE_BRIDGE[source]
        wrong = transpose_hex(TE_BRIDGE[source], index, bitorder="little")
        assert min(hamming(wrong, h) for h in TE_BRIDGE.values()) > 64


def test_dihedral_variants_match_transformed_pictures() -> None:
    picture = smooth_picture(9)
    variants, quality = pdq_dihedral(picture)
    assert quality >= PDQ_MIN_QUALITY and len(set(variants)) == 8
    for turned in (np.rot90(picture, 1), np.rot90(picture, 2), picture[:, ::-1], picture[::-1]):
        plain = pdq_hash(np.ascontiguousarray(turned))[0]
        assert min(hamming(plain, v) for v in variants) <= 16
        assert hamming(plain, variants[0]) > 40  # a turned copy needs the variants


def test_flat_picture_has_low_quality() -> None:
    flat = np.full((200, 300, 3), 128, dtype=np.uint8)
    assert pdq_hash(flat)[1] < PDQ_MIN_QUALITY


def test_perceptual_hashes_shapes_and_grayscale_input() -> None:
    picture = smooth_picture(2)
    hashes = perceptual_hashes(picture)
    assert len(hashes.pdq) == 64 and len(hashes.phash) == 16 and len(hashes.dhash) == 16
    gray = perceptual_hashes(cv2.cvtColor(picture, cv2.COLOR_RGB2GRAY))
    assert hamming(gray.pdq, hashes.pdq) <= 40


def test_phash_and_dhash_hex_is_imagehash_own_form() -> None:
    import imagehash
    from PIL import Image

    from scanner.hashing.perceptual import _dedup_input

    for seed in range(20):
        picture = smooth_picture(seed)
        small = Image.fromarray(_dedup_input(picture))
        hashes = perceptual_hashes(picture)
        assert hashes.phash == str(imagehash.phash(small))
        assert hashes.dhash == str(imagehash.dhash(small))


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="expected uint8 array"):
        pdq_hash(np.zeros((10, 10, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="256 PDQ bits"):
        pdq_bits_to_hex(np.zeros(255))


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared face photos not present")
def test_real_photo_reencoded_stays_close() -> None:
    data = (SHARED / "deepface" / "img2.jpg").read_bytes()
    rgb = decode_picture(data)
    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 50]
    )
    assert ok
    again = decode_picture(jpeg.tobytes())
    assert hamming(pdq_hash(rgb)[0], pdq_hash(again)[0]) <= 31
    other = decode_picture((SHARED / "deepface" / "img3.jpg").read_bytes())
    assert hamming(pdq_hash(rgb)[0], pdq_hash(other)[0]) > 31


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared face photos not present")
def test_video_frames_sampled_at_one_per_second() -> None:
    clip = SHARED / "face_recognition" / "short_hamilton_clip.mp4"
    frames = video_pdq(str(clip))
    capture = cv2.VideoCapture(str(clip))
    duration = capture.get(cv2.CAP_PROP_FRAME_COUNT) / capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    assert len(frames) == int(duration) + 1 or len(frames) == int(np.ceil(duration))
    times = [t for t, _, _ in frames]
    assert times[0] == 0.0 and all(
        0.9 < b - a < 1.1 for a, b in zip(times, times[1:], strict=False)
    )
    assert all(len(h) == 64 and 0 <= q <= 100 for _, h, q in frames)


def test_video_that_is_not_a_video(tmp_path: Path) -> None:
    bogus = tmp_path / "clip.mp4"
    bogus.write_bytes(b"not a video at all" * 10)
    with pytest.raises(MediaError):
        video_pdq(str(bogus))


def test_video_whose_frames_do_not_decode(damaged_video: Path) -> None:
    clip = damaged_video
    assert cv2.VideoCapture(str(clip)).isOpened()  # the container still opens
    with pytest.raises(MediaError, match="no decodable frame"):
        video_pdq(str(clip))


TE_IMAGES = Path(__file__).resolve().parents[3] / "shared" / "data" / "threatexchange" / "dih"


@pytest.mark.skipif(not TE_IMAGES.is_dir(), reason="ThreatExchange sample pictures not present")
def test_threatexchange_sample_pictures() -> None:
    """Where ThreatExchange's bridge pictures are available, our hashes are within its own
    test tolerance (16 bits; JPEG decoders differ slightly) of its reference hashes."""
    names = {
        "original": "bridge-1-original.jpg",
        "rotate-90": "bridge-2-rotate-90.jpg",
        "rotate-180": "bridge-3-rotate-180.jpg",
        "rotate-270": "bridge-4-rotate-270.jpg",
        "flipx": "bridge-5-flipx.jpg",
        "flipy": "bridge-6-flipy.jpg",
        "flip-plus-1": "bridge-7-flip-plus-1.jpg",
        "flip-minus-1": "bridge-8-flip-minus-1.jpg",
    }
    for key, name in names.items():
        ours, quality = pdq_hash(decode_picture((TE_IMAGES / name).read_bytes()))
        assert hamming(ours, TE_BRIDGE[key]) <= 16 and quality >= PDQ_MIN_QUALITY, name
