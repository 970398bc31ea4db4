"""Down-voted answers from the web app's feedback store, turned into candidate gold lines for a person
to complete (evidence, facts) before they join ``qa.jsonl``.

Reading the store is one function, :func:`read_feedback`, so the rest does not depend on how the web
app lays out its tables.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.errors import FeedbackError
from evals.metrics import answer_language
from vectorstore.text import content_hash, fold


@dataclass
class FeedbackRow:
    question: str
    vote: str  # "up" or "down"
    language: str | None = None
    reasons: list[str] = field(default_factory=list)
    comment: str = ""
    answer: str = ""
    history: list[dict[str, str]] = field(default_factory=list)
    created: str = ""


# Column names accepted for each field, first match wins.
_COLUMNS = {
    "question": ("question", "message", "query"),
    "vote": ("vote", "rating", "value", "score"),
    "language": ("language", "lang"),
    "reasons": ("reasons", "reason", "tags"),
    "comment": ("comment", "note", "text"),
    "answer": ("answer", "response"),
    "history": ("history",),
    "created": ("created_at", "created", "timestamp", "ts"),
}
_DOWN = {"-1", "down", "bad", "negative", "thumbs_down", "thumbs-down"}


def _json_list(raw: Any) -> list[Any]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, (list, tuple)):
        return list(raw)
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return [s.strip() for s in str(raw).split(",") if s.strip()]
    return value if isinstance(value, list) else [value]


def read_feedback(db_path: Path) -> list[FeedbackRow]:
    """Every row of the ``feedback`` table, read-only. Adapt here if the store's layout changes."""
    if not db_path.is_file():
        raise FeedbackError(f"{db_path}: no feedback database (pass --db)")
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise FeedbackError(f"{db_path}: cannot open ({exc})") from exc
    try:
        con.row_factory = sqlite3.Row
        names = [r["name"] for r in con.execute("PRAGMA table_info(feedback)")]
        if not names:
            raise FeedbackError(f"{db_path}: no feedback table")
        column = {key: next((c for c in options if c in names), None) for key, options in _COLUMNS.items()}
        if column["question"] is None or column["vote"] is None:
            raise FeedbackError(f"{db_path}: the feedback table has no question or vote column (columns: {', '.join(names)})")
        rows = con.execute("SELECT * FROM feedback").fetchall()
    except sqlite3.Error as exc:
        raise FeedbackError(f"{db_path}: cannot read feedback ({exc})") from exc
    finally:
        con.close()

    def get(row: sqlite3.Row, key: str) -> Any:
        name = column[key]
        return row[name] if name is not None else None

    out = []
    for row in rows:
        vote = get(row, "vote")
        out.append(FeedbackRow(
            question=str(get(row, "question") or ""),
            vote="down" if str(vote).strip().lower() in _DOWN or (isinstance(vote, (int, float)) and vote < 0) else "up",
            language=get(row, "language"),
            reasons=[str(r) for r in _json_list(get(row, "reasons"))],
            comment=str(get(row, "comment") or ""),
            answer=str(get(row, "answer") or ""),
            history=[t for t in _json_list(get(row, "history")) if isinstance(t, dict)],
            created=str(get(row, "created") or ""),
        ))
    return out


# Reasons saying the documents do not cover the question: the answer should have been a refusal.
_OFF_TOPIC_CUES = ("off-topic", "off topic", "offtopic", "hors sujet", "hors-sujet", "hors corpus", "should have declined",
                   "should decline", "should have refused", "invented", "made up", "hallucinat", "not in the documents",
                   "pas dans les documents", "invente", "خارج", "مختلق")


def guess_answerable(row: FeedbackRow) -> bool:
    text = fold(" ".join([*row.reasons, row.comment]))
    return not any(fold(cue) in text for cue in _OFF_TOPIC_CUES)


def candidates(rows: list[FeedbackRow], known_questions: set[str] | None = None) -> list[dict[str, Any]]:
    """Candidate gold lines for the down-voted questions, one per distinct question not already in the gold."""
    seen = {fold(q) for q in (known_questions or set())}
    out = []
    for row in rows:
        key = fold(row.question)
        if row.vote != "down" or not key or key in seen:
            continue
        seen.add(key)
        lang = row.language if row.language in ("fr", "en", "ar") else (answer_language(row.question) or "fr")
        line: dict[str, Any] = {
            "id": f"fb-{content_hash(key, length=8)}",
            "language": lang,
            "question": row.question,
        }
        history = [{"role": t.get("role"), "content": t.get("content")} for t in row.history if t.get("content")]
        if history:
            line["history"] = history
        line.update({
            "evidence": [],
            "answer_facts": [],
            "answerable": guess_answerable(row),
            "split": "dev",
            "needs_review": True,
            "feedback": {"reasons": row.reasons, "comment": row.comment, "answer": row.answer, "created": row.created},
        })
        out.append(line)
    return out
