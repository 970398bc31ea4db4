"""The threshold checks as a JUnit XML file, for a CI that shows test reports: one testcase per check and
group (``classname`` suite/group, ``name`` the metric), a failed check a ``failure``, a skipped one ``skipped``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from evals import metrics as m
from evals.thresholds import Outcome


def _name(o: Outcome) -> str:
    c = o.check
    name = c.metric if c.system == m.OURS else f"{c.metric} ({c.system})"
    return f"{name} beats {c.beats}" if c.beats is not None else name


def _counts(element: ET.Element, outcomes: list[Outcome]) -> None:
    element.set("tests", str(len(outcomes)))
    element.set("failures", str(sum(o.status == "fail" for o in outcomes)))
    element.set("errors", "0")
    element.set("skipped", str(sum(o.status == "skip" for o in outcomes)))


def junit_tree(outcomes: list[Outcome], split: str) -> ET.ElementTree:
    root = ET.Element("testsuites", name="evals")
    _counts(root, outcomes)
    for suite in dict.fromkeys(o.check.suite for o in outcomes):
        mine = [o for o in outcomes if o.check.suite == suite]
        element = ET.SubElement(root, "testsuite", name=suite)
        _counts(element, mine)
        properties = ET.SubElement(element, "properties")
        ET.SubElement(properties, "property", name="split", value=split)
        for o in mine:
            case = ET.SubElement(element, "testcase", classname=f"{suite}/{o.group}", name=_name(o), time="0")
            if o.status == "fail":
                ET.SubElement(case, "failure", message=o.failure(), type="threshold").text = o.describe()
            elif o.status == "skip":
                ET.SubElement(case, "skipped", message=o.reason)
            out = [o.describe(), *(f"{k}: {v}" for k, v in (("why", o.check.why), ("note", o.check.note)) if v)]
            ET.SubElement(case, "system-out").text = "\n".join(out)
    return ET.ElementTree(root)


def write_junit(path: Path, outcomes: list[Outcome], split: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = junit_tree(outcomes, split)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
