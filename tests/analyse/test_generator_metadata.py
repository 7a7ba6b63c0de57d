"""Generator/editor metadata facts on real and constructed files, and on hostile bytes."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from scanner.analyse.signals.generator_metadata import GeneratorFact, generator_facts

A1111 = (
    "a portrait photo\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"
)


def _png(info: PngImagePlugin.PngInfo | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 90, 60)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _jpeg(exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 90, 60)).save(out, "JPEG", exif=exif or Image.Exif())
    return out.getvalue()


def _kinds(facts: list[GeneratorFact]) -> list[str]:
    return [fact.kind for fact in facts]


def test_png_parameters_chunk_is_flagged() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    facts = generator_facts(_png(info))
    assert _kinds(facts) == ["png-parameters"]
    assert "Stable Diffusion" in facts[0].detail and "Steps: 20" in facts[0].detail


def test_compressed_comfyui_and_face_swap_software_are_flagged() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", '{"3": {"class_type": "KSampler"}}', zip=True)
    info.add_itxt("Software", "FaceApp 11.2", zip=True)
    kinds = _kinds(generator_facts(_png(info)))
    assert "png-parameters" in kinds and "face-swap-software" in kinds


def test_plain_png_has_no_facts() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "Holiday snow")  # a word from the editor list outside a software tag
    assert generator_facts(_png(info)) == []


def test_exif_software_and_incomplete_camera() -> None:
    exif = Image.Exif()
    exif[0x0131] = "Meitu 9.1"
    exif[0x010F], exif[0x0110] = "Canon", "EOS 80D"
    kinds = _kinds(generator_facts(_jpeg(exif)))
    assert kinds == ["editor-software", "camera-metadata-incomplete"]


def test_jpeg_without_exif_says_so() -> None:
    assert _kinds(generator_facts(_jpeg())) == ["no-camera-metadata"]


def test_a1111_parameters_in_exif_user_comment() -> None:
    exif = Image.Exif()
    exif[0x8769] = {0x9286: b"UNICODE\0" + A1111.encode("utf-16-be")}
    kinds = _kinds(generator_facts(_jpeg(exif)))
    assert "exif-parameters" in kinds


AI_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
    'trainedAlgorithmicMedia" xmp:CreatorTool="Adobe Firefly"/></rdf:RDF></x:xmpmeta>'
)


def test_xmp_digital_source_type_is_flagged() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", AI_XMP)
    kinds = _kinds(generator_facts(_png(info)))
    assert "xmp-ai-generated" in kinds and "ai-generator-software" in kinds


def test_jpeg_metadata_is_read_from_its_header_segments_only() -> None:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 90, 60)).save(out, "JPEG", xmp=AI_XMP.encode())
    in_app1 = out.getvalue()
    assert "xmp-ai-generated" in _kinds(generator_facts(in_app1))
    # the same bytes (and a C2PA label) inside the entropy-coded data are picture data
    scan = _jpeg().rindex(b"\xff\xd9")
    in_pixels = _jpeg()[:scan] + AI_XMP.encode() + b"c2pa" + _jpeg()[scan:]
    assert _kinds(generator_facts(in_pixels)) == ["no-camera-metadata"]


def test_real_photo_edited_in_photoshop(photo) -> None:  # noqa: ANN001
    photo("deepface/img13.jpg")  # skips when ../shared is absent
    from tests.analyse.analysis_support import FACES

    facts = generator_facts((FACES / "deepface/img13.jpg").read_bytes())
    assert (
        GeneratorFact("editor-software", "EXIF Software: Adobe Photoshop CC 2018 (Macintosh)")
        in facts
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"\x89PNG\r\n\x1a\n" + b"\xff" * 40,
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x10zTXtkey\x00\x00" + zlib.compress(b"x")[:3],
        b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00" + b"\xff" * 30,
        b"\xff\xd8\xff" + b"c2pa" * 8 + b"<x:xmpmeta",
        bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)),
    ],
)
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_hostile_bytes_never_raise(data: bytes) -> None:
    facts = generator_facts(data)
    assert all(isinstance(fact, GeneratorFact) for fact in facts)
