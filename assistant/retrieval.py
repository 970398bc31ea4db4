"""Hybrid, multilingual retrieval: dense (Chroma) + lexical (BM25 in the question's language), fused
with reciprocal-rank fusion and merged per passage.

Across languages, three things work together:
- the embedding model: multilingual-e5-small (``EMBEDDING_MODEL``) puts a French passage and an Arabic
  question in one space; the default all-MiniLM-L6-v2 reads English and some French, and is trusted less
  for the languages it does not read (``Trust``, per model and question language);
- hand-made translations (``corpus/translations/``): a translated passage is indexed in each language, so
  the lexical side compares a question with text in its own language;
- for a passage nobody translated into the question's language, the lexical side cannot see it at all:
  its lexical vote is imputed from its dense rank (it is missing by design, not because it did not match),
  and a second lexical run in the passage's language looks for what a question carries across languages
  (glossary equivalents of its terms, names, acronyms, numbers, cognates).
The glossary adds the question's domain terms and acronyms in its language, and an English gloss of them
for the dense side.

A question that names a document ("what does the roadmap say about…", "selon la feuille de route",
"في خارطة الطريق", or a follow-up to such a question) is asked within it: that document's passages
come first, the others after them (the manifest's ``called`` names, matched like glossary terms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.glossary import Glossary
from assistant.language import zipf
from assistant.sentences import SentenceBank, WantedByLanguage
from assistant.transliteration import NameBridge
from vectorstore.embeddings import MINILM_MODEL, SentenceEmbeddings
from vectorstore.index import Index
from vectorstore.text import LANGUAGES, is_arabic_word, stem_words, surface_words, tokenize

Mode = Literal["hybrid", "dense", "lexical"]
RRF_K = 20
RERANK_DEPTH = 20
RERANK_WEIGHT = 0.5
# An Arabic word at least this common in general Arabic (Zipf scale: ten per million words, "نسيت",
# "تنص") is read as Arabic, not as the spelling of a Latin name (see ``assistant/transliteration.py``).
COMMON_ARABIC_ZIPF = 4.0


@dataclass(frozen=True)
class Trust:
    """How far the embedding model is trusted on questions in one language: the weight of its ranking in
    the fusion, and of a sentence's cosine against its word overlap when sentences are scored."""

    dense: float
    sentence: float


# Tuned on the dev split. all-MiniLM-L6-v2 reads English, French partly, Arabic not at all; a
# multilingual model (multilingual-e5-small) reads all three. Another model: READS in the languages
# ``EMBEDDING_LANGUAGES`` names, BLIND in the others.
READS = Trust(dense=1.0, sentence=0.5)
BLIND = Trust(dense=0.15, sentence=0.15)
MODEL_TRUST = {MINILM_MODEL: {"en": READS, "fr": Trust(dense=0.5, sentence=0.4), "ar": BLIND}}


def trust_for(model: str, languages: Sequence[str]) -> dict[str, Trust]:
    """Per question language: the model's tuned trust where known, READS otherwise; BLIND wherever
    ``languages`` (``EMBEDDING_LANGUAGES``) says the model does not read."""
    known = MODEL_TRUST.get(model, {})
    return {lang: known.get(lang, READS) if lang in languages else BLIND for lang in LANGUAGES}


@dataclass
class Hit:
    passage_id: str
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    matched_via: list[str] = field(default_factory=list)


