"""The tables a run is shown as, as rows of strings: the terminal and the HTML report print the same ones."""

from __future__ import annotations

from dataclasses import dataclass

from evals import metrics as m
from evals.thresholds import fmt


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


def _value(stats: m.GroupSummary, system: str, metric: str) -> float | None:
    per_system = stats["metrics"]
    assert isinstance(per_system, dict)
    v = per_system.get(system, {}).get(metric)
    return None if v is None else v["value"]


def _n(stats: m.GroupSummary, system: str, metric: str) -> int:
    per_system = stats["metrics"]
    assert isinstance(per_system, dict)
    v = per_system.get(system, {}).get(metric)
    return 0 if v is None else int(v["n"])


ANSWER_COLUMNS = ("key_facts", "cited_evidence", "answer_language", "declined_offtopic", "wrongly_declined",
                  "dangling_markers")
WHOLE_ANSWER_COLUMNS = ("complete_answers", "precision", "answerable_declined", "unanswerable_declined")


def by_question_kind(summary: dict[str, m.GroupSummary]) -> dict[str, m.GroupSummary]:
    """The groups the retrieval, answer and baseline tables show: overall, languages, slices (the intents
    have their own table)."""
    return {g: stats for g, stats in summary.items() if not g.startswith("intent:")}


def retrieval_table(split: str, summary: dict[str, m.GroupSummary], k: int) -> Table:
    metrics = list(dict.fromkeys(["hit@1", f"hit@{k}", "hit@10", "mrr@10", "passage_chars"]))
    labels = {x.name: x.label for x in m.retrieval_metrics(k)}
    rows = []
    for group, stats in by_question_kind(summary).items():
        n = _n(stats, m.OURS, f"hit@{k}")
        if n:
            rows.append([group, str(n), *(fmt(x, _value(stats, m.OURS, x)) for x in metrics)])
    return Table(f"Retrieval — {split} split", ["group", "N", *(labels[x] for x in metrics)], rows,
                 f"Over answerable questions; mean passage chars over the top {k} of every question.")


def answers_table(split: str, summary: dict[str, m.GroupSummary]) -> Table:
    metrics = [x for x in m.ANSWER_METRICS if x.name in ANSWER_COLUMNS]
    headers = ["group", "N", *(x.label for x in metrics)]
    rows = []
    for group, stats in by_question_kind(summary).items():
        cells = []
        for x in metrics:
            value, n = _value(stats, m.OURS, x.name), _n(stats, m.OURS, x.name)
            cells.append(fmt(x.name, value) if x.how == "sum" or n == stats["n"] or n == 0 else f"{fmt(x.name, value)} ({n})")
        rows.append([group, str(stats["n"]), *cells])
    return Table(f"Answers — {split} split", headers, rows,
                 "(n): questions the measure applies to when fewer than N. Key facts and cited evidence over "
                 "answerable questions (a wrong refusal counts 0); answer language over non-empty answers.")


def whole_answers_table(split: str, summary: dict[str, m.GroupSummary], by: str) -> Table:
    """Complete answers, precision and refusals ``by`` ``language`` (with the slices) or ``intent``."""
    wanted = ("language:", "slice:") if by == "language" else ("intent:",)
    by_name = {x.name: x for x in m.ANSWER_METRICS}
    metrics = [by_name[name] for name in WHOLE_ANSWER_COLUMNS]
    headers = ["group", "N", *(f"{x.label} (sentences)" if x.how == "pooled" else x.label for x in metrics)]
    rows = []
    for group, stats in summary.items():
        if group != "overall" and not group.startswith(wanted):
            continue
        cells = []
        for x in metrics:
            value, n = _value(stats, m.OURS, x.name), _n(stats, m.OURS, x.name)
            shown = x.how == "pooled" or n not in (0, stats["n"])
            cells.append(f"{fmt(x.name, value)} ({n})" if shown else fmt(x.name, value))
        rows.append([group, str(stats["n"]), *cells])
    title = "by language and slice" if by == "language" else "by intent"
    return Table(f"Whole answers {title} — {split} split", headers, rows,
                 "(n): questions the measure applies to when fewer than N; for precision, answer sentences. "
                 "Complete: every answer fact stated, over answerable questions with facts. Precision: answer "
                 "sentences citing a passage that holds the evidence or lies under a gold section, pooled over "
                 "answered answerable questions. Declined: abstained, or answered without a citation.")


