"""Pictures embedded in PDF documents (image XObjects), by `pypdf`, under a time limit.

Each image XObject is a member, opened by its indirect object number (`pdf:object=12`).
JPEG (DCTDecode) and JPEG 2000 (JPXDecode) images are the stream's bytes as they are
(after any general filter before them, e.g. FlateDecode); every other image is decoded
and re-encoded losslessly as PNG, which its path says (`page-3/Im1.png`). pypdf has hung
on hostile PDFs: parsing and opening run under `options.max_seconds` (a listing is
already under expand()'s limit); as pypdf catches Exception in places, the alarm repeats
once expired and the listing checks the clock between pages.
"""

from __future__ import annotations

import io
import re
import signal
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any, ClassVar

import pypdf
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from scanner.errors import EvidenceError
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
)
from scanner.evidence.streams import BytesStream, Stream, stream_file
from scanner.lib.deadline import DeadlineExceeded, deadline

AS_IS = {"/DCTDecode": "jpg", "/DCT": "jpg", "/JPXDecode": "jp2"}
REPEAT = 0.2  # seconds between alarms once a time limit has expired
MAX_PIXELS = 100_000_000  # a decoded image larger than this is not re-encoded
NAME = re.compile(r"[^A-Za-z0-9._-]")
VALUE = re.compile(r"^object=(\d{1,10})$")
DAMAGE = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError)


class PdfContainer(Container):
    kind: ClassVar[str] = "pdf"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head.find(b"%PDF-", 0, 1024) >= 0

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        self._seconds = options.max_seconds
        with self._limited("parsing"):
            try:
                self._reader = pypdf.PdfReader(stream_file(stream), strict=False)
                if self._reader.is_encrypted:
                    self._decrypt(options.password)
                self._pages = len(self._reader.pages)
            except DAMAGE as exc:
                raise EvidenceError(f"not a readable pdf: {_reason(exc)}") from exc

    def _decrypt(self, password: str | None) -> None:
        try:
            if self._reader.decrypt(password or ""):
                return
        except (PyPdfError, NotImplementedError) as exc:
            raise EvidenceError(f"pdf: encrypted, cannot decrypt: {_reason(exc)}") from exc
        need = "a wrong password" if password else "a password is needed (--password)"
        raise EvidenceError(f"pdf: encrypted: {need}")

    def members(self) -> Iterator[Member | Problem]:
        seen: set[int] = set()
        _repeat_alarm()
        end = time.monotonic() + self._seconds
        for number in range(self._pages):
            if self._seconds > 0 and time.monotonic() > end:  # the alarm was swallowed
                raise DeadlineExceeded(f"time limit of {self._seconds:g} s reached")
            try:
                page = self._reader.pages[number]
                found = list(_images(page.get("/Resources"), seen))
            except DAMAGE as exc:
                yield Problem(f"page {number + 1}: {_reason(exc)}")
                continue
            for name, ref in found:
                try:
                    data, extension = _picture(ref.get_object())
                except DAMAGE as exc:
                    yield Problem(f"image object {ref.idnum} on page {number + 1}: {_reason(exc)}")
                    continue
                path = f"page-{number + 1}/{NAME.sub('_', name.lstrip('/'))[:80]}.{extension}"
                yield Member(f"object={ref.idnum}", path, len(data))

    def open(self, value: str) -> Stream:
        match = VALUE.match(value)
        if match is None:
            raise EvidenceError(f"pdf step value must be object=<number>, not {value[:80]!r}")
        number = int(match.group(1))
        with self._limited(f"reading object {number}"):
            try:
                image = self._reader.get_object(number)
                if not isinstance(image, StreamObject) or not _is_image(image):
                    raise EvidenceError(f"pdf object {number} is not an image")
                data, _ = _picture(image)
            except DAMAGE as exc:
                raise EvidenceError(f"pdf object {number}: {_reason(exc)}") from exc
        return BytesStream(data)

    def _limited(self, doing: str) -> AbstractContextManager[None]:
        """The time limit, unless one is already running (expand()'s, for a listing)."""
        return _Limit(self._seconds, doing)


class _Limit:
    def __init__(self, seconds: float, doing: str) -> None:
        self._doing, self._seconds = doing, seconds
        armed = signal.getitimer(signal.ITIMER_REAL)[0] > 0
        self._inner: AbstractContextManager[None] = nullcontext() if armed else deadline(seconds)

    def __enter__(self) -> None:
        self._inner.__enter__()
        _repeat_alarm()

    def __exit__(self, kind: Any, exc: Any, trace: Any) -> None:
        try:
            self._inner.__exit__(kind, exc, trace)
        except DeadlineExceeded:
            pass
        if isinstance(exc, DeadlineExceeded) and not isinstance(self._inner, nullcontext):
            raise EvidenceError(
                f"pdf: time limit of {self._seconds:g} s reached {self._doing}"
            ) from exc


def _repeat_alarm() -> None:
    """Make a running time limit fire again every REPEAT seconds once it has expired:
    pypdf catches Exception in places, and so can swallow a single DeadlineExceeded."""
    left = signal.getitimer(signal.ITIMER_REAL)[0]
    if left > 0:
        signal.setitimer(signal.ITIMER_REAL, left, REPEAT)


def _images(resources: Any, seen: set[int], depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(name, reference) of each image XObject not yet seen, through Form XObjects."""
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject) or depth > 16:
        return
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return
    for name, ref in xobjects.items():
        if not isinstance(ref, IndirectObject) or ref.idnum in seen:
            continue
        seen.add(ref.idnum)
        target = ref.get_object()
        if _is_image(target):
            yield str(name), ref
        elif isinstance(target, StreamObject) and target.get("/Subtype") == "/Form":
            yield from _images(target.get("/Resources"), seen, depth + 1)


def _is_image(target: Any) -> bool:
    return isinstance(target, StreamObject) and target.get("/Subtype") == "/Image"


def _picture(image: StreamObject) -> tuple[bytes, str]:
    """The image's bytes and file extension: JPEG/JPEG 2000 as stored, others as PNG."""
    filters = image.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    names = [str(f) for f in filters] if isinstance(filters, ArrayObject) else [str(filters)]
    if names and names[-1] in AS_IS:
        if len(names) == 1:
            return image._data, AS_IS[names[-1]]  # the raw stream bytes, byte-exact
        return image.get_data(), AS_IS[names[-1]]  # pypdf passes DCT/JPX data through
    width, height = int(image.get("/Width", 0)), int(image.get("/Height", 0))
    if width * height > MAX_PIXELS:
        raise ValueError(f"{width}x{height} pixels is over the {MAX_PIXELS}-pixel limit")
    out = io.BytesIO()
    image.decode_as_image().save(out, "PNG")
    return out.getvalue(), "png"


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


CONTAINERS.add("pdf", PdfContainer, "PDF document: its image XObjects (pypdf, time-limited)")
