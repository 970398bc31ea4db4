"""``evals --answerer llm``: the gold questions answered twice, by the extractive answerer and through the
configured LLM endpoint (any OpenAI-compatible URL), measured alike and shown side by side, with what the
LLM answerer's checks did (sentences dropped, fallbacks) and the time per answer: how an operator compares
a model with the default before switching to it.

Retrieval, the refusal model and the context are the same for both (the LLM only writes the answer), so
the difference is the writer's: completeness, precision, language, citations, and declines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from evals import metrics as m
from evals.gold import CorpusText, QAItem, slices_of
from evals.runner import answer
from evals.tables import Table, _n, _value
from evals.thresholds import fmt

ANSWERERS = ("extractive", "llm")
COMPARED = ("complete_answers", "key_facts", "precision", "cited_evidence", "answer_language",
            "answerable_declined", "unanswerable_declined", "dangling_markers")
BY_GROUP = ("complete_answers", "precision", "answer_language", "answerable_declined")


def spread(items: Sequence[QAItem], limit: int | None) -> list[QAItem]:
    """``limit`` questions spread evenly over ``items`` (every len/limit-th, in gold order), so that a
    short run still meets every intent and language; all of them without a limit."""
    if limit is None or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[math.floor(i * step)] for i in range(limit)]


@dataclass
class Comparison:
    split: str
    model: str
    results: dict[str, list[m.QuestionResult]] = field(default_factory=lambda: {a: [] for a in ANSWERERS})
    seconds: dict[str, list[float]] = field(default_factory=lambda: {a: [] for a in ANSWERERS})
    checks: dict[str, int] = field(default_factory=dict)

    def summaries(self) -> dict[str, dict[str, m.GroupSummary]]:
        """{answerer: {group: summary}} over this run's split."""
        out = {}
        for name, results in self.results.items():
            per_split = m.summarize(results, m.ANSWER_METRICS, [m.OURS])  # "all" too when both splits ran
            out[name] = per_split.get("all") or next(iter(per_split.values()), {})
        return out


def compare(assistant: Any, items: Sequence[QAItem], corpus: CorpusText, split: str, model: str,
            progress: Callable[[int], None] | None = None) -> Comparison:
    """Each question answered with the LLM switched off, then on (the same assistant: the same index,
    retrieval and refusal model)."""
    llm = assistant.llm
    run = Comparison(split=split, model=model)
    before = llm.stats.snapshot()
    try:
        for item in items:
            for name in ANSWERERS:
                assistant.llm = llm if name == "llm" else None
                result = m.QuestionResult(item.id, item.question, item.language, item.split, slices_of(item, corpus),
                                          item.answerable, intent=item.intent)
                start = time.perf_counter()
                result.answer = answer(assistant, item)
                run.seconds[name].append(time.perf_counter() - start)
                run.results[name].append(result)
            if progress:
                progress(1)
    finally:
        assistant.llm = llm
    after = llm.stats.snapshot()
    run.checks = {k: after[k] - before[k] for k in after}
    return run


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def overall_table(run: Comparison) -> Table:
    summaries = run.summaries()
    labels = {x.name: x.label for x in m.ANSWER_METRICS}
    rows = []
    for metric in COMPARED:
        values = [_value(summaries[a].get("overall", {"metrics": {}}), m.OURS, metric) for a in ANSWERERS]
        ext, llm = values
        delta = "" if ext is None or llm is None else f"{llm - ext:+.3f}" if metric != "dangling_markers" else f"{llm - ext:+.0f}"
        rows.append([labels[metric], *(fmt(metric, v) for v in values), delta])
    for q, name in ((0.5, "p50"), (0.95, "p95")):
        values = [_percentile(run.seconds[a], q) for a in ANSWERERS]
        rows.append([f"seconds per answer, {name}", *("—" if v is None else f"{v:.2f}" for v in values),
                     "" if None in values else f"{values[1] - values[0]:+.2f}"])
    n = len(run.results["llm"])
    return Table(f"Extractive vs LLM ({run.model}) — {run.split} split, {n} questions",
                 ["measure", "extractive", "llm", "Δ"], rows,
                 "The same retrieval, refusal model and context for both; the LLM writes the answer, its sentences "
                 "checked (cited, in the question's language, backed by what they cite), the extractive answer "
                 "taking over when none is left.")


def groups_table(run: Comparison) -> Table:
    summaries = run.summaries()
    labels = {x.name: x.label for x in m.ANSWER_METRICS}
    ext_groups, llm_groups = summaries["extractive"], summaries["llm"]
    rows = []
    for group, stats in llm_groups.items():
        if not group.startswith(("overall", "language:", "intent:")):
            continue
        cells = []
        for metric in BY_GROUP:
            ext = _value(ext_groups.get(group, {"metrics": {}}), m.OURS, metric)
            llm = _value(stats, m.OURS, metric)
            cells.append(f"{fmt(metric, ext)} → {fmt(metric, llm)}")
        rows.append([group, str(stats["n"]), *cells])
    return Table(f"Extractive → LLM by language and intent — {run.split} split", ["group", "N",
                 *(labels[x] for x in BY_GROUP)], rows)


def checks_table(run: Comparison) -> Table:
    c = run.checks
    sentences = c.get("sentences", 0)
    calls = c.get("calls", 0)

    def share(k: str, of: int) -> str:
        return f"{c.get(k, 0)} ({c.get(k, 0) / of:.0%})" if of else str(c.get(k, 0))

    rows = [
        ["questions given to the LLM", str(calls)],
        ["answered by the LLM", share("answered", calls)],
        ["declined by the LLM (NO_ANSWER)", share("declined", calls)],
        ["fell back: every sentence dropped", share("fallback_nothing_kept", calls)],
        ["fell back: timeout or deadline", share("fallback_timeout", calls)],
        ["fell back: endpoint error", share("fallback_error", calls)],
        ["fell back: all LLM slots busy", share("fallback_busy", calls)],
        ["sentences written", str(sentences)],
        ["dropped: cites no passage given", share("dropped_citation", sentences)],
        ["dropped: a question, not an answer", share("dropped_question", sentences)],
        ["dropped: not in the question's language", share("dropped_language", sentences)],
        ["dropped: a contact or account not in its passage", share("dropped_detail", sentences)],
        ["dropped: not backed by the passage it cites", share("dropped_support", sentences)],
    ]
    return Table(f"The LLM answerer's checks — {run.split} split", ["", "count"], rows,
                 "Questions the refusal model declines never reach the LLM.")


def as_json(run: Comparison) -> dict[str, Any]:
    summaries = run.summaries()
    return {
        "split": run.split,
        "model": run.model,
        "questions": len(run.results["llm"]),
        "answers": {a: {g: {x: {"value": _value(s, m.OURS, x), "n": _n(s, m.OURS, x)} for x in COMPARED}
                        for g, s in summaries[a].items()} for a in ANSWERERS},
        "seconds": {a: {"p50": _percentile(run.seconds[a], 0.5), "p95": _percentile(run.seconds[a], 0.95),
                        "mean": sum(run.seconds[a]) / len(run.seconds[a]) if run.seconds[a] else None}
                    for a in ANSWERERS},
        "checks": run.checks,
    }