def delta(ours: float | None, other: float | None, metric: str = "") -> str:
    if ours is None or other is None:
        return ""
    return f"{ours - other:+.0f}" if metric == "passage_chars" else f"{ours - other:+.3f}"


def baselines_table(split: str, summary: dict[str, m.GroupSummary], systems: list[str], k: int) -> Table:
    metrics = [f"hit@{k}", "mrr@10", "passage_chars"]
    headers = ["group", "N", "system"]
    for metric in metrics:
        headers += [metric, "Δ"]
    rows = []
    for group, stats in by_question_kind(summary).items():
        n = _n(stats, m.OURS, f"hit@{k}")
        if n == 0:
            continue
        for i, s in enumerate(systems):
            row = [group if i == 0 else "", str(n) if i == 0 else "", s]
            for metric in metrics:
                ours, other = _value(stats, m.OURS, metric), _value(stats, s, metric)
                row += [fmt(metric, other), "" if s == m.OURS else delta(ours, other, metric)]
            rows.append(row)
    return Table(f"Ours and the baselines — {split} split", headers, rows,
                 "Δ = ours − baseline (for hit and MRR, positive when ours is better). The LangChain recipe gets "
                 "the question as asked; dense and bm25 get the question ours searched.")


def aids_table(split: str, summary: dict[str, m.GroupSummary]) -> Table:
    names = [metric.name for metric in m.AID_METRICS]
    rows = [[g, str(stats["n"]), *(fmt(name, _value(stats, m.OURS, name)) for name in names)]
            for g, stats in summary.items()]
    return Table(f"Funding-aid finder — {split} split", ["group", "profiles", *names], rows,
                 "recall and precision over the profiles some card fits; none_accuracy over those none fits.")


def misses(questions: list[m.QuestionResult], k: int) -> Table:
    """The questions a person should look at: retrieval misses and wrong refusals."""
    rows = []
    for q in questions:
        ours = q.retrieval.get(m.OURS)
        a = q.answer
        problems = []
        if q.answerable and ours is not None and not m.hit_at(ours.rank, k):
            problems.append(f"miss@{k}" + (f" (rank {ours.rank})" if ours.rank else ""))
        if a is not None:
            if a.abstained and q.answerable:
                problems.append("wrongly declined")
            if not a.declined and not q.answerable:
                problems.append("answered off-topic")
            if q.answerable and not a.abstained and a.uncited:
                problems.append("answered without a citation")
            if q.answerable and not a.abstained and not a.cited_evidence:
                problems.append("evidence not cited")
            if q.answerable and not a.declined and a.missing_facts:
                problems.append("incomplete, missing " + ", ".join(repr(f) for f in a.missing_facts))
            if a.precise < a.sentences:
                problems.append(f"{a.sentences - a.precise}/{a.sentences} sentences off the evidence")
            if a.answer.strip() and a.language != q.language:
                problems.append(f"answer in {a.language or '?'}")
            if a.dangling:
                problems.append(f"{a.dangling} dangling [n]")
            if a.error:
                problems.append(f"error: {a.error}")
        if problems:
            top = "; ".join(ours.top) if ours else ""
            rows.append([q.id, q.split, q.language, ", ".join(q.slices), q.question, ", ".join(problems), top,
                         (a.answer[:300] if a else "")])
    return Table("Questions to look at", ["id", "split", "lang", "slices", "question", "problems", "our top results", "answer"], rows)
