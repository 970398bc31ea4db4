"""The HTML report: written, self-contained, holding the tables, the charts and the per-question list."""

from pathlib import Path

from evals import metrics as m
from evals.report import bar_chart, write_report
from evals.runner import EvalRun
from evals.thresholds import Check, Thresholds, evaluate


def make_run() -> EvalRun:
    def q(id_: str, lang: str, slices: list[str], answerable: bool, ours: int | None, lc: int | None,
          question: str = "Question ?") -> m.QuestionResult:
        r = m.QuestionResult(id_, question, lang, "test", slices, answerable)
        r.retrieval = {"ours": m.Retrieved(ours, [200, 300], ["roadmap · p1"]), "langchain": m.Retrieved(lc, [900, 1000])}
        r.answer = m.Answered("Réponse [1].", not answerable, question, 1.0 if answerable else None, answerable, lang, 0)
        return r

    run = EvalRun(k=5, split="test", systems=["ours", "langchain"], info={"index build": "b1"})
    run.questions = [
        q("fr-1", "fr", [], True, 1, None),
        q("en-1", "en", ["cross-lingual"], True, 8, None, question="Is <b>this</b> escaped & shown?"),
        q("ar-1", "ar", ["off-topic"], False, None, None),
    ]
    run.aids = [m.AidResult("aid-1", "Je suis éditrice", "fr", "test", ["x"], ["y", "x"])]
    return run


def test_report_is_self_contained_and_has_the_tables(tmp_path: Path) -> None:
    run = make_run()
    outcomes = evaluate(Thresholds(checks=[Check(metric="hit@5", min=0.95), Check(metric="hit@5", beats="langchain")]),
                        {"qa": run.qa_summary(), "aids": run.aid_summary()})
    path = tmp_path / "out" / "report.html"
    write_report(path, run, outcomes, "test")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    for title in ("Retrieval — test split", "Answers — test split", "Ours and the baselines — test split",
                  "Funding-aid finder — test split", "thresholds"):
        assert f'data-table="{title}"' in html
    for group in ("overall", "language:fr", "language:en", "language:ar", "slice:cross-lingual", "slice:off-topic"):
        assert f"<td>{group}</td>" in html
    assert "<td>0.500</td>" in html  # ours hit@5 over the two answerable questions
    assert "+0.500" in html  # the delta against the baseline (0.500 - 0.000)
    assert html.count("<svg") >= 4  # a chart per group holding answerable questions or answers
    assert "FAIL" in html and "PASS" in html
    # nothing fetched, nothing run
    assert "<script" not in html and "http://" not in html and "https://" not in html and "<link" not in html
    assert "Is &lt;b&gt;this&lt;/b&gt; escaped &amp; shown?" in html and "<b>this</b>" not in html
    assert "en-1" in html and "miss@5 (rank 8)" in html  # the question to look at


def test_bar_chart_clamps_and_labels() -> None:
    svg = bar_chart("g", [("hit@5", [("ours", 1.3), ("langchain", None)])], ["ours", "langchain"])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'height="160.0"' in svg  # clamped to the full scale
    assert "langchain hit@5: —" in svg
