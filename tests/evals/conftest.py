"""A scripted stand-in for ``assistant.service.Assistant`` and a tiny corpus, for the evals' own tests.

The fake is passed to the runner exactly as the real assistant is (the runner takes the assistant as an
argument), so the tests go through the real evaluation code.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.errors import InvalidQueryError
from assistant.schemas import AnswerSentence, ChatResponse, Citation, SearchResponse, SearchResult, Turn

REPO = Path(__file__).resolve().parents[2]

TINY_DOCS = {
    "roadmap": ("fr", "roadmap.txt",
                "Le Festival Novembre Numérique est organisé chaque année par l'Institut français.\n"
                "Dès 2003, le Centre national du cinéma et de l'image animée (CNC) soutient le jeu vidéo.\n"),
    "pages": ("en", "pages.txt",
              "The European Union supports cultural cooperation with partner countries.\n"
              "Creative Europe funds cultural and creative sectors.\n"),
}


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = ["documents:"]
    for doc_id, (lang, file, text) in TINY_DOCS.items():
        (corpus / file).write_text(text, encoding="utf-8")
        lines += [f"  - id: {doc_id}", f"    file: {file}", f"    language: {lang}", f"    title: {doc_id}"]
    (corpus / "manifest.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus


def passage_texts() -> dict[str, tuple[str, str, str]]:
    """passage id -> (document, language, text): one passage per corpus line."""
    out = {}
    for doc_id, (lang, _file, text) in TINY_DOCS.items():
        for i, line in enumerate(text.splitlines()):
            out[f"{doc_id}-{i}"] = (doc_id, lang, line)
    return out


class FakeAssistant:
    """Answers and rankings scripted per question; records every call."""

    def __init__(self) -> None:
        self.passages = passage_texts()
        self.rankings: dict[tuple[str, str], list[str]] = {}  # (query, mode) -> passage ids
        self.answers: dict[str, ChatResponse | Exception] = {}
        self.aid_rankings: dict[str, list[str]] = {}
        self.calls: list[tuple[str, object]] = []

    # scripting helpers
    def rank(self, query: str, ids: list[str], modes: tuple[str, ...] = ("hybrid", "dense", "lexical")) -> None:
        for mode in modes:
            self.rankings[(query, mode)] = ids

    def reply(self, question: str, answer: str, cited: list[str], *, abstained: bool = False, language: str = "fr",
              standalone: str | None = None, translations: dict[str, str] | None = None,
              sections: dict[str, str] | None = None, sentences: list[tuple[str, list[int]]] | None = None) -> None:
        """``cited[i]`` becomes citation ``i + 1``; ``sections``: passage id -> section path of its citation;
        ``sentences``: (text, citation numbers) of each answer sentence."""
        citations = []
        for n, pid in enumerate(cited, start=1):
            doc, lang, text = self.passages[pid]
            citations.append(Citation(n=n, passage_id=pid, document=doc, title=doc, section=(sections or {}).get(pid, ""),
                                      text=text, language=lang, translation=(translations or {}).get(pid),
                                      url=f"/passages/{pid}"))
        said = [AnswerSentence(text=text, citations=numbers, support=1.0) for text, numbers in sentences or []]
        self.answers[question] = ChatResponse(answer=answer, abstained=abstained, language=language,
                                              standalone_question=standalone or question, citations=citations,
                                              sentences=said)

    # the Assistant interface
    def search(self, query: str, k: int = 10, lang: str | None = None, mode: str = "hybrid",
               history: list[Turn] | None = None) -> SearchResponse:
        """Ranks by the scripted standalone question when given a conversation (the real one rewrites)."""
        self.calls.append(("search", (query, mode, [t.content for t in history or []])))
        scripted = self.answers.get(query)
        if history and isinstance(scripted, ChatResponse) and scripted.standalone_question:
            query = scripted.standalone_question
        if not query.strip():
            raise InvalidQueryError("the question is empty")
        results = []
        for pid in self.rankings.get((query, mode), [])[:k]:
            doc, plang, text = self.passages[pid]
            results.append(SearchResult(passage_id=pid, document=doc, title=doc, section="", kind="paragraph",
                                        language=plang, text=text, score=1.0, matched_via=["original"], url=f"/passages/{pid}"))
        return SearchResponse(query=query, lang=lang or "fr", results=results)

    def answer(self, message: str, history: list[Turn] | None = None, lang: str | None = None) -> ChatResponse:
        self.calls.append(("answer", (message, history)))
        got = self.answers.get(message)
        if isinstance(got, Exception):
            raise got
        if got is None:
            return ChatResponse(answer="Les documents ne répondent pas à cette question.", abstained=True, language="fr",
                                standalone_question=message)
        return got

    def search_aids(self, q: str, filters: dict[str, str], lang: str | None = None) -> dict[str, object]:
        self.calls.append(("search_aids", (q, filters)))
        return {"aids": [{"id": a} for a in self.aid_rankings.get(q, [])], "facets": {}}


@pytest.fixture
def fake_assistant() -> FakeAssistant:
    return FakeAssistant()


@pytest.fixture
def clean_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Settings read fresh from a known environment (the real corpus, an empty data folder, no ``.env``),
    so a developer's variables never leak into a test. Yields the data folder."""
    from assistant.settings import get_settings

    for name in ("CHROMA_HOST", "LLM_BASE_URL", "LLM_MODEL", "EVALS_GOLD", "EVALS_AIDS_GOLD", "EVALS_THRESHOLDS"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("CORPUS_DIR", str(REPO / "corpus"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()
