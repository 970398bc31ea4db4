"""Conversations as JSON and Markdown, aid cards as CSV."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from assistant.errors import NotFoundError
from assistant.service import Assistant
from web.store import Conversation


def passage_url(passage_id: str) -> str:
    return f"/passages/{passage_id}"


def conversation_json(conversation: Conversation, owned: bool) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "title": conversation.title,
        "created": conversation.created,
        "url": f"/c/{conversation.id}",
        "owned": owned,
        "messages": [
            {
                "id": m.id, "role": m.role, "content": m.content, "language": m.language, "created": m.created,
                **({"answerer": m.answerer, "abstained": m.abstained, "feedback": m.feedback,
                    "citations": [{"n": n, "passage_id": pid, "url": passage_url(pid)} for n, pid in m.citations],
                    "suggestions": m.extras.get("suggestions", []), "aids": m.extras.get("aids", [])}
                   if m.role == "assistant" else {}),
            }
            for m in conversation.messages
        ],
    }


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


def conversation_markdown(conversation: Conversation, assistant: Assistant) -> str:
    """The questions and answers, each answer followed by its numbered sources with the cited text."""
    day = time.strftime("%Y-%m-%d", time.gmtime(conversation.created))
    out = [f"# {conversation.title}", "", f"_Conversation {conversation.id}, started {day} (UTC)._", ""]
    for m in conversation.messages:
        if m.role == "user":
            out += ["## Question", "", m.content, ""]
            continue
        out += ["### Answer", "", m.content, ""]
        if m.citations:
            out += ["#### Sources", ""]
        for n, pid in m.citations:
            try:
                p = assistant.passage(pid)
            except NotFoundError:
                out += [f"[{n}] passage {pid} (no longer in the index)", ""]
                continue
            doc = _document(assistant, p.document)
            out += [f"[{n}] {p.title}{' — ' + doc if doc else ''}{' — ' + p.section if p.section else ''} "
                    f"({passage_url(pid)})", "", _quote(p.text), ""]
    return "\n".join(out).rstrip() + "\n"


def _document(assistant: Assistant, doc_id: str) -> str:
    try:
        info = assistant.document_info(doc_id)
    except NotFoundError:
        return ""
    return ", ".join(str(x) for x in (info.get("publisher"), info.get("date")) if x)


_CSV_COLUMNS = ["id", "name", "operator", "kind", "sectors", "beneficiaries", "stages", "geography", "summary",
                "citations"]


def _cell(value: str) -> str:
    # A spreadsheet would run a cell starting with = + - @ as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def aids_csv(aids: list[dict[str, Any]], lang: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(_CSV_COLUMNS)
    for a in aids:
        summary = a.get("summary", {})
        writer.writerow([_cell(str(x)) for x in (
            a["id"], a["name"], a["operator"], a["kind"], "; ".join(a["sectors"]), "; ".join(a["beneficiaries"]),
            "; ".join(a["stages"]), a.get("geography", ""), summary.get(lang) or summary.get("fr", ""),
            " ".join(passage_url(c["passage_id"]) for c in a["citations"]),
        )])
    return buf.getvalue()
