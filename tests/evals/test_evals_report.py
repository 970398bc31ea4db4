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


def test_report_has_whole_answer_tables_per_language_and_intent(tmp_path: Path) -> None:
    def q(id_: str, lang: str, intent: str, answerable: bool, *, missing: list[str] | None, sentences: int = 0,
          precise: int = 0, uncited: bool = False) -> m.QuestionResult:
        r = m.QuestionResult(id_, "Question ?", lang, "test", [] if answerable else ["off-topic", "near-miss"],
                             answerable, intent=intent)
        r.retrieval = {"ours": m.Retrieved(1 if answerable else None, [200])}
        r.answer = m.Answered("Réponse [1].", False, "Question ?", None, answerable, lang, 0, uncited=uncited,
                              missing_facts=missing, sentences=sentences, precise=precise)
        return r

    run = EvalRun(k=5, split="test", systems=["ours"])
    run.questions = [
        q("fr-1", "fr", "list", True, missing=[], sentences=4, precise=3),
        q("fr-2", "fr", "list", True, missing=["Bpifrance"], sentences=2, precise=2),
        q("en-1", "en", "outline", True, missing=[], sentences=4, precise=1),
        q("ar-1", "ar", "factoid", False, missing=None, uncited=True),
    ]
    checks = [Check(metric="complete_answers", group="intent:*", min=0.4, target=0.7)]
    outcomes = evaluate(Thresholds(checks=checks), {"qa": run.qa_summary(), "aids": run.aid_summary()})
    path = tmp_path / "report.html"
    write_report(path, run, outcomes, "test")
    html = path.read_text(encoding="utf-8")

    def table(title: str) -> str:
        start = html.index(f'data-table="{title}"')
        return html[start:html.index("</table>", start)]

    by_intent = table("Whole answers by intent — test split")
    for header in ("complete answers", "precision (sentences)", "answerable declined", "unanswerable declined"):
        assert f"<th>{header}</th>" in by_intent
    # list: 1 of 2 complete, 5 of 6 sentences on the evidence; outline: complete, 1 of 4
    assert "<tr><td>intent:list</td><td>2</td><td>0.500</td><td>0.833 (6)</td><td>0.000</td><td>—</td></tr>" in by_intent
    assert "<tr><td>intent:outline</td><td>1</td><td>1.000</td><td>0.250 (4)</td>" in by_intent
    assert "<td>language:fr</td>" not in by_intent
    by_language = table("Whole answers by language and slice — test split")
    assert "<tr><td>overall</td><td>4</td><td>0.667 (3)</td><td>0.600 (10)</td><td>0.000 (3)</td><td>1.000 (1)</td></tr>" in by_language
    assert "<tr><td>language:fr</td><td>2</td><td>0.500</td><td>0.833 (6)</td>" in by_language
    assert "<td>slice:near-miss</td>" in by_language and "<td>intent:list</td>" not in by_language
    assert "<td>intent:" not in table("Retrieval — test split") + table("Answers — test split")
    assert "<th>target (not enforced)</th>" in html and "&gt;= 0.7 not met" in html
    assert "fr-2" in html and "incomplete, missing &#x27;Bpifrance&#x27;" in html
    assert "3/4 sentences off the evidence" in html
