"""dfxml.xml: Digital Forensics XML for every carved item: its byte runs and hashes.

Each carved location becomes a `fileobject` whose `filename` is the locator, with
`byte_runs` giving the image offsets and lengths and `hashdigest`s of the content.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from scanner.report.registry import WRITERS, WriteContext
from scanner.report.text import xml_text

FILE_NAME = "dfxml.xml"
DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
DC_NS = "http://purl.org/dc/elements/1.1/"


@WRITERS.decorator("dfxml", "dfxml.xml: every carved item with its byte runs and hashes")
def write_dfxml(model: dict[str, Any], case_dir: Path, context: WriteContext) -> Path:
    """Write the carved items of the model as a DFXML document."""
    ET.register_namespace("", DFXML_NS)
    ET.register_namespace("dc", DC_NS)
    root = ET.Element(_tag("dfxml"), {"version": "1.2.0"})
    _sub(ET.SubElement(root, _tag("metadata")), f"{{{DC_NS}}}type", "Carved Files")
    _creator(root, model)
    for evidence in model["evidence"]:
        _sub(ET.SubElement(root, _tag("source")), _tag("image_filename"), evidence["name"])
    for blob in model["blobs"]:
        for location in blob["locations"]:
            if location["carved"] and location["runs"]:
                _fileobject(root, blob, location)
    ET.indent(root, space=" ")
    path = case_dir / FILE_NAME
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _tag(name: str) -> str:
    return f"{{{DFXML_NS}}}{name}"


def _sub(parent: ET.Element, tag: str, text: object, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = xml_text(text)
    return element


def _creator(root: ET.Element, model: dict[str, Any]) -> None:
    creator = ET.SubElement(root, _tag("creator"), {"version": "1.0"})
    _sub(creator, _tag("program"), model["tool"]["name"])
    _sub(creator, _tag("version"), model["tool"]["version"])
    for run in model["runs"]:
        environment = ET.SubElement(creator, _tag("execution_environment"))
        _sub(environment, _tag("command_line"), run["command"])
        _sub(environment, _tag("start_time"), run["started"])


def _fileobject(root: ET.Element, blob: dict[str, Any], location: dict[str, Any]) -> None:
    item = ET.SubElement(root, _tag("fileobject"))
    _sub(item, _tag("filename"), location["locator"])
    _sub(item, _tag("filesize"), sum(length for _, length in location["runs"]))
    _sub(item, _tag("alloc"), 0)
    runs = ET.SubElement(item, _tag("byte_runs"))
    file_offset = 0
    for offset, length in location["runs"]:
        attributes = {
            "file_offset": str(file_offset),
            "img_offset": str(offset),
            "len": str(length),
        }
        ET.SubElement(runs, _tag("byte_run"), attributes)
        file_offset += length
    for name in ("md5", "sha1", "sha256"):
        _sub(item, _tag("hashdigest"), blob[name], type=name)
    _sub(item, _tag("libmagic"), blob["media_type"])
