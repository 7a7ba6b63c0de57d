"""DFXML report of a carving run: one <fileobject> per carved file with its byte runs."""

from __future__ import annotations

import datetime as dt
from typing import IO
from xml.etree import ElementTree as ET

from scanner import __version__
from scanner.carve.engine import CarvedFile

DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
DC_NS = "http://purl.org/dc/elements/1.1/"
DFTRIAGE_NS = "urn:dftriage:carve"
ET.register_namespace("dc", DC_NS)
ET.register_namespace("dftriage", DFTRIAGE_NS)


def _text(parent: ET.Element, tag: str, text: object) -> ET.Element:
    child = ET.SubElement(parent, tag)
    child.text = str(text)
    return child


class DfxmlWriter:
    """Streams a DFXML document: header, file objects as they come, then the run summary."""

    def __init__(self, out: IO[str], image_name: str, image_size: int, command_line: str) -> None:
        self.out = out
        out.write("<?xml version='1.0' encoding='UTF-8'?>\n")
        out.write(
            f'<dfxml xmlns="{DFXML_NS}" xmlns:dc="{DC_NS}" '
            f'xmlns:dftriage="{DFTRIAGE_NS}" version="1.2.0">\n'
        )
        self._element(_metadata())
        creator = ET.Element("creator")
        _text(creator, "program", "dftriage")
        _text(creator, "version", __version__)
        env = ET.SubElement(creator, "execution_environment")
        _text(env, "command_line", command_line)
        _text(env, "start_time", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        self._element(creator)
        source = ET.Element("source")
        _text(source, "image_filename", image_name)
        _text(source, "image_size", image_size)
        self._element(source)

    def _element(self, element: ET.Element) -> None:
        ET.indent(element, "  ", 1)
        self.out.write("  " + ET.tostring(element, encoding="unicode") + "\n")

    def add(self, item: CarvedFile, filename: str, digests: dict[str, str]) -> None:
        """One carved file: name in the output folder, size, runs, hashes and provenance."""
        obj = ET.Element("fileobject")
        _text(obj, "filename", filename)
        _text(obj, "filesize", item.valid_length)
        runs = ET.SubElement(obj, "byte_runs")
        file_offset = 0
        for offset, length in item.runs:
            ET.SubElement(
                runs,
                "byte_run",
                file_offset=str(file_offset),
                img_offset=str(offset),
                len=str(length),
            )
            file_offset += length
        for name, value in digests.items():
            _text(obj, "hashdigest", value).set("type", name)
        ET.SubElement(
            obj,
            f"{{{DFTRIAGE_NS}}}carve",
            kind=item.kind,
            complete="1" if item.complete else "0",
            fragments=str(len(item.runs)),
            extent_kind=item.extent.kind.value,
            extent=str(item.extent.locator),
            extent_offset=str(item.extent.offset),
            extent_length=str(item.extent.length),
        )
        self._element(obj)

    def close(self, files: int, seconds: float) -> None:
        summary = ET.Element("rusage")
        _text(summary, "clocktime", f"{seconds:.3f}")
        _text(summary, "files", files)
        self._element(summary)
        self.out.write("</dfxml>\n")


def _metadata() -> ET.Element:
    meta = ET.Element("metadata")
    _text(meta, f"{{{DC_NS}}}type", "Carve Report")
    return meta
