"""Shared helpers of the container tests: pictures, listing a container file, reading a
member back through the resolver, and a minimal PDF writer."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from PIL import Image

from scanner.evidence.containers import ContainerOptions, Expansion, expand
from scanner.evidence.resolver import Resolver
from scanner.evidence.streams import FileStream, read_chunks
from scanner.types import FileItem, Locator


def picture(
    colour: tuple[int, int, int], kind: str = "JPEG", size: tuple[int, int] = (64, 48)
) -> bytes:
    """A small picture whose bytes differ by colour."""
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    image.putpixel((1, 1), (colour[2], colour[0], colour[1]))
    image.save(out, kind)
    return out.getvalue()


def wrong_passwords(archive: Path, member: str) -> tuple[str, str]:
    """Two wrong passwords of a ZipCrypto member: one its check byte refuses, and one it
    lets through (1 in 256 does), whose data then fails to inflate."""
    refused = passed = ""
    with zipfile.ZipFile(archive) as opened:
        for n in range(100_000):
            guess = f"wrong{n}"
            try:
                opened.open(member, pwd=guess.encode()).close()
                passed = passed or guess
            except RuntimeError:
                refused = refused or guess
            if refused and passed:
                return refused, passed
    raise AssertionError(f"no password passing the check byte of {member}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing(kind: str, path: Path, **options: object) -> Expansion:
    """The members of the container file `path`, as a scan lists them."""
    stream = FileStream(path)
    parent = FileItem(Locator((("file", str(path)),)), "/", stream.size, False)
    return expand(kind, stream, parent, ContainerOptions(**options))  # type: ignore[arg-type]


def content(locator: Locator, **options: object) -> bytes:
    """A member's bytes, reopened from its locator alone."""
    resolver = Resolver(ContainerOptions(**options))  # type: ignore[arg-type]
    try:
        return b"".join(read_chunks(resolver.open_stream(locator)))
    finally:
        resolver.close()


def members(expansion: Expansion, **options: object) -> dict[str, bytes]:
    """Path -> content of every member listed."""
    return {child.path: content(child.locator, **options) for child in expansion.children}


def pdf_stream(dictionary: bytes, data: bytes) -> bytes:
    return dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def build_pdf(objects: dict[int, bytes], root: int = 1, prev_self: bool = False) -> bytes:
    """A PDF of `objects` (number -> body) with a correct xref table; `prev_self` makes the
    trailer's /Prev point at its own xref (a cyclic xref chain)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (
            b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
        )
    prev = b" /Prev %d" % xref if prev_self else b""
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        root,
        prev,
        xref,
    )
    return bytes(out)


def image_pdf(jpeg: bytes, pixels: bytes, width: int, height: int) -> bytes:
    """One page with a DCTDecode image (object 4, `jpeg` as is) and a FlateDecode RGB image
    (object 5, `pixels` of `width` x `height`)."""
    import zlib

    resources = b"<< /XObject << /Im1 4 0 R /Im2 5 0 R >> >>"
    image = b"<< /Type /XObject /Subtype /Image /ColorSpace /DeviceRGB /BitsPerComponent 8"
    return build_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Resources "
            + resources
            + b" /Contents 6 0 R >>",
            4: pdf_stream(image + b" /Width 64 /Height 48 /Filter /DCTDecode", jpeg),
            5: pdf_stream(
                image + b" /Width %d /Height %d /Filter /FlateDecode" % (width, height),
                zlib.compress(pixels),
            ),
            6: pdf_stream(b"<<", b"q 64 0 0 48 0 0 cm /Im1 Do Q"),
        }
    )
