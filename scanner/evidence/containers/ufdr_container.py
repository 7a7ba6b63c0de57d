"""Cellebrite UFDR reports: a zip whose `report.xml` describes the device's files.

What was checked against open readers (IPED's UfedXmlReader, SEilers/UFEDLib) and
published UFDR listings: the zip holds `report.xml` (IPED also tries `Report.xml`) and the
files under `files/<Category>/…`; elements are in the namespace
`http://pa.cellebrite.com/report/2.0` (matched here by local name); `<project>` has
`<metadata section="Device Info">` and `"Extraction Data"` of `<item name=…>` values and
`<extractionInfo id= name=>`; `<taggedFiles>` holds `<file fs= path= size= id=
extractionId= deleted=>` (deleted when `deleted` is "Deleted", any case), with
`<accessInfo><timestamp name="CreationTime|ModifyTime|AccessTime">` (ISO 8601 with zone)
and `<metadata section="File"><item name="Local Path">` naming the zip member (backslashes
become '/', each segment trimmed, as IPED does). Reports of version 8.5 on keep the decoded
data (device info, chats…) in `DbData/database.db`, a PostgreSQL custom-format dump
(`PGDMP`; UFEDLib restores it with pg_restore, schema `device_<DeviceId>` from
`DbData/database.json`): it is not read here (`dftriage info` says so); its members are
listed like any other zip member, and the extracted files are still those of `files/`.

Members: each `<file>` whose Local Path is in the zip, at device path `/<fs>/<path>`, as
`ufdr:id=<id>;member=<local path>` (`member=<local path>` when the id is not a plain
token), opened through a `ZipContainer`, so a worker reopens it without parsing the report;
then every zip member the report does not name, at `/_ufdr/<zip path>`, as the zip names
it (`ufdr:member=…`). The MD5/SHA-1/SHA-256 that report.xml states for a file travel in
its origin and are compared with the content when it is hashed (`ufdr_hashes.py`).
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from xml.etree.ElementTree import Element, ParseError
from zipfile import BadZipFile

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from scanner.errors import EvidenceError, one_line
from scanner.evidence.containers.base import (
    CONTAINERS,
    Container,
    ContainerOptions,
    Member,
    Problem,
    printable,
)
from scanner.evidence.containers.cache_paths import path_origin
from scanner.evidence.containers.ufdr_hashes import stated_hashes
from scanner.evidence.streams import Stream, stream_file
from scanner.types import Times

REPORT_NAMES = ("report.xml", "Report.xml")
ZONED = "as given in report.xml (with zone)"
UNZONED = "as given in report.xml (no zone given: read as UTC)"
TIME_FIELDS = {"CreationTime": "born", "ModifyTime": "modified", "AccessTime": "accessed"}
OTHER_FORMATS = ("%d-%b-%y %I:%M:%S %z", "%d/%m/%Y %I:%M:%S %z")
DEVICE_SECTIONS = {"Device Info": "device", "Extraction Data": "extraction"}
MAX_FACTS = 64
DECODED_DUMP = "DbData/database.db"
PG_DUMP = b"PGDMP"  # pg_dump's custom format
TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
ID_VALUE = re.compile(r"^id=([A-Za-z0-9._-]{1,80});member=(.*)$", re.DOTALL)
EOCD = struct.Struct("<4sHHHHIIH")
EOCD64 = struct.Struct("<4sQHHIIQQQQ")
CENTRAL = struct.Struct("<4s24xHHH12x")
CD_CHUNK = 1 << 20


class UfdrContainer(Container):
    kind: ClassVar[str] = "ufdr"

    @staticmethod
    def sniff(head: bytes, stream: Stream) -> bool:
        return head.startswith(b"PK\x03\x04") and _central_directory_names(stream, REPORT_NAMES)

    def __init__(self, stream: Stream, options: ContainerOptions) -> None:
        # imported here: this module must register before the zip module, whose sniff
        # also accepts a UFDR (registration order is sniff order)
        from scanner.evidence.containers.zip_container import ZipContainer

        self._zip = ZipContainer(stream, options)
        self._entries: dict[str, Member] = {}
        for entry in self._zip.members():
            if isinstance(entry, Member):
                self._entries.setdefault(entry.path, entry)
        self._report = next((n for n in REPORT_NAMES if n in self._entries), None)

    def members(self) -> Iterator[Member | Problem]:
        named: set[str] = set()
        if self._report is None:
            yield Problem("no report.xml in it: listed as a plain zip")
        else:
            yield from self._files(named)
        for path, entry in self._entries.items():
            if path not in named:
                yield Member(entry.value, f"/_ufdr/{path}", entry.size, entry.times)

    def open(self, value: str) -> Stream:
        match = ID_VALUE.match(value)
        if match is None:
            return self._zip.open(value)  # a zip member, as the zip names it
        local = match.group(2)
        if local not in self._entries:
            raise EvidenceError(
                f"report.xml names Local Path {printable(local[:200])!r}, which is not in the UFDR"
            )
        return self._zip.open(f"member={local}")

    def metadata(self) -> dict[str, str]:
        """Device Info and Extraction Data items and extraction names (up to the files)."""
        facts: dict[str, str] = {}
        if self._report is None:
            return facts
        try:
            dump = self._entries.get(DECODED_DUMP)
            if dump is not None:
                head = self._zip.open(dump.value).read(0, len(PG_DUMP))
                what = "a PostgreSQL dump of the decoded data" if head == PG_DUMP else "unknown"
                facts["decoded data"] = f"{DECODED_DUMP} ({what}): not read"
            for event, element, path in self._events():
                if event == "start" and len(path) == 1 and element.get("reportVersion"):
                    facts["report version"] = printable(element.get("reportVersion", ""))[:40]
                if event == "start" and path[-1] == "taggedFiles":
                    break
                if event == "end" and path[-1] == "metadata" and len(path) == 2:
                    _section_facts(element, facts)
                elif event == "end" and path[-1] == "extractionInfo":
                    key = f"extraction {element.get('id', '')[:40]}".strip()
                    facts.setdefault(key, printable(element.get("name", ""))[:200])
                if len(facts) >= MAX_FACTS:
                    break
        except (EvidenceError, ParseError, DefusedXmlException, OSError, BadZipFile, zlib.error):
            pass  # the listing reports the damage
        return facts

    def _events(self) -> Iterator[tuple[str, Element, list[str]]]:
        """(event, element, local names from the root) over report.xml; elements that no
        `<file>` or top-level `<metadata>` holds are dropped as soon as they end."""
        assert self._report is not None
        handle = stream_file(self._zip.open(self._zip_value(self._report)))
        stack: list[Element] = []
        path: list[str] = []
        for event, element in iterparse(handle, events=("start", "end")):
            if event == "start":
                stack.append(element)
                path.append(_local(element.tag))
                yield event, element, path
                continue
            yield event, element, path
            keep = any(n == "file" for n in path[:-1]) or (len(path) > 2 and path[1] == "metadata")
            stack.pop()
            path.pop()
            if stack and not keep and len(stack[-1]) and stack[-1][-1] is element:
                del stack[-1][-1]

    def _zip_value(self, path: str) -> str:
        return self._entries[path].value

    def _files(self, named: set[str]) -> Iterator[Member | Problem]:
        """The report's `<file>`s; the local paths they name are added to `named`."""
        listed = 0
        try:
            for event, element, path in self._events():
                if event == "end" and path[-1] == "file" and "taggedFiles" in path[:-1]:
                    listed += 1
                    yield from self._member(element, named)
                    element.clear()
        except (ParseError, DefusedXmlException, OSError, EOFError, BadZipFile, zlib.error) as exc:
            yield Problem(
                f"report.xml damaged ({one_line(exc)}); the {listed} files before it are listed"
            )
        except EvidenceError as exc:
            yield Problem(str(exc), fatal="password" in str(exc))

    def _member(self, element: Element, named: set[str]) -> Iterator[Member | Problem]:
        """The zip member a `<file>` element names, or why there is none."""
        items = _items(element, "File")
        file_id = element.get("id", "")
        local = _normalised(items.get("Local Path", ""))
        device = printable(re.sub("/+", "/", f"/{element.get('fs', '')}/{element.get('path', '')}"))
        where = f"report.xml file {printable(file_id[:80])!r} ({device[:200]!r})"
        if not local:
            return  # listed in the report without content in the UFDR (Cellebrite's choice)
        entry = self._entries.get(local)
        named.add(local)
        stated = element.get("size", "").strip()
        if entry is None:  # listed, so that its own error row names it (see `open`)
            size = int(stated) if stated.isdigit() else 0
        else:
            size = entry.size
            if stated.isdigit() and int(stated) != entry.size:
                yield Problem(f"{where}: report.xml says {stated} bytes, the UFDR holds {size}")
        hashes, bad = stated_hashes(items)
        # the listing adds a cache path's origin only to items without one: kept here
        origin = {**(path_origin(device) or {}), **hashes}
        for reason in bad:
            yield Problem(f"{where}: report.xml {reason}")
        value = f"id={file_id};member={local}" if TOKEN.match(file_id) else f"member={local}"
        deleted = element.get("deleted", "").strip().lower() == "deleted"
        yield Member(value, device, size, _times(element), deleted, origin)


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _items(element: Element, section: str) -> dict[str, str]:
    """The `<item name=…>` values of an element's `<metadata section=…>`."""
    values: dict[str, str] = {}
    for metadata in element:
        if _local(metadata.tag) == "metadata" and metadata.get("section") == section:
            for item in metadata:
                if _local(item.tag) == "item":
                    values.setdefault(item.get("name", ""), (item.text or "").strip())
    return values


