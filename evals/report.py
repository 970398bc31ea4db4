"""A self-contained HTML report of a run: inline CSS and SVG, no script, nothing fetched."""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from evals import metrics as m
from evals import tables
from evals.runner import EvalRun
from evals.thresholds import Outcome

COLORS = {m.OURS: "#1f6feb", "langchain": "#d29922", "dense": "#8250df", "bm25": "#2da44e"}
FALLBACK_COLORS = ["#cf222e", "#57606a", "#bf3989"]

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1200px;color:#1f2328;padding:0 1rem}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}h3{margin-top:1.4rem}
table{border-collapse:collapse;margin:.6rem 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:right;vertical-align:top}
th{background:#f6f8fa;text-align:left}td:first-child,th:first-child{text-align:left}
td.text{text-align:left;max-width:28rem}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.skip{color:#6e7781}
.note{color:#57606a;font-size:.9em}.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;border:1px solid #d0d7de;padding:.5rem}figcaption{font-weight:600;margin-bottom:.3rem}
"""


def _table(t: tables.Table, text_columns: tuple[int, ...] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t.headers)
    body = []
    for row in t.rows:
        cells = "".join(
            f'<td class="text">{escape(c)}</td>' if i in text_columns else f"<td>{escape(c)}</td>" for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    note = f'<p class="note">{escape(t.note)}</p>' if t.note else ""
    return f"<h3>{escape(t.title)}</h3><table data-table=\"{escape(t.title)}\"><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"


def _color(system: str, systems: list[str]) -> str:
    return COLORS.get(system) or FALLBACK_COLORS[systems.index(system) % len(FALLBACK_COLORS)]


def bar_chart(title: str, clusters: list[tuple[str, list[tuple[str, float | None]]]], systems: list[str]) -> str:
    """Grouped bars on a 0–1 scale: one cluster per metric, one bar per system."""
    bar_w, gap, height, top, left = 16, 18, 160, 10, 34
    widths = [max(1, len(bars)) * bar_w for _, bars in clusters]
    width = left + sum(widths) + gap * (len(clusters) + 1)
    out = [f'<svg role="img" width="{width}" height="{height + 60}" '
           f'aria-label="{escape(title)}">']
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + height * (1 - frac)
        out.append(f'<line x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{frac:g}</text>')
    x = left + gap
    for (label, bars), w in zip(clusters, widths):
        for i, (system, value) in enumerate(bars):
            v = max(0.0, min(1.0, value or 0.0))
            h = height * v
            out.append(
                f'<rect x="{x + i * bar_w}" y="{top + height - h:.1f}" width="{bar_w - 2}" height="{h:.1f}" '
                f'fill="{_color(system, systems)}"><title>{escape(system)} {escape(label)}: '
                f'{"—" if value is None else f"{value:.3f}"}</title></rect>'
            )
        out.append(f'<text x="{x + w / 2:.1f}" y="{top + height + 14}" font-size="11" text-anchor="middle">{escape(label)}</text>')
        x += w + gap
    lx = left
    for system in systems:
        out.append(f'<rect x="{lx}" y="{top + height + 30}" width="10" height="10" fill="{_color(system, systems)}"/>')
        out.append(f'<text x="{lx + 14}" y="{top + height + 39}" font-size="11">{escape(system)}</text>')
        lx += 16 + 7 * len(system) + 10
    out.append("</svg>")
    return "".join(out)


def _charts(summary: dict[str, m.GroupSummary], systems: list[str], k: int) -> str:
    figures = []
    for group, stats in tables.by_question_kind(summary).items():
        per_system = stats["metrics"]
        assert isinstance(per_system, dict)
        clusters: list[tuple[str, list[tuple[str, float | None]]]] = []
        for metric, label in ((f"hit@{k}", f"hit@{k}"), ("mrr@10", "MRR@10")):
            if per_system[m.OURS][metric]["n"]:
                clusters.append((label, [(s, per_system[s][metric]["value"]) for s in systems]))
        for metric, label in (("key_facts", "facts"), ("cited_evidence", "cited"), ("answer_language", "lang"),
                              ("declined_offtopic", "declined")):
            v = per_system[m.OURS].get(metric)
            if v and v["n"]:
                clusters.append((label, [(m.OURS, v["value"])]))
        if clusters:
            figures.append(f"<figure><figcaption>{escape(group)} (N={stats['n']})</figcaption>"
                           f"{bar_chart(group, clusters, systems)}</figure>")
    return f'<div class="charts">{"".join(figures)}</div>'


def _outcomes(outcomes: list[Outcome], split: str) -> str:
    if not outcomes:
        return "<p>No thresholds checked.</p>"
    rows = []
    for o in outcomes:
        aim = {True: "met", False: "not met", None: ""}[o.target_met]
        rows.append(f'<tr><td class="{o.status}">{o.status.upper()}</td><td class="text">{escape(o.describe())}</td>'
                    f'<td class="text">{escape(o.check.target_bound or "")} {aim}</td>'
                    f'<td class="text">{escape(o.check.why)}</td><td class="text">{escape(o.check.note)}</td></tr>')
    return (f"<p>Enforced on the <b>{escape(split)}</b> split.</p><table data-table=\"thresholds\"><thead><tr><th>status</th>"
            f"<th>check</th><th>target (not enforced)</th><th>why</th><th>note</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def render(run: EvalRun, outcomes: list[Outcome], thresholds_split: str) -> str:
    qa = run.qa_summary()
    aids = run.aid_summary()
    parts = [
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Assistant evals</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Assistant evals</h1>",
        f'<p class="note">{escape(dt.datetime.now().strftime("%Y-%m-%d %H:%M"))} · split {escape(run.split)} · k={run.k} · '
        f'systems: {escape(", ".join(run.systems))}</p>',
    ]
    if run.info:
        items = "".join(f"<li><b>{escape(str(key))}</b>: {escape(str(v))}</li>" for key, v in run.info.items())
        parts.append(f"<ul class=\"note\">{items}</ul>")
    parts.append("<h2>Thresholds</h2>" + _outcomes(outcomes, thresholds_split))
    for split, summary in qa.items():
        parts.append(f"<h2>Questions — {escape(split)} split</h2>")
        parts.append(_table(tables.retrieval_table(split, summary, run.k)))
        parts.append(_table(tables.answers_table(split, summary)))
        parts.append(_table(tables.whole_answers_table(split, summary, "language")))
        parts.append(_table(tables.whole_answers_table(split, summary, "intent")))
        if len(run.systems) > 1:
            parts.append(_table(tables.baselines_table(split, summary, run.systems, run.k)))
        parts.append(f"<h3>Per group (bars on a 0–1 scale)</h3>{_charts(summary, run.systems, run.k)}")
    for split, summary in aids.items():
        parts.append(_table(tables.aids_table(split, summary)))
    look = tables.misses(run.questions, run.k)
    parts.append("<h2>Questions to look at</h2>")
    parts.append(_table(look, text_columns=(4, 5, 6, 7)) if look.rows else "<p>None.</p>")
    aid_misses = [a for a in run.aids if a.recall < 1.0]
    if aid_misses:
        t = tables.Table("Aid profiles with an expected aid missing from the first five",
                         ["id", "split", "lang", "profile", "expected", "returned (first 5)"],
                         [[a.id, a.split, a.language, a.profile, ", ".join(a.expected), ", ".join(a.returned[:m.AID_K])]
                          for a in aid_misses])
        parts.append(_table(t, text_columns=(3, 4, 5)))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path: Path, run: EvalRun, outcomes: list[Outcome], thresholds_split: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run, outcomes, thresholds_split), encoding="utf-8")
