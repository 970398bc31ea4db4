"""The assistant as a use case: search, answer, passages, aids. The web app and the CLI call this."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Generator, Iterator, Literal

from assistant.aids import AidCatalogue
from assistant.answer import LEAD_IN, LEAD_IN_LIST, choose_sentences, is_list_question, support
from assistant.refusal import (RefusalModel, answer_check, asked_kind, is_calendar, is_present, lacks_kind,
                               preamble, unknown_mass)
from assistant.sentences import CONTEXT_WEIGHT, SentenceBank, Wanted
from assistant.errors import InvalidQueryError, NotFoundError
from assistant.followup import Standalone, standalone
from assistant.glossary import Glossary
from assistant.language import detect_language, warm_up
from assistant.retrieval import HybridSearcher, Mode, Query
from assistant.schemas import (AnswerSentence, ChatResponse, Citation, SearchResponse, SearchResult, Suggestion,
                               Turn)
from assistant.settings import Settings
from vectorstore.embeddings import get_query_encoder
from vectorstore.index import Index
from vectorstore.models import Passage
from vectorstore.text import clean_text, tokenize

ABSTENTION_FILE = Path(__file__).with_name("abstention.json")

REFUSAL = {
    "fr": "Les documents ne répondent pas à cette question. Voici les sections les plus proches :",
    "en": "The documents do not answer this question. These are the closest sections:",
    "ar": "لا تجيب الوثائق عن هذا السؤال. هذه أقرب الأقسام:",
}
# Said before REFUSAL when the question asks about the present: the documents cannot know it.
DATED = {
    "fr": "Ces documents datent de {first} à {last} : ils ne disent pas ce qui est actuel.",
    "en": "These documents date from {first} to {last}: they cannot say what is current.",
    "ar": "تعود هذه الوثائق إلى الفترة من {first} إلى {last}، ولا يمكنها أن تخبر بما هو قائم حاليا.",
}
# Said instead of REFUSAL when the passages match the question but none gives the kind of answer it
# asks for (``refusal.lacks_kind``), and the other signals would answer it had one done so: the
# documents deal with the subject, not with that.
MISSING = {
    "fr": "Les documents en parlent, mais les passages les plus proches ne donnent pas {what}. Voici ces sections :",
    "en": "The documents deal with this, but the closest passages give no {what}. These are the sections:",
    "ar": "تتناول الوثائق هذا الموضوع، لكن أقرب المقاطع لا تذكر {what}. هذه هي الأقسام:",
}
MISSING_WHAT = {
    "fr": {"money": "de montant", "percent": "de pourcentage", "deadline": "de date limite", "date": "de date",
           "count": "ce nombre", "award": "de lauréat", "person": "de nom de personne à ce poste"},
    "en": {"money": "amount", "percent": "percentage", "deadline": "deadline", "date": "date", "count": "such number",
           "award": "winner", "person": "name of anyone in that role"},
    "ar": {"money": "مبلغا", "percent": "نسبة", "deadline": "موعدا نهائيا", "date": "تاريخا", "count": "هذا العدد",
           "award": "فائزا", "person": "اسم شخص في هذا المنصب"},
}
# The lead-in of an answer to a question about the present ("Où en est actuellement…"): what the
# documents said then, which may have changed since.
DATED_LEAD_IN = {
    "fr": "D'après les documents, qui datent de {first} à {last} (la situation a pu changer depuis) :",
    "en": "According to the documents, which date from {first} to {last} (things may have changed since):",
    "ar": "وفقا للوثائق التي تعود إلى الفترة من {first} إلى {last} (ربما تغير الوضع منذ ذلك الحين):",
}
CAPABILITIES = {
    "fr": ("Bonjour ! Je réponds aux questions sur la feuille de route française pour la Convention de 2005 de "
           "l'UNESCO dans l'environnement numérique et sur des pages du ministère de la Culture, du ministère de "
           "l'Europe et des Affaires étrangères et de la Commission européenne, en citant les passages. "
           "Demandez par exemple : « Quelles aides existent pour numériser une revue ? »"),
    "en": ("Hello! I answer questions about France's national roadmap for the 2005 UNESCO Convention in the "
           "digital environment and pages from the Ministry of Culture, the Ministry for Europe and Foreign "
           "Affairs and the European Commission, citing the passages. Try: \"Which grants support video games?\""),
    "ar": ("مرحبا! أجيب عن الأسئلة المتعلقة بخارطة الطريق الفرنسية لتنفيذ اتفاقية اليونسكو لعام 2005 في البيئة "
           "الرقمية وبصفحات وزارة الثقافة ووزارة أوروبا والشؤون الخارجية والمفوضية الأوروبية، مع ذكر المقاطع. "
           "جرّب مثلا: «ما هو مهرجان نوفمبر الرقمي؟»"),
}
_SMALL_TALK = re.compile(
    r"^\s*(?:bonjour|bonsoir|salut|coucou|hello|hi|hey|good (?:morning|afternoon|evening)|merci|thanks?(?: you)?|"
    r"مرحبا|أهلا|اهلا|السلام عليكم|شكرا)\b[\s!.,?]*$"
    r"|que (?:peux|sais)[- ]tu faire|qu'est-ce que tu (?:peux|sais) faire|tu sers à quoi|what can you do|"
    r"what do you do|who are you|how can you help|ماذا يمكنك|ماذا تستطيع|من أنت",
    re.IGNORECASE,
)
_FUNDING = re.compile(
    r"\b(?:aides?|subventions?|financ\w*|appels? (?:a|à) (?:projets|manifestation)|bourses?|concours|"
    r"grants?|fund\w*|subsid\w*|call for (?:projects|proposals)|financial support|support scheme)\b"
    r"|تمويل|منح|منحة|دعم مالي|مساعدات",
    re.IGNORECASE,
)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def passage_url(passage_id: str) -> str:
    return f"/passages/{passage_id}"


class Assistant:
    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        _limit_threads(settings.query_threads)
        self.embeddings = get_query_encoder(settings.embedding_model, settings.query_backend,
                                            settings.data_dir / "models", settings.query_threads)
        self.glossary = Glossary(index.extra("glossary", []))  # type: ignore[arg-type]
        self.bank = SentenceBank(index)
        self.searcher = HybridSearcher(index, self.embeddings, self.glossary, bank=self.bank)
        self.aids = AidCatalogue(index.extra("aids", []))  # type: ignore[arg-type]
        self.documents = {d["id"]: d for d in index.extra("documents", [])}  # type: ignore[union-attr]
        # The years the documents are dated ("2022-01-21", "c. 2020"): what a refusal about "now" cites.
        self.years = sorted({int(y) for d in self.documents.values() for y in _YEAR.findall(str(d.get("date", "")))})
        self.refusal = RefusalModel.load(json.loads(ABSTENTION_FILE.read_text(encoding="utf-8")))
        # Every token and word the corpus uses, in any language: what ``unknown`` (refusal.py) is measured against.
        self.vocabulary = frozenset().union(*(idf.keys() for idf in self.bank.idf.values()), self.bank.words)
        warm_up()
        self.llm = None
        if settings.llm_enabled:
            from assistant.llm import LLMAnswerer

            self.llm = LLMAnswerer(settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Assistant":
        return cls(Index.open(settings.data_dir, settings.chroma()), settings)

    def count(self) -> int:
        return self.index.count()

    # --- questions -----------------------------------------------------------------------------------

    def _validate(self, text: str) -> str:
        text = clean_text(text)
        if not text:
            raise InvalidQueryError("the question is empty")
        if len(text) > self.settings.max_message_chars:
            raise InvalidQueryError(f"the question is too long ({len(text)} characters, at most {self.settings.max_message_chars})")
        if not _LETTER.search(text):
            raise InvalidQueryError("the question has no letters")
        return text

    def _query(self, text: str, lang: str, context: str = "") -> Query:
        q = self.searcher.prepare(text, lang, context)
        if not q.tokens:
            raise InvalidQueryError("the question has only common words (stopwords); name what you are looking for")
        return q

    def search(self, query: str, k: int = 10, lang: str | None = None, mode: Mode = "hybrid",
               history: list[Turn] | None = None) -> SearchResponse:
        """Passages for ``query``; with ``history``, a follow-up is searched as the chat searches it (the
        earlier question as context that weighs less than the message's own words)."""
        query = self._validate(query)
        if not 1 <= k <= self.settings.max_k:
            raise InvalidQueryError(f"k must be between 1 and {self.settings.max_k}")
        _, q = self._conversation_query(query, history or [], self._language(query, history or [], lang))
        results = []
        for hit in self.searcher.search(q, k, mode):
            p = self.index.passages[hit.passage_id]
            results.append(SearchResult(
                passage_id=p.passage_id, document=p.document, title=p.title, section=p.section, kind=p.kind,
                language=p.language, text=p.text, score=round(hit.score, 6), matched_via=hit.matched_via,
                url=passage_url(p.passage_id)))
        return SearchResponse(query=query, lang=q.lang, results=results)

    def answer(self, message: str, history: list[Turn] | None = None, lang: str | None = None) -> ChatResponse:
        final = None
        for kind, value in self.stream(message, history or [], lang, tokens=False):
            if kind == "final":
                final = value
        assert isinstance(final, ChatResponse)
        return final

    def stream(self, message: str, history: list[Turn] | None = None, lang: str | None = None,
               tokens: bool = True) -> Generator[tuple[str, object], None, None]:
        """("token", text) chunks as the answer is written, then ("final", ChatResponse)."""
        history = history or []
        message = self._validate(message)
        qlang = self._language(message, history, lang)
        if _SMALL_TALK.search(message):
            text = CAPABILITIES[qlang]
            if tokens:
                yield from (("token", t) for t in _chunks(text))
            yield "final", ChatResponse(answer=text, abstained=False, language=qlang, standalone_question=message,
                                        answerer="none")
            return
        asked, q = self._conversation_query(message, history, qlang)
        question, message = asked.question, asked.asked
        pool = self.searcher.search(q, 60)  # the answer reads the top 8; the aid cards rank on the whole pool
        hits = pool[:8]
        signals = self.refusal_signals(q, hits, message) if hits else {}
        if not hits or not self.refusal.answers(signals):
            missing = None
            if hits and lacks_kind(signals) and self.refusal.answers({**signals, "untyped": 0.0}):
                missing = asked_kind(message, qlang)  # declined for the kind of answer alone: say which
            response = self.refusal_answer(question, qlang, hits, dated=is_present(message), missing=missing)
            if tokens:
                yield from (("token", t) for t in _chunks(response.answer))
            yield "final", response
            return
        response = None
        streamed = False
        if self.llm is not None:
            gen = self.llm.stream(self, q, question, hits, tokens)
            try:
                while True:
                    event = next(gen)
                    streamed = True
                    yield event
            except StopIteration as stop:
                response = stop.value
        if response is None:
            response = self._extractive(q, question, hits, message)
        # An answer the LLM did not stream (it declined, or failed and the extractive answer took over)
        # is streamed here; after a failed LLM stream the final event alone replaces what was shown.
        if tokens and not streamed:
            yield from (("token", t) for t in _chunks(response.answer))
        if _FUNDING.search(question):
            ranked = [(h.passage_id, h.score, h.matched_via) for h in pool]
            response.aids = self.aids.search({}, lambda: ranked, limit=3)["aids"]
        yield "final", response

    @staticmethod
    def _history_language(history: list[Turn]) -> str | None:
        for turn in reversed(history):
            if turn.role == "user":
                return detect_language(turn.content)
        return None

    def _language(self, message: str, history: list[Turn], lang: str | None) -> str:
        """The message's language; a message too short to tell takes ``lang``, else the conversation's."""
        return detect_language(message, default=lang or self._history_language(history) or "fr")

    def _conversation_query(self, message: str, history: list[Turn], lang: str) -> tuple[Standalone, Query]:
        """(the message read in its conversation, query): a follow-up that changes the topic is searched as
        the question it rewrites; another is searched with its earlier question as context, which weighs
        less than the message's own words (``assistant/followup.py``)."""
        asked = standalone(message, history, lang)
        return asked, self._query(asked.asked, lang, asked.context)

    def refusal_features(self, message: str, history: list[Turn] | None = None, lang: str | None = None
                         ) -> tuple[str, dict[str, float]]:
        """(language, signals) that decide whether ``message`` is answered (for calibration)."""
        message = self._validate(message)
        qlang = self._language(message, history or [], lang)
        asked, q = self._conversation_query(message, history or [], qlang)
        return qlang, self.refusal_signals(q, self.searcher.search(q, 8), asked.asked)

    def refusal_signals(self, q: Query, hits, message: str) -> dict[str, float]:
        """What the refusal model reads (see ``assistant/refusal.py``)."""
        known = self.glossary.tokens(q.terms, q.lang) | set(q.transliterated)
        reads = q.lang in self.settings.embedding_languages
        # Words only a preamble or an earlier turn brings weigh less: the message's question is what is asked.
        before, asked = preamble(message, q.lang)
        lighter = q.context
        unknown = unknown_mass(asked, q.lang, self.vocabulary, known)
        if before:
            lighter |= frozenset(tokenize(before, q.lang)) - frozenset(tokenize(asked, q.lang))
            unknown += CONTEXT_WEIGHT * unknown_mass(before, q.lang, self.vocabulary, known)
        return {"coverage": self.coverage(q, hits, lighter),
                "unknown": round(unknown, 4),
                "calendar": float(is_calendar(message)),
                "untyped": self.untyped(q, hits, message, lighter),
                "similarity": self.similarity(q, hits) if reads else 0.0,
                "model_reads": float(reads),
                "brevity": round(1.0 / max(1, len(_asked_tokens(q))), 4)}

    def coverage(self, q: Query, hits, lighter: frozenset[str] = frozenset()) -> float:
        """The idf-weighted share of the question's words found in one of the three best passages (an
        inflected variant sharing the stem's first four letters counts for less; a term asked by its
        acronym is found spelled out, and the other way, ``Glossary.named_in``). The words naming a
        document ("what does the roadmap say about…", here or in an earlier turn) say where to look, not
        what is asked: left out.
        The ``lighter`` words (only a preamble or an earlier turn brings them) weigh ``CONTEXT_WEIGHT`` as much."""
        wanted = Wanted(self.bank, q.lang, _asked_tokens(q), context=lighter)
        terms = q.terms + q.context_terms
        coverage = 0.0
        for hit in hits[:3]:
            p = self.index.passages[hit.passage_id]
            found = self.bank.entry_tokens(p, q.lang) if p.has_text_in(q.lang) else frozenset()
            if terms:  # "SNJV" asked, "Syndicat national du jeu vidéo" written: found
                found |= self.glossary.named_in(terms, q.lang, found)
            if wanted.total:
                coverage = max(coverage, sum(w * _match(t, found) for t, w in wanted.weights.items()) / wanted.total)
        return round(coverage, 4)

    def similarity(self, q: Query, hits) -> float:
        """The question's cosine with the closest sentence of the three best passages, in the question's
        language or the passage's own."""
        best = 0.0
        for hit in hits[:3]:
            p = self.index.passages[hit.passage_id]
            for lang in dict.fromkeys((q.lang, p.language)):
                if p.has_text_in(lang):
                    best = max([best, *(float(s.vector @ q.vector) for s in self.bank.sentences(p, lang)
                                        if s.vector is not None)])
        return round(best, 4)

    def untyped(self, q: Query, hits, message: str, lighter: frozenset[str] = frozenset()) -> float:
        """For a question asking for a kind of answer (``refusal.answer_check``): 1 minus the share of
        the question covered by the best sentence of the three best passages that holds one, relative to
        the best sentence of those passages (0 for a question that asks for no kind): a sentence covers
        few of a long question's words, and the sentence that answers needs cover no fewer than any other."""
        holds = answer_check(message, q.lang)
        if holds is None:
            return 0.0
        wanted = Wanted(self.bank, q.lang, set(q.content_tokens), context=lighter)
        best = typed = 0.0
        for hit in hits[:3]:
            p = self.index.passages[hit.passage_id]
            if not p.has_text_in(q.lang):
                continue
            for s in self.bank.sentences(p, q.lang):
                overlap = wanted.overlap(s.tokens)
                best = max(best, overlap)
                if holds(s.text):
                    typed = max(typed, overlap)
        return round(1.0 - typed / best, 4) if best else 1.0

    def refusal_answer(self, question: str, lang: str, hits, dated: bool = False,
                       answerer: Literal["none", "llm"] = "none", missing: str | None = None) -> ChatResponse:
        """The documents do not answer: say so in ``lang`` and suggest the nearest sections."""
        suggestions, seen = [], set()
        for hit in hits[:6]:
            p = self.index.passages[hit.passage_id]
            section = p.section or p.title
            if section in seen:
                continue
            seen.add(section)
            suggestions.append(Suggestion(section=section, passage_id=p.passage_id, url=passage_url(p.passage_id)))
            if len(suggestions) == 3:
                break
        text = REFUSAL[lang] if missing is None else MISSING[lang].format(what=MISSING_WHAT[lang][missing])
        if dated and self.years:
            text = DATED[lang].format(first=self.years[0], last=self.years[-1]) + " " + text
        return ChatResponse(answer=text, abstained=True, language=lang, standalone_question=question,
                            answerer=answerer, suggestions=suggestions)

    def _extractive(self, q: Query, question: str, hits, message: str) -> ChatResponse:
        as_list = is_list_question(message)
        chosen = choose_sentences(self.bank, q, hits, as_list)
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        sentences: list[AnswerSentence] = []
        for c in chosen:
            score = support(self.bank, c.sentence.text, c.sentence.vector, c.passage, c.lang, c.sentence.tokens)
            if score < 0.5:
                continue
            pid = c.passage.passage_id
            if pid not in numbers:
                numbers[pid] = len(numbers) + 1
                citations.append(self.citation(c.passage, numbers[pid], c.lang))
            sentences.append(AnswerSentence(text=c.sentence.text, citations=[numbers[pid]], support=score))
        if not sentences:
            return self.refusal_answer(question, q.lang, hits, dated=is_present(message))
        body = [f"{s.text} [{s.citations[0]}]" for s in sentences]
        listed = as_list and len(sentences) > 1
        if is_present(message) and self.years:
            lead = DATED_LEAD_IN[q.lang].format(first=self.years[0], last=self.years[-1])
        else:
            lead = (LEAD_IN_LIST if listed else LEAD_IN)[q.lang]
        answer = lead + "\n" + ("\n".join(f"- {b}" for b in body) if listed else " ".join(body))
        return ChatResponse(answer=answer, abstained=False, language=q.lang, standalone_question=question,
                            answerer="extractive", sentences=sentences, citations=citations)

    def citation(self, p: Passage, n: int, lang: str) -> Citation:
        translated = lang != p.language and lang in p.translations
        return Citation(
            n=n, passage_id=p.passage_id, document=p.document, title=p.title, section=p.section,
            date=self.document_date(p.document), text=p.text, language=p.language,
            translation=p.translations[lang].text if translated else None,
            translation_lang=lang if translated else None, url=passage_url(p.passage_id))

    def document_date(self, doc_id: str) -> str:
        """The document's date as the manifest gives it ("2022-01-21", "c. 2020"), or ""."""
        return str(self.documents.get(doc_id, {}).get("date", ""))

    # --- passages, documents, table of contents -----------------------------------------------------

    def passage(self, passage_id: str) -> Passage:
        p = self.index.passages.get(passage_id)
        if p is None:
            raise NotFoundError(f"unknown passage {passage_id!r}")
        return p

    def section_passages(self, passage_id: str) -> list[Passage]:
        """The passages of the passage's section; for a heading, everything under it."""
        p = self.passage(passage_id)
        prefix = f"{p.section} › "
        subtree = p.kind == "heading" and bool(p.section)
        return [o for o in self.index.ordered if o.document == p.document and
                (o.section == p.section or (subtree and o.section.startswith(prefix)))]

    def document_info(self, doc_id: str) -> dict:
        if doc_id not in self.documents:
            raise NotFoundError(f"unknown document {doc_id!r}")
        return self.documents[doc_id]

    def toc(self, document: str = "roadmap") -> list[dict]:
        axes: list[dict] = []
        for p in self.index.ordered:
            if p.document != document or p.kind != "heading" or not p.section:
                continue
            depth = len(p.section.split(" › "))
            if depth == 1:
                axes.append({"title": p.text, "passage_id": p.passage_id, "translations": _tr(p), "children": []})
            elif depth == 2 and axes:
                axes[-1]["children"].append({"title": p.text, "passage_id": p.passage_id, "translations": _tr(p)})
        return axes

    # --- aids ---------------------------------------------------------------------------------------

    def search_aids(self, q: str | None, filters: dict[str, str], lang: str | None = None,
                    limit: int | None = None) -> dict:
        if q is None or not q.strip():
            return self.aids.search(filters, None, limit)
        text = self._validate(q)
        query = self._query(text, detect_language(text, default=lang or "fr"))

        def ranked() -> list[tuple[str, float, list[str]]]:
            return [(h.passage_id, h.score, h.matched_via) for h in self.searcher.search(query, 60)]
        return self.aids.search(filters, ranked, limit)

    def aid(self, aid_id: str) -> dict:
        return self.aids.get(aid_id)


def _limit_threads(n: int) -> None:
    """Encoding one short question gains nothing from several threads, and under concurrent requests
    they fight over the cores (seen here: 0.9 s instead of 0.03 s per question on 2 cores)."""
    import torch

    if n > 0 and torch.get_num_threads() != n:
        torch.set_num_threads(n)


def _asked_tokens(q: Query) -> set[str]:
    """The words a question asks about: its content words but those naming a document ("what does the
    roadmap say about…"), unless that is all it has."""
    return set(q.content_tokens) - q.naming or set(q.content_tokens)


def _match(token: str, found: frozenset[str]) -> float:
    if token in found:
        return 1.0
    if len(token) >= 4 and any(f.startswith(token[:4]) and abs(len(f) - len(token)) <= 3 for f in found):
        return 0.7
    return 0.0


def _tr(p: Passage) -> dict[str, str]:
    return {lang: t.text for lang, t in p.translations.items()}


def _chunks(text: str, size: int = 3) -> Iterator[str]:
    words = re.findall(r"\S+\s*", text)
    for i in range(0, len(words), size):
        yield "".join(words[i : i + size])