def _section_facts(metadata: Element, facts: dict[str, str]) -> None:
    prefix = DEVICE_SECTIONS.get(metadata.get("section", ""))
    if prefix is None:
        return
    for item in metadata:
        name, text = item.get("name", ""), (item.text or "").strip()
        if _local(item.tag) != "item" or not name or not text or len(facts) >= MAX_FACTS:
            continue
        key = printable(f"{prefix}: {name}")[:100]
        value = printable(text)[:200]
        facts[key] = f"{facts[key]}, {value}"[:400] if key in facts else value


def _normalised(local: str) -> str:
    return "/".join(part.strip() for part in local.replace("\\", "/").split("/")).strip("/")


def _times(element: Element) -> Times:
    found: dict[str, float] = {}
    zoned = True
    for access in element:
        if _local(access.tag) != "accessInfo":
            continue
        for stamp in access:
            field = TIME_FIELDS.get(stamp.get("name", ""))
            parsed = _parse_time((stamp.text or "").strip()) if field else None
            if field and parsed is not None:
                found[field], zoned = parsed[0], zoned and parsed[1]
    if not found:
        return Times()
    return Times(**found, basis=ZONED if zoned else UNZONED)


def _parse_time(text: str) -> tuple[float, bool] | None:
    """POSIX seconds and whether a zone was given, for the formats IPED accepts."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
        for form in OTHER_FORMATS:
            try:
                moment = datetime.strptime(text, form)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC).timestamp(), False
    return moment.timestamp(), True


def _central_directory_names(stream: Stream, names: tuple[str, ...]) -> bool:
    """True if the zip's central directory holds a member named one of `names` (read from
    the end of the archive, without parsing every entry into objects)."""
    wanted = {name.encode() for name in names}
    tail_length = min(stream.size, EOCD.size + 65535)
    tail = stream.read(stream.size - tail_length, tail_length)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + EOCD.size > len(tail):
        return False
    eocd_at = stream.size - tail_length + at
    *_, cd_size, cd_offset, _comment = EOCD.unpack_from(tail, at)
    if cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        locator = tail[at - 20 : at] if at >= 20 else b""
        if not locator.startswith(b"PK\x06\x07"):
            return False
        eocd_at = struct.unpack_from("<Q", locator, 8)[0]
        record = stream.read(eocd_at, EOCD64.size)
        if len(record) < EOCD64.size or not record.startswith(b"PK\x06\x06"):
            return False
        cd_size = EOCD64.unpack(record)[8]
    start = eocd_at - cd_size
    if start < 0:
        return False
    return _scan_central(stream, start, cd_size, wanted)


def _scan_central(stream: Stream, start: int, size: int, wanted: set[bytes]) -> bool:
    offset, end = start, start + size
    buffer, at = b"", 0
    while True:
        if len(buffer) - at >= CENTRAL.size:
            signature, name_length, extra_length, comment_length = CENTRAL.unpack_from(buffer, at)
            if signature != b"PK\x01\x02":
                return False
            record = CENTRAL.size + name_length + extra_length + comment_length
            if len(buffer) - at >= record:
                if buffer[at + CENTRAL.size : at + CENTRAL.size + name_length] in wanted:
                    return True
                at += record
                continue
        if offset >= end:
            return False
        chunk = stream.read(offset, min(CD_CHUNK, end - offset))
        if not chunk:
            return False
        buffer, at = buffer[at:] + chunk, 0
        offset += len(chunk)


CONTAINERS.add("ufdr", UfdrContainer, "Cellebrite UFDR report (zip with report.xml)")
