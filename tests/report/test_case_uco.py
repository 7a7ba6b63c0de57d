"""case.jsonld against the CASE ontology, with case_validate from case-utils."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from scanner.report.writers import write_reports
from tests.report.report_case import CARVED_RUNS, HOSTILE_PATH, Case


def _graph(case: Case) -> list[dict]:
    write_reports(case.db, case.folder)
    return json.loads((case.folder / "case.jsonld").read_text("utf-8"))["@graph"]


@pytest.mark.skipif(shutil.which("case_validate") is None, reason="case-utils not installed")
def test_case_validate_passes(case: Case) -> None:
    write_reports(case.db, case.folder)
    result = subprocess.run(
        ["case_validate", str(case.folder / "case.jsonld")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Conforms: True" in result.stdout


def test_graph_content(case: Case) -> None:
    graph = _graph(case)
    by_type: dict[str, list[dict]] = {}
    for node in graph:
        by_type.setdefault(node["@type"], []).append(node)
    assert len(by_type["uco-observable:File"]) == 5  # 1 evidence + 4 locations
    assert len(by_type["uco-core:Relationship"]) == 4
    assert len(by_type["uco-core:Annotation"]) == 2
    (tool,) = by_type["uco-tool:AnalyticTool"]
    (action,) = by_type["case-investigation:InvestigativeAction"]
    assert action["uco-action:instrument"] == {"@id": tool["@id"]}
    assert len(action["uco-action:result"]) == 4
    paths = [
        facet.get("uco-observable:filePath")
        for node in by_type["uco-observable:File"]
        for facet in node["uco-core:hasFacet"]
    ]
    assert HOSTILE_PATH in paths
    ranges = [
        [facet["uco-observable:rangeOffset"], facet["uco-observable:rangeSize"]]
        for node in by_type["uco-core:Relationship"]
        for facet in node.get("uco-core:hasFacet", [])
    ]
    assert ranges == CARVED_RUNS
    assert {n["uco-core:kindOfRelationship"] for n in by_type["uco-core:Relationship"]} == {
        "Contained_Within"
    }
