"""Conversations as JSON and Markdown, aid cards as CSV."""

from __future__ import annotations

import csv
import io
import re
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


# Markdown that text must not make: links and images ([ ] < >), raw HTML and entities (< &), emphasis and
# code (* _ ~ `), tables (|), and the backslash that escapes them.
_INLINE = re.compile(r"([\\`*_~\[\]<>&|])")
# What only a line's start makes (a quote's > is escaped above): a heading (#), a list item (- + or "1."
# "1)"), a setext underline (= -). Leading spaces are dropped: four of them make a code block.
_LINE_START = re.compile(r"([#+=-]|\d{1,9}(?=[.)]))")


def markdown_text(text: str) -> str:
    """``text`` as Markdown that renders as that text and nothing else: a question or an answer cannot
    forge a heading ("#### Sources"), a link (``[x](javascript:…)``, ``<javascript:…>``) or raw HTML."""
    return "\n".join(_markdown_line(line) for line in text.splitlines())


def _markdown_line(line: str) -> str:
    line = _INLINE.sub(r"\\\1", line.strip())  # trailing spaces would make a hard line break
    start = _LINE_START.match(line)
    if start is None:
        return line
    if start.group(1)[0].isdigit():  # "1." -> "1\.": the mark is after the number
        return f"{line[:start.end()]}\\{line[start.end():]}"
    return f"\\{line}"


def _quote(text: str) -> str:
    return "\n".join(f"> {_markdown_line(line)}" for line in text.splitlines() or [""])


# The export's own words, in the reader's language.
MARKDOWN_WORDS = {
    "fr": {"question": "Question", "answer": "Réponse", "sources": "Sources",
           "started": "Conversation {id}, commencée le {day} (UTC).", "gone": "passage {pid} (plus dans l'index)"},
    "en": {"question": "Question", "answer": "Answer", "sources": "Sources",
           "started": "Conversation {id}, started {day} (UTC).", "gone": "passage {pid} (no longer in the index)"},
    "ar": {"question": "السؤال", "answer": "الإجابة", "sources": "المصادر",
           "started": "المحادثة {id}، بدأت في {day} (UTC).", "gone": "المقطع {pid} (لم يعد في الفهرس)"},
}


def conversation_markdown(conversation: Conversation, assistant: Assistant, lang: str = "en", base_url: str = "") -> str:
    """The questions and answers, each answer followed by its numbered sources with the cited text; the
    headings in ``lang``, the passage links absolute under ``base_url`` (a file read away from the site).

    Only the headings, source lines and quote marks are Markdown of ours: every text (questions, answers,
    titles, passages) goes through ``markdown_text``."""
    words = MARKDOWN_WORDS.get(lang, MARKDOWN_WORDS["en"])
    day = time.strftime("%Y-%m-%d", time.gmtime(conversation.created))
    title = markdown_text(" ".join(conversation.title.split()))
    out = [f"# {title}", "", f"_{words['started'].format(id=conversation.id, day=day)}_", ""]
    for m in conversation.messages:
        if m.role == "user":
            out += [f"## {words['question']}", "", markdown_text(m.content), ""]
            continue
        # each line of the answer its own paragraph: the lead-in and each sentence or item stay apart
        out += [f"### {words['answer']}", "", *[x for line in markdown_text(m.content).splitlines() if line
                                                 for x in (line, "")]]
        if m.citations:
            out += [f"#### {words['sources']}", ""]
        for n, pid in m.citations:
            try:
                p = assistant.passage(pid)
            except NotFoundError:
                out += [f"[{n}] {words['gone'].format(pid=markdown_text(pid))}", ""]
                continue
            doc = _document(assistant, p.document)
            where = " — ".join(x for x in (p.title, doc, p.section) if x)
            link = f"{base_url.rstrip('/')}{passage_url(pid)}#p-{pid}"
            out += [f"[{n}] {markdown_text(where)} ({link})", "", _quote(p.text), ""]
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
