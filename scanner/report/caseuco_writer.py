"""case.jsonld: the scan as CASE/UCO 1.x JSON-LD (validated with `case_validate`).

Objects: the tool (uco-tool:AnalyticTool); each evidence item and each location of each
blob as a uco-observable:File with FileFacet and ContentDataFacet (hashes); a
uco-core:Relationship "Contained_Within" from each location to its evidence (carved
locations carry one DataRangeFacet per byte run); each finding as a uco-core:Annotation;
every examiner decision (`dftriage review`) as a uco-core:Annotation on the locations it
concerns; each run as a case-investigation:InvestigativeAction. Identifiers are UUIDv5 of stable
keys, so two writes of the same case are identical.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from scanner.case.decisions import item_key
from scanner.report.decided import by_blob, summary
from scanner.report.registry import WRITERS, WriteContext
from scanner.report.text import write_text

FILE_NAME = "case.jsonld"
NAMESPACE = uuid.UUID("6f1d3f0e-5b8a-5c57-9d0e-2f1c7a4b9e21")
CONTEXT = {
    "kb": "urn:dftriage:kb:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "uco-vocabulary": "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
HASH_NAMES = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256"}
ACTION_STATUS = {"finished": "Complete/Finish", "running": "Ongoing"}


def node_id(kind: str, *key: object) -> str:
    """A stable IRI for a node: `kb:<kind>-<uuid5 of the key>`."""
    return f"kb:{kind}-{uuid.uuid5(NAMESPACE, json.dumps([kind, *key], ensure_ascii=False))}"


@WRITERS.decorator("case-uco", "case.jsonld: the scan as CASE/UCO 1.x JSON-LD")
def write_case_uco(model: dict[str, Any], case_dir: Path, context: WriteContext) -> Path:
    """Write the model as a CASE/UCO JSON-LD graph."""
    tool = _tool(model["tool"])
    graph = [tool]
    evidence_ids: dict[str, str] = {}
    for evidence in model["evidence"]:
        node = _evidence(evidence)
        evidence_ids.setdefault(evidence["name"], node["@id"])  # locations name their evidence
        graph.append(node)
    results = []
    for blob in model["blobs"]:
        for location in blob["locations"]:
            file_node = _location_file(blob, location)
            results.append(file_node["@id"])
            graph += [file_node, _contained_within(file_node["@id"], location, evidence_ids)]
        if blob["locations"]:
            graph += [_annotation(blob, finding) for finding in blob["findings"]]
    graph += _decisions(model)
    objects = sorted(node["@id"] for node in graph if node["@id"].startswith("kb:evidence-"))
    graph += [_action(run, tool["@id"], objects, results) for run in model["runs"]]
    document = {"@context": CONTEXT, "@graph": graph}
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    return write_text(case_dir / FILE_NAME, text)


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    return {
        "@id": node_id("tool", tool["name"], tool["version"]),
        "@type": "uco-tool:AnalyticTool",
        "uco-core:name": tool["name"],
        "uco-tool:version": tool["version"],
    }


def _hashes(values: dict[str, str]) -> list[dict[str, Any]]:
    hashes = []
    for name, value in sorted(values.items()):
        method = HASH_NAMES.get(name.lower())
        if method and value and _is_hex(value):
            hashes.append(
                {
                    "@id": node_id("hash", method, value.lower()),
                    "@type": "uco-types:Hash",
                    "uco-types:hashMethod": method,
                    "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": value.lower()},
                }
            )
    return hashes


def _is_hex(value: str) -> bool:
    return len(value) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in value)


def _evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    key = evidence["path"]
    facets: list[dict[str, Any]] = [
        {
            "@id": node_id("file-facet", key),
            "@type": "uco-observable:FileFacet",
            "uco-observable:fileName": evidence["name"],
            "uco-observable:filePath": evidence["path"],
            "uco-observable:sizeInBytes": evidence["size"],
        }
    ]
    hashes = _hashes(evidence["stored_hashes"])
    if hashes:
        facets.append(
            {
                "@id": node_id("content-facet", key),
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:hash": hashes,
            }
        )
    return {
        "@id": node_id("evidence", key),
        "@type": "uco-observable:File",
        "uco-core:description": f"evidence ({evidence['kind']})",
        "uco-core:hasFacet": facets,
    }


def _location_file(blob: dict[str, Any], location: dict[str, Any]) -> dict[str, Any]:
    key = (location["evidence"], location["locator"])
    file_facet: dict[str, Any] = {
        "@id": node_id("file-facet", *key),
        "@type": "uco-observable:FileFacet",
        "uco-observable:allocationStatus": _allocation(location),
        "uco-observable:sizeInBytes": blob["size"],
    }
    if not location["carved"]:
        file_facet["uco-observable:fileName"] = _base_name(location["path"])
        file_facet["uco-observable:filePath"] = location["path"]
    content_facet = {
        "@id": node_id("content-facet", *key),
        "@type": "uco-observable:ContentDataFacet",
        "uco-observable:hash": _hashes({name: blob[name] for name in HASH_NAMES}),
        "uco-observable:mimeType": blob["media_type"],
        "uco-observable:sizeInBytes": blob["size"],
    }
    return {
        "@id": node_id("file", *key),
        "@type": "uco-observable:File",
        "uco-core:description": location["locator"],
        "uco-core:hasFacet": [file_facet, content_facet],
    }


def _allocation(location: dict[str, Any]) -> str:
    if location["carved"]:
        return "carved from unallocated space"
    return "deleted" if location["deleted"] else "allocated"


def _base_name(path: str) -> str:
    return PureWindowsPath(path).name if "\\" in path else PurePosixPath(path).name


def _contained_within(
    file_id: str, location: dict[str, Any], evidence_ids: dict[str, str]
) -> dict[str, Any]:
    relationship: dict[str, Any] = {
        "@id": node_id("relationship", file_id),
        "@type": "uco-core:Relationship",
        "uco-core:source": {"@id": file_id},
        "uco-core:target": {"@id": evidence_ids[location["evidence"]]},
        "uco-core:kindOfRelationship": "Contained_Within",
        "uco-core:isDirectional": True,
    }
    if location["runs"]:
        relationship["uco-core:hasFacet"] = [
            {
                "@id": node_id("data-range", file_id, index),
                "@type": "uco-observable:DataRangeFacet",
                "uco-observable:rangeOffset": offset,
                "uco-observable:rangeSize": length,
                "uco-observable:rangeOffsetType": "image",
            }
            for index, (offset, length) in enumerate(location["runs"])
        ]
    return relationship


def _annotation(blob: dict[str, Any], finding: dict[str, Any]) -> dict[str, Any]:
    files = [{"@id": node_id("file", loc["evidence"], loc["locator"])} for loc in blob["locations"]]
    return {
        "@id": node_id("finding", blob["sha256"], finding["rule"]),
        "@type": "uco-core:Annotation",
        "uco-core:name": finding["rule"],
        "uco-core:statement": f"P{finding['priority']} {finding['category']}: {finding['reason']}",
        "uco-core:tag": [f"priority-{finding['priority']}", finding["category"]],
        "uco-core:object": files,
    }


def _decisions(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Each examiner decision as an Annotation on the File nodes of the locations it concerns."""
    blobs = {blob["sha256"]: blob for blob in model["blobs"]}
    nodes = []
    for sha256, decisions in sorted(by_blob(model, every=True).items()):
        locations = blobs[sha256]["locations"]
        for d in decisions:
            concerned = [
                loc
                for loc in locations
                if d["target_kind"] != "item"
                or d["target_key"] == item_key(loc["evidence_id"], loc["locator"])
            ]
            nodes.append(
                {
                    "@id": node_id("decision", d["id"], d["at"]),
                    "@type": "uco-core:Annotation",
                    "uco-core:name": "examiner decision",
                    "uco-core:statement": summary([d]),
                    "uco-core:tag": [f"examiner-{d['decision']}"],
                    "uco-core:objectCreatedTime": {"@type": "xsd:dateTime", "@value": d["at"]},
                    "uco-core:object": [
                        {"@id": node_id("file", loc["evidence"], loc["locator"])}
                        for loc in concerned
                    ],
                }
            )
    return nodes


def _action(
    run: dict[str, Any], tool_id: str, objects: list[str], results: list[str]
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "@id": node_id("run", run["id"], run["started"]),
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": "dftriage scan",
        "uco-core:description": run["command"],
        "uco-action:instrument": {"@id": tool_id},
        "uco-action:object": [{"@id": item} for item in objects],
        "uco-action:result": [{"@id": item} for item in results],
        "uco-action:startTime": {"@type": "xsd:dateTime", "@value": run["started"]},
    }
    if run["finished"]:
        action["uco-action:endTime"] = {"@type": "xsd:dateTime", "@value": run["finished"]}
    if run["status"] in ACTION_STATUS:
        action["uco-action:actionStatus"] = ACTION_STATUS[run["status"]]
    return action
