"""Stage 4, decide: answer, or decline and say why.

- A structure the question names and the assembler found (a resolved heading, a named document to
  summarise or outline, a list whose count or words match, aid cards the aid finder's model says fit
  the asker) is its own evidence: answered.
- A comparison needs both sides: each side's best passage must hold what names it.
- Anything else goes to the refusal model (``assistant/refusal.py``): seven signals read from the
  frame's question (without the instructions and the preamble) and the best passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.glossary import Glossary
from assistant.pipeline.assemble import Context
from assistant.pipeline.frame import Frame
from assistant.refusal import RefusalModel, answer_check, is_calendar, lacks_kind, preamble, unknown_mass
from assistant.retrieval import Query
from assistant.sentences import CONTEXT_WEIGHT, SentenceBank, Wanted
from vectorstore.index import Index
from vectorstore.text import tokenize

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
SIDE_COVERAGE = 0.5  # a side of a comparison is found when its best passage holds this share of its name


@dataclass(frozen=True)
class Decision:
    answer: bool
    reason: str
    missing: str | None = None  # the kind of answer the passages lack, when that alone declines
    signals: dict[str, float] | None = None
    dated: bool = False  # declined for asking about a time after the documents: say how old they are


class Decider:
    def __init__(self, index: Index, bank: SentenceBank, glossary: Glossary, model: RefusalModel,
                 vocabulary: frozenset[str], embedding_languages: tuple[str, ...] | list[str],
                 last_year: int | None = None) -> None:
        self.index = index
        self.bank = bank
        self.glossary = glossary
        self.model = model
        self.vocabulary = vocabulary
        self.embedding_languages = tuple(embedding_languages)
        self.last_year = last_year  # the year of the newest document

    def __call__(self, frame: Frame, ctx: Context) -> Decision:
        hits = ctx.retrieval.hits
        if not hits:
            return Decision(False, "nothing retrieved")
        later = self.after_the_documents(frame.asked)
        if later:  # "l'édition 2025", "in 2024": documents of 2014-2022 cannot tell
            return Decision(False, f"asks about {later}, after the newest document", dated=True)
        if ctx.structure in ("outline", "summary", "list", "howto") and ctx.confident:
            return Decision(True, f"{ctx.structure} of {ctx.subject!r}")
        if ctx.structure == "comparison":
            missing = [s.label for s in ctx.retrieval.sides
                       if not (s.found or (s.hits if s.document else self._side_found(s.query, s.hits)))]
            if missing:
                return Decision(False, f"no passage about {', '.join(missing)}")
            return Decision(True, "both sides found")
        signals = self.signals(ctx.retrieval.query, hits, frame.asked)
        if self.model.answers(signals):
            return Decision(True, "refusal model", signals=signals)
        missing = None
        if lacks_kind(signals) and self.model.answers({**signals, "untyped": 0.0}):
            missing = frame.answer_kind  # declined for the kind of answer alone: say which
        return Decision(False, "refusal model", missing=missing, signals=signals)

    def after_the_documents(self, text: str) -> str | None:
        """A year the question names that is later than the newest document and that no passage names
        (a plan "pour 2030" the documents announce is theirs to tell)."""
        if self.last_year is None:
            return None
        for year in _YEAR.findall(text):
            if int(year) > self.last_year and year not in self.vocabulary:
                return year
        return None

    def _side_found(self, q: Query, hits) -> bool:
        if not hits:
            return False
        return self.coverage(q, hits, q.context) >= SIDE_COVERAGE

    # --- the refusal model's signals ----------------------------------------------------------

    def signals(self, q: Query, hits, message: str) -> dict[str, float]:
        """What the refusal model reads (see ``assistant/refusal.py``)."""
        known = self.glossary.tokens(q.terms, q.lang) | set(q.transliterated)
        reads = q.lang in self.embedding_languages
        # Words only a preamble or an earlier turn brings weigh less: the message's question is what is asked.
        before, asked = preamble(message, q.lang)
        lighter = q.context
        unknown = unknown_mass(asked, q.lang, self.vocabulary, known)
        if before:
            lighter |= frozenset(tokenize(before, q.lang)) - frozenset(tokenize(asked, q.lang))
            unknown += CONTEXT_WEIGHT * unknown_mass(before, q.lang, self.vocabulary, known)
        readable = not hits or self.index.passages[hits[0].passage_id].has_text_in(q.lang)
        return {"coverage": self.coverage(q, hits, lighter),
                "unknown": round(unknown, 4),
                "calendar": float(is_calendar(message)),
                "untyped": (self.untyped if readable else self.untyped_across)(q, hits, message, lighter),
                "similarity": self.similarity(q, hits) if reads else 0.0,
                "model_reads": float(reads),
                "brevity": round(1.0 / max(1, len(asked_tokens(q))), 4),
                # not a signal: whether the best passages can be read in the question's language, which
                # the model deciding depends on (``RefusalModel.deciding``)
                "readable": float(readable)}

    def coverage(self, q: Query, hits, lighter: frozenset[str] = frozenset()) -> float:
        """The idf-weighted share of the question's words found in one of the three best passages (an
        inflected variant sharing the stem's first four letters counts for less; a term asked by its
        acronym is found spelled out, and the other way, ``Glossary.named_in``). The words naming a
        document ("what does the roadmap say about…", here or in an earlier turn) say where to look, not
        what is asked: left out.
        The ``lighter`` words (only a preamble or an earlier turn brings them) weigh ``CONTEXT_WEIGHT`` as much."""
        wanted = Wanted(self.bank, q.lang, asked_tokens(q), context=lighter)
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
        language or the passage's own (what it asks, without the words naming a document)."""
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
        return _untyped(typed, best)

    def untyped_across(self, q: Query, hits, message: str, lighter: frozenset[str] = frozenset()) -> float:
        """``untyped`` for passages that cannot be read in the question's language: the same share, with a
        sentence's closeness to the question measured by the embedding model (above chance), since no
        word is shared."""
        holds = answer_check(message, q.lang)
        if holds is None or q.lang not in self.embedding_languages:
            return 0.0  # not observed: the model cannot tell which sentence is close
        best = typed = 0.0
        for hit in hits[:3]:
            p = self.index.passages[hit.passage_id]
            for s in self.bank.sentences(p, p.language):
                if s.vector is None:
                    continue
                close = self.bank.rescale(float(s.vector @ q.vector))
                best = max(best, close)
                if holds(s.text):
                    typed = max(typed, close)
        return _untyped(typed, best) if best else 0.0  # nothing above chance: not observed


def _untyped(typed: float, best: float) -> float:
    return round(1.0 - typed / best, 4) if best else 1.0


def asked_tokens(q: Query) -> set[str]:
    """The words a question asks about: its content words but those naming a document ("what does the
    roadmap say about…"), unless that is all it has."""
    return set(q.content_tokens) - q.naming or set(q.content_tokens)


def _match(token: str, found: frozenset[str]) -> float:
    if token in found:
        return 1.0
    if len(token) >= 4 and any(f.startswith(token[:4]) and abs(len(f) - len(token)) <= 3 for f in found):
        return 0.7
    return 0.0
