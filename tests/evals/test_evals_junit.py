"""The threshold checks as JUnit XML: parsed back, one testcase per check and group, failures and skips."""

import xml.etree.ElementTree as ET
from pathlib import Path

from evals import metrics as m
from evals.junit import write_junit
from evals.thresholds import Check, Thresholds, evaluate


def summary(values: dict[str, dict[str, dict[str, float | None]]]) -> dict[str, m.GroupSummary]:
    return {g: {"n": 10, "metrics": {s: {k: {"value": v, "n": 0 if v is None else 10} for k, v in ms.items()}
                                     for s, ms in systems.items()}} for g, systems in values.items()}


def outcomes() -> list:
    qa = {"test": summary({
        "overall": {"ours": {"complete_answers": 0.812, "hit@5": 0.9}, "langchain": {"hit@5": 0.95}},
        "intent:list": {"ours": {"complete_answers": 0.9}},
        "intent:outline": {"ours": {"complete_answers": None}},
    })}
    aids = {"test": summary({"overall": {"ours": {"recall@5": 0.9}}})}
    checks = [
        Check(metric="complete_answers", min=0.85, why="issue 9 <whole answers> & more"),
        Check(metric="complete_answers", group="intent:*", min=0.6, target=0.95),
        Check(metric="hit@5", beats="langchain"),
        Check(suite="aids", metric="recall@5", max=0.5),
    ]
    return evaluate(Thresholds(split="test", checks=checks), {"qa": qa, "aids": aids})


def test_junit_file_has_a_testcase_per_check_and_group(tmp_path: Path) -> None:
    path = tmp_path / "out" / "evals.xml"
    write_junit(path, outcomes(), "test")
    root = ET.parse(path).getroot()  # well-formed, escapes included
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) == ("5", "3", "1", "0")
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures"), s.get("skipped")) for s in suites] == [
        ("qa", "4", "2", "1"), ("aids", "1", "1", "0")]
    cases = [(c.get("classname"), c.get("name")) for s in suites for c in s.findall("testcase")]
    assert cases == [("qa/overall", "complete_answers"), ("qa/intent:list", "complete_answers"),
                     ("qa/intent:outline", "complete_answers"), ("qa/overall", "hit@5 beats langchain"),
                     ("aids/overall", "recall@5")]

    def case(classname: str, name: str) -> ET.Element:
        return next(c for c in root.iter("testcase") if (c.get("classname"), c.get("name")) == (classname, name))

    failure = case("qa/overall", "complete_answers").find("failure")
    assert failure is not None and failure.get("message") == "0.812 < 0.85 (min)"
    assert "issue 9 <whole answers> & more" in (case("qa/overall", "complete_answers").findtext("system-out") or "")
    assert case("aids/overall", "recall@5").find("failure").get("message") == "0.900 > 0.5 (max)"  # type: ignore[union-attr]
    assert "does not beat langchain" in case("qa/overall", "hit@5 beats langchain").find("failure").get("message")  # type: ignore[union-attr]
    passed = case("qa/intent:list", "complete_answers")
    assert passed.find("failure") is None and passed.find("skipped") is None
    assert "target >= 0.95, not met" in (passed.findtext("system-out") or "")  # reported, not a failure
    skipped = case("qa/intent:outline", "complete_answers").find("skipped")
    assert skipped is not None and skipped.get("message") == "no question in this group"
    assert suites[0].find("properties/property").attrib == {"name": "split", "value": "test"}  # type: ignore[union-attr]
