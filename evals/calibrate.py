"""Calibrate the refusal thresholds per language on the dev split.

The assistant answers when the best passages cover enough of the question's (idf-weighted) words, or
are very close in embedding space. This picks the coverage threshold that declines the most off-topic
dev questions while wrongly declining at most ``max_wrong`` of the answerable ones (the middle of the
best interval, for margin on both sides), shared by the three languages, and per language a
dense-similarity threshold above every off-topic dev question (never for Arabic: the embedding model
does not read it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.schemas import Turn
from evals.gold import QAItem


@dataclass(frozen=True)
class Point:
    lang: str
    answerable: bool
    coverage: float
    dense: float


def measure(assistant: Any, items: list[QAItem]) -> list[Point]:
    points = []
    for item in items:
        history = [Turn(role=t.role, content=t.content) for t in item.history]
        try:
            lang, coverage, dense = assistant.refusal_features(item.question, history)
        except Exception:  # an unsearchable question is declined anyway: it says nothing about thresholds
            continue
        points.append(Point(lang, item.answerable, coverage, dense))
    return points


def _declines(p: Point, coverage: float, dense: float) -> bool:
    return p.coverage < coverage and p.dense < dense


def calibrate_language(points: list[Point], max_wrong: float, dense_margin: float = 0.1,
                       use_dense: bool = True) -> dict[str, float]:
    off = [p for p in points if not p.answerable]
    on = [p for p in points if p.answerable]
    dense = min(0.95, max((p.dense for p in off), default=0.0) + dense_margin) if use_dense else 2.0
    values = sorted({round(p.coverage, 4) for p in points})
    candidates = [0.0] + [(a + b) / 2 for a, b in zip(values, values[1:])] + [values[-1] + 0.01 if values else 1.0]
    best: tuple[int, list[float]] = (-1, [])
    for t in candidates:
        wrong = sum(_declines(p, t, dense) for p in on) / max(len(on), 1)
        if wrong > max_wrong:
            continue
        declined = sum(_declines(p, t, dense) for p in off)
        if declined > best[0]:
            best = (declined, [t])
        elif declined == best[0]:
            best[1].append(t)
    feasible = best[1] or [0.0]
    return {"coverage": round((feasible[0] + feasible[-1]) / 2, 4), "dense": round(dense, 4)}


def rates(points: list[Point], t: dict[str, float]) -> tuple[tuple[int, int], tuple[int, int]]:
    """((off-topic declined, off-topic), (answerable declined, answerable)) under thresholds ``t``."""
    off = [p for p in points if not p.answerable]
    on = [p for p in points if p.answerable]
    declined = [_declines(p, t["coverage"], t["dense"]) for p in off], [_declines(p, t["coverage"], t["dense"]) for p in on]
    return (sum(declined[0]), len(off)), (sum(declined[1]), len(on))


def calibrate(points: list[Point], max_wrong: float = 0.05) -> dict[str, dict[str, float]]:
    """One coverage threshold for all languages (coverage is a share of the question's weighted words in
    any language, and pooling triples the questions it rests on), then a dense threshold per language."""
    langs = [lang for lang in ("fr", "en", "ar") if any(p.lang == lang for p in points)]
    dense = {lang: calibrate_language([p for p in points if p.lang == lang], max_wrong, use_dense=lang != "ar")["dense"]
             for lang in langs}
    # Points a language's dense threshold already accepts do not constrain the shared coverage threshold.
    rest = [p for p in points if p.dense < dense[p.lang]]
    coverage = calibrate_language(rest, max_wrong, use_dense=False)["coverage"]
    return {lang: {"coverage": coverage, "dense": dense[lang]} for lang in langs}


def write(thresholds: dict[str, dict[str, float]], path: Path, n: int) -> None:
    data = {"_comment": (f"Written by `evals calibrate` from {n} dev questions: answer when the best passages "
                         "cover at least `coverage` of the question's idf-weighted words, or their embedding "
                         "similarity reaches `dense`."), **thresholds}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
