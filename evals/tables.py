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
    return None if v is None else v["value"]  # type: ignore[no-any-return]


def _n(stats: m.GroupSummary, system: str, metric: str) -> int:
    per_system = stats["metrics"]
    assert isinstance(per_system, dict)
    v = per_system.get(system, {}).get(metric)
    return 0 if v is None else int(v["n"])


def ours_table(split: str, summary: dict[str, m.GroupSummary], k: int) -> Table:
    retrieval = [f"hit@1", f"hit@{k}", "hit@10", "mrr@10", "passage_chars"]
    answer = [x.name for x in m.ANSWER_METRICS if x.name != "refusal_accuracy"]
    labels = {x.name: x.label for x in [*m.retrieval_metrics(k), *m.ANSWER_METRICS]}
    headers = ["group", "N", "N answerable", *(labels[x] for x in retrieval + answer)]
    rows = []
    for group, stats in summary.items():
        row = [group, str(stats["n"]), str(_n(stats, m.OURS, f"hit@{k}"))]
        row += [fmt(x, _value(stats, m.OURS, x)) for x in retrieval + answer]
        rows.append(row)
    return Table(f"Ours — {split} split", headers, rows,
                 "hit/MRR over answerable questions; key facts and cited evidence over answerable ones "
                 "(a wrong refusal counts 0); answer language over every non-empty answer.")


def delta(ours: float | None, other: float | None) -> str:
    if ours is None or other is None:
        return ""
    return f"{ours - other:+.3f}"


def baselines_table(split: str, summary: dict[str, m.GroupSummary], systems: list[str], k: int) -> Table:
    metrics = [f"hit@{k}", "mrr@10"]
    headers = ["group", "N"]
    for metric in metrics:
        headers.append(f"ours {metric}")
        headers += [f"{s} {metric} (Δ)" for s in systems if s != m.OURS]
    rows = []
    for group, stats in summary.items():
        n = _n(stats, m.OURS, f"hit@{k}")
        if n == 0:
            continue
        row = [group, str(n)]
        for metric in metrics:
            ours = _value(stats, m.OURS, metric)
            row.append(fmt(metric, ours))
            for s in systems:
                if s != m.OURS:
                    other = _value(stats, s, metric)
                    row.append(f"{fmt(metric, other)} ({delta(ours, other)})")
        rows.append(row)
    return Table(f"Ours and the baselines — {split} split", headers, rows, "Δ = ours − baseline: positive when ours is better.")


def aids_table(split: str, summary: dict[str, m.GroupSummary]) -> Table:
    name = f"recall@{m.AID_K}"
    rows = [[g, str(stats["n"]), fmt(name, _value(stats, m.OURS, name))] for g, stats in summary.items()]
    return Table(f"Funding-aid finder — {split} split", ["group", "profiles", name], rows)


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
            if not a.abstained and not q.answerable:
                problems.append("answered off-topic")
            if q.answerable and not a.abstained and not a.cited_evidence:
                problems.append("evidence not cited")
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