@dataclass
class Query:
    text: str
    lang: str
    tokens: list[str]  # stemmed lexical tokens in ``lang``: the question's and its context's
    expanded: list[str]  # the same plus glossary equivalents and acronyms (a second, lighter ranking)
    vector: np.ndarray  # what the dense side encodes, without the words naming a document (they say where to look)
    content_tokens: list[str]  # the question's own tokens (with its context's, for a follow-up), no expansion
    terms: list[dict] = field(default_factory=list)  # glossary terms the question names
    context_terms: list[dict] = field(default_factory=list)  # those only its earlier turns name
    transliterated: list[str] = field(default_factory=list)  # tokens of Arabic spellings read as Latin names
    documents: frozenset[str] = frozenset()  # the documents the question names (with their translations)
    naming: frozenset[str] = frozenset()  # the tokens naming a document, here or earlier ("roadmap"): not what is asked
    context: frozenset[str] = frozenset()  # tokens only the earlier turns bring
    # for passages with no text in ``lang``: what the question carries into each other language
    # (its terms' glossary equivalents there, and its Latin-script words tokenised for it)
    crossing: dict[str, list[str]] = field(default_factory=dict)
    sentence_cos: float = READS.sentence  # how much a sentence's cosine counts against its word overlap
    # the same for a sentence in another language, which shares no words with the question: its cosine
    # alone counts where the model reads the question's language, and no more than usual where it does not
    across_cos: float = 1.0

    @property
    def searched_tokens(self) -> list[str]:
        return [t for t in self.tokens if t not in self.naming] or self.tokens

    @property
    def searched_expansion(self) -> list[str]:
        return [t for t in self.expanded if t not in self.naming] if self.expanded else []


@dataclass
class Weights:
    dense: float = 1.0
    lexical: float = 1.0
    expansion: float = 0.5  # the glossary-expanded lexical run, and the runs across languages


