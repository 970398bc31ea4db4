"""Down-voted answers from the web app's feedback store, turned into candidate gold lines for a person
to complete (evidence, facts) before they join ``qa.jsonl``.

Reading the store is one function, :func:`read_feedback`, so the rest does not depend on how the web
app lays out its tables.
"""

from __future__ import annotations

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
    abstained: bool = False
    passage_ids: list[str] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)
    message_id: str = ""
    created: float | str = ""


def read_feedback(db: Path | str) -> list[FeedbackRow]:
    """Every vote in the web app's store (``web.store``: a SQLite file, or a ``DATABASE_URL``), oldest
    first. The one place to adapt if it changes."""
    if isinstance(db, Path) and not db.is_file():
        raise FeedbackError(f"{db}: no feedback database (pass --db)")
    from web.store import Store, StoreError, database_url, reason

    try:
        where = str(db) if isinstance(db, Path) else database_url(db).render_as_string(hide_password=True)
    except ValueError as exc:  # not a URL, or one of another database
        raise FeedbackError(str(exc)) from None
    try:
        store = Store(db)
    except StoreError as exc:
        raise FeedbackError(f"{where}: cannot read feedback ({reason(exc)})") from exc
    try:
        rows = store.feedback_rows(vote=None)
    except StoreError as exc:
        raise FeedbackError(f"{where}: cannot read feedback ({reason(exc)})") from exc
    finally:
        store.close()
    return [
        FeedbackRow(
            question=str(r.get("question") or ""), vote=str(r.get("vote") or ""), language=r.get("language") or None,
            reasons=[str(x) for x in r.get("reasons") or []], comment=str(r.get("comment") or ""),
            answer=str(r.get("answer") or ""), abstained=bool(r.get("abstained")),
            passage_ids=[str(x) for x in r.get("passage_ids") or []],
            history=[t for t in r.get("history") or [] if isinstance(t, dict)],
            message_id=str(r.get("message_id") or ""), created=r.get("created") or "",
        )
        for r in rows
    ]


# Free-text cues (in the comment) that the documents do not cover the question.
_OFF_TOPIC_CUES = ("off-topic", "off topic", "hors sujet", "hors-sujet", "hors corpus", "should have declined",
                   "should have refused", "invented", "made up", "hallucinat", "not in the documents",
                   "pas dans les documents", "invente", "خارج", "مختلق")


def guess_answerable(row: FeedbackRow) -> bool:
    """From the web app's reasons first (``should_not_have_answered`` / ``should_have_answered``), then the comment."""
    if "should_not_have_answered" in row.reasons:
        return False
    if "should_have_answered" in row.reasons:
        return True
    text = fold(row.comment)
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
            "feedback": {"reasons": row.reasons, "comment": row.comment, "answer": row.answer, "abstained": row.abstained,
                         "cited_passages": row.passage_ids, "message_id": row.message_id, "created": row.created},
        })
        out.append(line)
    return out
