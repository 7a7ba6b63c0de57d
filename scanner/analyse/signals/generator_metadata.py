"""Facts that generators and editors leave in a picture's metadata.

Each fact is a (kind, detail) pair the triage rules can use:

| kind | meaning |
| --- | --- |
| ``png-parameters`` | PNG text chunk with image-generation settings (Stable Diffusion ``parameters``, ComfyUI ``prompt``/``workflow``, InvokeAI, NovelAI) |
| ``exif-parameters`` | EXIF UserComment/ImageDescription holding generation settings (A1111 JPEG/WebP) |
| ``ai-generator-software`` | a software tag names an image generator (Stable Diffusion, Midjourney, DALL-E, ...) |
| ``face-swap-software`` | a software tag names a face-swap tool or app (FaceApp, Reface, DeepFaceLab, roop, ...) |
| ``editor-software`` | a software tag names a photo editor (Photoshop, GIMP, Meitu, Facetune, ...) |
| ``xmp-ai-generated`` | IPTC DigitalSourceType says generated or composited with a trained algorithm |
| ``c2pa-ai-generated`` / ``c2pa-edited`` | a C2PA manifest asserts AI generation / editing actions |
| ``c2pa-manifest`` | a C2PA manifest is present (its validation state in the detail) |
| ``camera-metadata-incomplete`` | EXIF names a camera but lacks the exposure tags every camera writes |
| ``no-camera-metadata`` | a JPEG without camera make/model (weak: chat apps strip EXIF too) |

Nothing here is proof on its own; metadata is easy to strip or forge. Hostile or
truncated input yields fewer facts, never an exception. C2PA manifests are read with
the optional ``c2pa-python`` package, with remote manifest and OCSP fetching off.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass

from PIL import Image

SCAN_LIMIT = 32 * 1024 * 1024
TEXT_LIMIT = 1024 * 1024
DETAIL_LIMIT = 300

GENERATION_KEYS = {
    "parameters": "Stable Diffusion WebUI (A1111/Forge) parameters",
    "prompt": "ComfyUI prompt",
    "workflow": "ComfyUI workflow",
    "invokeai_metadata": "InvokeAI metadata",
    "invokeai_graph": "InvokeAI graph",
    "sd-metadata": "InvokeAI sd-metadata",
    "dream": "InvokeAI dream",
    "generation_data": "generation data",
    "fooocus_scheme": "Fooocus metadata",
}
GENERATORS = (
    "stable diffusion",
    "automatic1111",
    "comfyui",
    "invokeai",
    "fooocus",
    "novelai",
    "midjourney",
    "dall-e",
    "dall·e",
    "dalle",
    "adobe firefly",
    "imagen",
    "leonardo.ai",
    "dreamstudio",
    "flux",
    "sdxl",
    "civitai",
    "nightcafe",
    "craiyon",
    "ideogram",
)
FACE_SWAP = (
    "faceapp",
    "reface",
    "deepfacelab",
    "faceswap",
    "facefusion",
    "roop",
    "deep-live-cam",
    "deeplivecam",
    "swapface",
    "facemagic",
    "faceplay",
    "inswapper",
    "simswap",
    "ghost",
    "deepswap",
    "facemega",
    "akool",
    "vidnoz",
    "remaker",
)
EDITORS = (
    "photoshop",
    "gimp",
    "lightroom",
    "affinity photo",
    "pixelmator",
    "paint.net",
    "meitu",
    "facetune",
    "picsart",
    "snapseed",
    "remini",
    "lensa",
    "b612",
    "snow",
    "beautyplus",
    "youcam",
    "airbrush",
    "photoroom",
    "canva",
    "fotor",
    "lightricks",
)
AI_SOURCE_TYPES = (
    "trainedalgorithmicmedia",
    "compositewithtrainedalgorithmicmedia",
    "algorithmicmedia",
    "compositesynthetic",
)
CAMERA_TAGS = {0x829A: "ExposureTime", 0x829D: "FNumber", 0x8827: "ISO", 0x9003: "DateTimeOriginal"}


@dataclass(frozen=True)
class GeneratorFact:
    """One metadata fact: its kind (see the module table) and a short human-readable detail."""

    kind: str
    detail: str


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 1] + "…"


def _png_text_chunks(data: bytes) -> list[tuple[str, str]]:
    """(keyword, text) of every tEXt, zTXt and iTXt chunk; stops at damage."""
    chunks: list[tuple[str, str]] = []
    offset = 8
    while offset + 8 <= min(len(data), SCAN_LIMIT):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + length]
        if len(body) < length or kind == b"IEND":
            break
        try:
            if kind == b"tEXt":
                key, _, text = body.partition(b"\0")
                chunks.append((key.decode("latin-1"), text.decode("latin-1")))
            elif kind == b"zTXt":
                key, _, rest = body.partition(b"\0")
                chunks.append((key.decode("latin-1"), _inflate(rest[1:]).decode("latin-1")))
            elif kind == b"iTXt":
                key, _, rest = body.partition(b"\0")
                compressed, rest = rest[0], rest[2:]
                _, _, rest = rest.partition(b"\0")  # language tag
                _, _, text = rest.partition(b"\0")  # translated keyword
                text = _inflate(text) if compressed else text
                chunks.append((key.decode("latin-1"), text.decode("utf-8", "replace")))
        except (IndexError, zlib.error, ValueError):
            pass
        offset += 12 + length
    return chunks


def _inflate(data: bytes) -> bytes:
    decompressor = zlib.decompressobj()
    return decompressor.decompress(data, TEXT_LIMIT)


def _software_fact(text: str, where: str) -> GeneratorFact | None:
    lowered = text.lower()
    for names, kind in (
        (FACE_SWAP, "face-swap-software"),
        (GENERATORS, "ai-generator-software"),
        (EDITORS, "editor-software"),
    ):
        for name in names:
            if re.search(r"(?<![a-z])" + re.escape(name) + r"(?![a-z])", lowered):
                return GeneratorFact(kind, _clip(f"{where}: {text}"))
    return None


def _png_facts(data: bytes) -> list[GeneratorFact]:
    facts = []
    for key, text in _png_text_chunks(data):
        lowered = key.lower()
        if lowered in GENERATION_KEYS:
            facts.append(
                GeneratorFact(
                    "png-parameters", _clip(f"{GENERATION_KEYS[lowered]} ({key}): {text}")
                )
            )
        elif lowered in ("software", "source"):
            fact = _software_fact(text, f"PNG {key}")
            if fact:
                facts.append(fact)
        elif lowered in ("comment", "description") and _looks_like_parameters(text):
            facts.append(GeneratorFact("png-parameters", _clip(f"PNG {key}: {text}")))
        elif lowered == "xml:com.adobe.xmp":
            facts.extend(_xmp_facts(text))
    return facts


def _xmp_facts(xmp: str) -> list[GeneratorFact]:
    facts = []
    lowered = xmp.lower()
    for source_type in AI_SOURCE_TYPES:
        if "digitalsourcetype" in lowered and source_type in lowered:
            facts.append(GeneratorFact("xmp-ai-generated", f"IPTC DigitalSourceType {source_type}"))
            break
    for match in re.finditer(r"(?:creatortool|softwareagent)[\"'>=\s]+([^\"'<]{1,200})", xmp, re.I):
        fact = _software_fact(match.group(1), "XMP tool")
        if fact:
            facts.append(fact)
    return facts


def _find_xmp(data: bytes, limit: int) -> str | None:
    start = data.find(b"<x:xmpmeta", 0, limit)
    if start < 0:
        return None
    end = data.find(b"</x:xmpmeta>", start, start + TEXT_LIMIT)
    return data[start : end if end > 0 else start + TEXT_LIMIT].decode("utf-8", "replace")


def _exif_facts(data: bytes, is_jpeg: bool) -> list[GeneratorFact]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            sub = exif.get_ifd(0x8769)
    except Exception:  # Pillow raises many types on hostile input
        return []
    facts = []
    software = exif.get(0x0131)
    if isinstance(software, str) and software.strip():
        fact = _software_fact(software, "EXIF Software")
        if fact:
            facts.append(fact)
    description = exif.get(0x010E)
    if isinstance(description, str) and _looks_like_parameters(description):
        facts.append(
            GeneratorFact("exif-parameters", _clip(f"EXIF ImageDescription: {description}"))
        )
    comment = _user_comment(sub.get(0x9286))
    if comment and _looks_like_parameters(comment):
        facts.append(GeneratorFact("exif-parameters", _clip(f"EXIF UserComment: {comment}")))
    make, model = str(exif.get(0x010F, "")).strip(), str(exif.get(0x0110, "")).strip()
    if make or model:
        missing = [name for tag, name in CAMERA_TAGS.items() if tag not in sub]
        if len(missing) >= 3:
            camera = f"{make} {model}".strip()
            detail = f"EXIF names camera '{camera}' but lacks {', '.join(missing)}"
            facts.append(GeneratorFact("camera-metadata-incomplete", _clip(detail)))
    elif is_jpeg:
        facts.append(
            GeneratorFact(
                "no-camera-metadata",
                "JPEG without EXIF camera make/model (also normal for chat-app copies)",
            )
        )
    return facts


def _user_comment(value: object) -> str:
    if isinstance(value, bytes):
        prefix, body = value[:8], value[8:]
        if prefix.startswith(b"UNICODE"):
            for codec in ("utf-16-be", "utf-16-le"):
                text = body.decode(codec, "replace")
                if "parameters" in text.lower() or "steps:" in text.lower():
                    return text
            return body.decode("utf-16-be", "replace")
        return body.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _looks_like_parameters(text: str) -> bool:
    lowered = text.lower()
    return (
        "steps:" in lowered and ("sampler" in lowered or "cfg scale" in lowered)
    ) or "negative prompt:" in lowered


def _c2pa_facts(data: bytes, mime: str, limit: int) -> list[GeneratorFact]:
    if data.find(b"c2pa", 0, limit) < 0:
        return []
    try:
        import c2pa  # optional dependency
    except ImportError:
        return [GeneratorFact("c2pa-manifest", "present; not read (c2pa-python not installed)")]
    try:
        settings = c2pa.Settings.from_dict(
            {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
        )
        with c2pa.Reader(mime, io.BytesIO(data), context=c2pa.Context(settings)) as reader:
            manifest_json = reader.json()
            state = str(reader.get_validation_state())
    except Exception as exc:  # c2pa raises its own error tree on damaged or absent manifests
        return [GeneratorFact("c2pa-manifest", _clip(f"marker present but unreadable: {exc}"))]
    return _c2pa_assertions(manifest_json, state)


def _c2pa_assertions(manifest_json: str, state: str) -> list[GeneratorFact]:
    lowered = manifest_json.lower()
    facts = [GeneratorFact("c2pa-manifest", f"validation state {state}")]
    for source_type in AI_SOURCE_TYPES:
        if source_type in lowered:
            facts.append(
                GeneratorFact(
                    "c2pa-ai-generated", f"digitalSourceType {source_type} (validation {state})"
                )
            )
            break
    edits = sorted(
        set(
            re.findall(
                r"c2pa\.(edited|composited|placed|cropped|color_adjustments|filtered|drawing)",
                lowered,
            )
        )
    )
    if edits:
        facts.append(
            GeneratorFact("c2pa-edited", f"actions {', '.join(edits)} (validation {state})")
        )
    for match in re.finditer(
        r"\"(?:name|softwareagent|claim_generator)\"\s*:\s*\"([^\"]{1,200})\"", manifest_json, re.I
    ):
        fact = _software_fact(match.group(1), "C2PA")
        if fact:
            facts.append(fact)
    return facts


def _mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "image/heic" if data[8:12] in (b"heic", b"heix", b"mif1", b"msf1") else "image/avif"
    return ""


def _metadata_end(data: bytes, mime: str) -> int:
    """Where metadata can no longer start: a JPEG's first scan (XMP and C2PA live in its
    APP1/APP11 segments before it); otherwise SCAN_LIMIT."""
    if mime != "image/jpeg":
        return SCAN_LIMIT
    offset = 2
    while offset + 4 <= min(len(data), SCAN_LIMIT) and data[offset] == 0xFF:
        marker = data[offset + 1]
        if marker == 0xDA:  # start of scan
            return offset
        if marker == 0xFF:  # fill byte
            offset += 1
        elif marker == 0x01 or 0xD0 <= marker <= 0xD9:  # no length field
            offset += 2
        else:
            offset += 2 + int.from_bytes(data[offset + 2 : offset + 4], "big")
    return SCAN_LIMIT  # no well-formed header: search everything


def generator_facts(data: bytes) -> list[GeneratorFact]:
    """Every generator/editor fact found in the picture bytes, without duplicates, in order."""
    if not isinstance(data, bytes | bytearray | memoryview):
        return []
    data = bytes(data)
    mime = _mime(data)
    facts: list[GeneratorFact] = []
    if mime == "image/png":
        facts.extend(_png_facts(data))
    if mime:
        facts.extend(_exif_facts(data, mime == "image/jpeg"))
        limit = _metadata_end(data, mime)
        xmp = _find_xmp(data, limit)
        if xmp and mime != "image/png":
            facts.extend(_xmp_facts(xmp))
        facts.extend(_c2pa_facts(data, mime, limit))
    unique: list[GeneratorFact] = []
    for fact in facts:
        if fact not in unique:
            unique.append(fact)
    return unique