class HybridSearcher:
    def __init__(self, index: Index, embeddings: SentenceEmbeddings, glossary: Glossary,
                 trust: dict[str, Trust] | None = None, bank: SentenceBank | None = None) -> None:
        self.index = index
        self.embeddings = embeddings
        self.glossary = glossary
        self.trust = trust or {lang: READS for lang in LANGUAGES}
        self.weights = {lang: Weights(dense=t.dense) for lang, t in self.trust.items()}
        self.bank = bank
        self.twins = twin_passages(index)
        self.names = NameBridge(bank.latin_in_arabic) if bank is not None else None
        self.document_names = document_names(index.extra("documents", []))  # type: ignore[arg-type]
        # the languages some passage has no text in: only a question in one of them needs the runs
        # across languages (``_untranslated``); with every passage translated, none does
        self.gaps = frozenset(lang for lang in LANGUAGES
                              if any(not p.has_text_in(lang) for p in index.passages.values()))

    def prepare(self, text: str, lang: str, extra: str = "") -> Query:
        """Tokens and vector of a question (``extra``: context from earlier turns, weighted lower)."""
        own = _unique(tokenize(text, lang))
        terms = self.glossary.match(text, lang)
        # A term the earlier turn named is expanded too: "Elle existe toujours ?" after "C'est quoi
        # l'Hadopi ?" searches Hadopi's full name as the standalone question would.
        context_terms = [t for t in self.glossary.match(extra, lang) if t not in terms] if extra else []
        expansion = tokenize(" ".join(self.glossary.expand(text, lang, terms=terms + context_terms)), lang)
        names, transliterated = self._latin_names(text) if lang == "ar" else ([], [])
        if names:  # the Latin name replaces its Arabic spelling, which no passage uses
            own = _unique([t for t in own if t not in transliterated] + tokenize(" ".join(names), lang))
        context = tokenize(extra, lang) if extra else []
        tokens = _unique(own + context)
        expanded = _unique(tokens + expansion)
        gloss = self.glossary.english_gloss(text, lang, terms=terms + context_terms) if lang != "en" else []
        documents, naming = self.named_documents(text, lang)
        vector = self.embeddings.encode([self._dense_text([text, *gloss, *names, extra], lang, naming)])[0]
        crossing = self._crossing(text, extra, lang, terms + context_terms, names) if lang in self.gaps else {}
        trust = self.trust.get(lang, READS)
        if extra:  # a follow-up stays in the document its question named; the naming words are not asked
            earlier, earlier_naming = self.named_documents(extra, lang)
            documents, naming = documents or earlier, naming | earlier_naming
        return Query(text=text, lang=lang, tokens=tokens, expanded=expanded if expanded != tokens else [], vector=vector,
                     content_tokens=tokens, terms=terms, context_terms=context_terms, transliterated=transliterated,
                     documents=documents, naming=naming, context=frozenset(context) - frozenset(own), crossing=crossing,
                     sentence_cos=trust.sentence, across_cos=1.0 if trust.dense >= READS.dense else trust.sentence)

    @staticmethod
    def _dense_text(parts: list[str], lang: str, naming: frozenset[str]) -> str:
        """What the dense side encodes: the question, its terms' gloss, names, earlier turns; without the
        words naming a document, if anything else is left (a question about pensions "in the roadmap" is
        close to the roadmap's opening by its naming words alone)."""
        whole = " ".join(parts).strip()
        if not naming:
            return whole
        kept = [w for part in parts if part for w in surface_words(part, lang) if not set(tokenize(w, lang)) & naming]
        return " ".join(kept) or whole

    def _crossing(self, text: str, extra: str, lang: str, terms: list[dict], names: list[str]) -> dict[str, list[str]]:
        """What the question carries into each other language's lexical index: its terms' glossary
        equivalents there, and its words in Latin script tokenised for it (from an English or French
        question, all of them: names, acronyms, numbers and cognates match; from an Arabic one, the Latin
        words it writes and the Latin names its Arabic spellings stand for)."""
        if lang == "ar":
            carried = " ".join([*(w for w in surface_words(" ".join([text, extra]), lang) if not is_arabic_word(w)), *names])
        else:
            carried = " ".join([text, extra])
        out: dict[str, list[str]] = {}
        for other in self.index.lexical:
            if other != lang:
                equivalents = self.glossary.expand(text, lang, target=other, terms=terms)
                out[other] = _unique(tokenize(" ".join([*equivalents, carried]), other))
        return out

    def named_documents(self, text: str, lang: str) -> tuple[frozenset[str], frozenset[str]]:
        """(the documents ``text`` names, with their published translations; the tokens of the names it uses,
        and of the verb asking what they say: "what does the roadmap *say* about trade?" asks about trade)."""
        named = self.document_names.match(text, lang) if text else []
        if not named:
            return frozenset(), frozenset()
        saying = frozenset(tokenize(text, lang)) & _SAYING[lang]
        return (frozenset(d for entry in named for d in entry["documents"]),
                frozenset(t for entry in named for t in entry["naming"]) | saying)

    def _latin_names(self, text: str) -> tuple[list[str], list[str]]:
        """(Latin names, tokens of the Arabic words spelling them) in an Arabic question (see
        ``assistant/transliteration.py``)."""
        if self.names is None or self.bank is None:
            return [], []
        vocabulary = self.bank.idf.get("ar", {})

        def known(word: str) -> bool:  # the corpus uses it
            return word in self.bank.words or any(t in vocabulary for t in stem_words([word], "ar"))  # type: ignore[union-attr]

        def common(word: str) -> bool:  # general Arabic uses it often
            return zipf(word, "ar") >= COMMON_ARABIC_ZIPF

        names: list[str] = []
        spelt: list[str] = []
        for run, latin in self.names.names(surface_words(text, "ar"), known, common):
            names.extend(latin)
            spelt.extend(stem_words(run, "ar"))
        return names, spelt

    def search(self, q: Query, k: int = 10, mode: Mode = "hybrid", pool: int = 60) -> list[Hit]:
        hits: dict[str, Hit] = {}
        w = self.weights.get(q.lang, Weights())
        if mode in ("hybrid", "dense"):
            rank = 0
            for entry_id, _sim in self.index.dense(q.vector, pool):
                pid, lang = entry_id.rsplit(":", 1)
                hit = hits.setdefault(pid, Hit(pid, 0.0))
                if hit.dense_rank is None:
                    hit.dense_rank = rank
                    rank += 1
                    hit.score += (w.dense if mode == "hybrid" else 1.0) / (RRF_K + hit.dense_rank)
                hit.matched_via.append(self._via(pid, lang))
        if mode in ("hybrid", "lexical"):
            lexical = self.index.lexical.get(q.lang)
            runs = [(q.searched_tokens, w.lexical if mode == "hybrid" else 1.0)]
            if q.searched_expansion:
                runs.append((q.searched_expansion, w.expansion))
            for tokens, weight in runs:
                rank = 0
                seen: set[str] = set()
                for entry_id, _score in (lexical.search(tokens, pool) if lexical else []):
                    pid, lang = entry_id.rsplit(":", 1)
                    if pid in seen:
                        continue
                    seen.add(pid)
                    hit = hits.setdefault(pid, Hit(pid, 0.0))
                    if hit.lexical_rank is None or hit.lexical_rank > rank:
                        hit.lexical_rank = rank
                    hit.score += weight / (RRF_K + rank)
                    rank += 1
                    hit.matched_via.append(self._via(pid, lang))
            if mode == "hybrid" and q.lang in self.gaps:
                self._untranslated(q, hits, w, pool, sum(weight for _, weight in runs))
        ranked = sorted(hits.values(), key=lambda h: (-h.score, self.index.passages[h.passage_id].order))
        if mode == "hybrid" and self.bank is not None and ranked:
            ranked = self._rerank(q, ranked)
        ranked = self._collapse_twins(ranked, q.lang)
        if q.documents:  # asked within named documents: theirs first, in the same order (the sort is stable)
            ranked.sort(key=lambda h: self.index.passages[h.passage_id].document not in q.documents)
        for h in ranked:
            h.matched_via = list(dict.fromkeys(h.matched_via))
        return ranked[:k]

    def _untranslated(self, q: Query, hits: dict[str, Hit], w: Weights, pool: int, lexical_weight: float) -> None:
        """The lexical side for passages with no text in the question's language, which its index cannot
        hold: their lexical vote is imputed from their dense rank (missing by design, not unmatched), and
        the question's crossing tokens are searched in the passage's own language."""
        readable = {pid: self.index.passages[pid].has_text_in(q.lang) for pid in hits}
        imputed = lexical_weight * min(1.0, w.dense)  # a dense rank the model is not trusted on says less
        for hit in hits.values():
            if hit.dense_rank is not None and not readable[hit.passage_id]:
                hit.score += imputed / (RRF_K + hit.dense_rank)
        for other, tokens in q.crossing.items():
            rank = 0
            for entry_id, _score in self.index.lexical[other].search(tokens, pool) if tokens else ():
                pid, lang = entry_id.rsplit(":", 1)
                if self.index.passages[pid].has_text_in(q.lang):
                    continue
                hit = hits.setdefault(pid, Hit(pid, 0.0))
                hit.score += w.expansion / (RRF_K + rank)
                rank += 1
                hit.matched_via.append(self._via(pid, lang))

    def _rerank(self, q: Query, ranked: list[Hit]) -> list[Hit]:
        """Re-score the head of the fused list by its best single sentence: a passage whose one sentence
        answers the question beats a long one that mentions its words here and there."""
        assert self.bank is not None
        head, tail = ranked[:RERANK_DEPTH], ranked[RERANK_DEPTH:]
        top = head[0].score
        wanted = WantedByLanguage(self.bank, set(q.searched_tokens), q.context)  # by the language the passage is read in
        for hit in head:
            p = self.index.passages[hit.passage_id]
            lang = p.read_in(q.lang)
            cos_weight = q.sentence_cos if lang == q.lang else q.across_cos
            best = 0.0
            for s in self.bank.sentences(p, lang):
                cos = self.bank.rescale(float(s.vector @ q.vector)) if s.vector is not None else 0.0
                best = max(best, cos_weight * cos + (1 - cos_weight) * wanted[lang].overlap(s.tokens))
            hit.score = hit.score / top + RERANK_WEIGHT * best
        head.sort(key=lambda h: (-h.score, self.index.passages[h.passage_id].order))
        return head + tail

    def _collapse_twins(self, ranked: list[Hit], lang: str) -> list[Hit]:
        """A paragraph of a published translation and its source say the same thing: keep one of the
        two, at the better rank: the one in the question's language, else the source."""
        out: list[Hit] = []
        at: dict[str, int] = {}
        for hit in ranked:
            twin = self.twins.get(hit.passage_id)
            if twin is None or twin.passage_id not in at:
                at[hit.passage_id] = len(out)
                out.append(hit)
                continue
            kept = out[at[twin.passage_id]]
            kept_lang = self.index.passages[kept.passage_id].language
            hit_lang = self.index.passages[hit.passage_id].language
            if kept_lang != lang and (hit_lang == lang or not twin.passage_is_source):  # twin: the kept one
                at[hit.passage_id] = at[kept.passage_id]
                kept.passage_id = hit.passage_id
            kept.matched_via.extend(hit.matched_via)
        return out

    def _via(self, passage_id: str, lang: str) -> str:
        return "original" if self.index.passages[passage_id].language == lang else f"translation:{lang}"


