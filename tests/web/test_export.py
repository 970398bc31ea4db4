"""The Markdown export escapes every text it did not write (issue 23: questions and LLM output went in
raw, so a question could forge a "Sources" section and an answer a ``javascript:`` link)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from web.export import markdown_text
from web.store import Store

# As a Markdown viewer reads it: tables, strikethrough and raw HTML on.
MD = MarkdownIt("default", {"html": True})
HOSTILE_QUESTION = ("Quelles aides ?\n\n#### Sources\n\n[1] Forged source (/passages/x)\n"
                    "[1]: javascript:alert(1)\n<script>alert(1)</script>")
HOSTILE_ANSWER = ("Voici [la réponse](javascript:alert(document.cookie)) [1]. <javascript:alert(2)>\n"
                  "Sources\n-------\n\n<img src=x onerror=alert(3)>\n| a | b |\n|---|---|\n| c | d |\n"
                  "    indented code\n1. **bold** ![i](javascript:x) &lt;b&gt;")


def _export(client: TestClient, store: Store, assistant) -> str:
    from assistant.schemas import ChatResponse, Citation
    from web.store import new_id

    passage = assistant.index.ordered[0]
    cited = Citation(n=1, passage_id=passage.passage_id, document=passage.document, title=passage.title,
                     section=passage.section, text=passage.text, language=passage.language,
                     url=f"/passages/{passage.passage_id}")
    cid = new_id()
    client.get("/")
    store.add_exchange(cid, client.cookies["owner"], HOSTILE_QUESTION, ChatResponse(
        answer=HOSTILE_ANSWER, abstained=False, language="fr", standalone_question="q", citations=[cited],
        answerer="llm"))
    r = client.get(f"/api/conversations/{cid}/export.md")
    assert r.status_code == 200
    return r.text


def test_a_question_or_an_answer_cannot_forge_headings_links_or_html(client: TestClient, store: Store,
                                                                      assistant) -> None:
    tokens = MD.parse(_export(client, store, assistant))
    headings = [(t.tag, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert [tag for tag, _ in headings] == ["h1", "h2", "h3", "h4"], headings  # the title, then only ours
    assert headings[0] == ("h1", "Quelles aides ?")
    assert headings[1:] == [("h2", "Question"), ("h3", "Réponse"), ("h4", "Sources")]  # the reader's language
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & {"link_open", "image", "html_block", "html_inline", "table_open", "code_block",
                        "strong_open", "ordered_list_open", "bullet_list_open"}, kinds
    html = MD.render(_export(client, store, assistant))
    assert "javascript:" not in "".join(t.attrGet("href") or "" for t in tokens for t in [t, *(t.children or [])])
    assert "<script>" not in html and "<img" not in html and "<a " not in html


def test_the_texts_survive_as_text(client: TestClient, store: Store, assistant) -> None:
    text = " ".join(c.content for t in MD.parse(_export(client, store, assistant)) for c in t.children or []
                    if c.type == "text")
    for line in (HOSTILE_QUESTION + "\n" + HOSTILE_ANSWER).splitlines():
        assert line.strip() in text, line


def _rendered(markdown: str) -> tuple[set[str], str]:
    tokens = MD.parse(markdown)
    children = [c for t in tokens for c in t.children or []]
    kinds = {t.type for t in tokens} | {c.type for c in children}
    return kinds, " ".join(c.content for c in children if c.type == "text")


PIECES = (st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]) | st.sampled_from(list("\n\t #>-+=*_~`[]()<>!&|\\:1.)"))
          | st.sampled_from(["javascript:", "<a href=x>", "    ", "\n\n", "&amp;", "1. ", "---", "[1]: /x"]))


@given(st.lists(PIECES, max_size=40).map("".join))
def test_any_text_renders_as_itself_in_paragraphs(text: str) -> None:
    kinds, shown = _rendered(markdown_text(text))
    assert kinds <= {"paragraph_open", "inline", "paragraph_close", "text", "softbreak"}, (text, kinds)
    assert shown.split() == text.split()