@dataclass(frozen=True)
class Twin:
    passage_id: str  # the other passage of the pair
    passage_is_source: bool  # False: the other passage is the published translation


def twin_passages(index: Index) -> dict[str, Twin]:
    """Pairs of passages where one document is a published translation of the other (the manifest's
    ``translation_of``; ingest links them paragraph for paragraph, each holding the other's text)."""
    sources = {d["id"]: d.get("translation_of") for d in index.extra("documents", [])}  # type: ignore[union-attr]
    by_text = {(p.document, p.text): p.passage_id for p in index.ordered}
    twins: dict[str, Twin] = {}
    for p in index.ordered:
        source = sources.get(p.document)
        if not source:
            continue
        for tr in p.translations.values():
            other = by_text.get((tr.origin, tr.text)) if tr.origin == source else None
            if other is not None:
                twins[p.passage_id] = Twin(other, passage_is_source=True)
                twins[other] = Twin(p.passage_id, passage_is_source=False)
    return twins


def document_names(documents: list[dict]) -> Glossary:
    """The manifest's ``called`` names as glossary entries, one per name (so a match says which name was
    used), each standing for its document and the document's published translations (which share their
    source's names)."""
    family: dict[str, set[str]] = {d["id"]: {d["id"]} for d in documents}
    for d in documents:
        if d.get("translation_of") in family:
            family[d["translation_of"]].add(d["id"])
            family[d["id"]].add(d["translation_of"])
    return Glossary([{lang: [name], "documents": sorted(family[d["id"]]), "naming": tokenize(name, lang)}
                     for d in documents for lang, names in (d.get("called") or {}).items() for name in names])


_SAYING = {lang: frozenset(tokenize(words, lang)) for lang, words in {
    "fr": "dit disent mentionne mentionnent évoque indique",
    "en": "say says said mention mentions",
    "ar": "تقول يقول تذكر يذكر",
}.items()}


def _unique(tokens: list[str]) -> list[str]:
    return list(dict.fromkeys(tokens))


class HybridRetriever(BaseRetriever):
    """The same search behind LangChain's retriever interface (used by the LLM chain)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    searcher: HybridSearcher
    lang: str = "fr"
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        q = self.searcher.prepare(query, self.lang)
        out = []
        for hit in self.searcher.search(q, self.k):
            p = self.searcher.index.passages[hit.passage_id]
            out.append(Document(page_content=p.text_in(self.lang), metadata={
                "passage_id": p.passage_id, "document": p.document, "section": p.section, "score": hit.score}))
        return out
