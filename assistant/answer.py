"""The extractive answerer: choose the sentences that answer the question, in the asker's language,
each followed by the number of the passage it comes from; and the support check shared with the LLM
answerer.

Everything it compares was computed at ingest (sentence vectors, keyed by content) or at start-up
(sentence tokens and their idf), so an answer costs a few vector dot products on top of the search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


from assistant.retrieval import Hit, Query
from assistant.sentences import SentenceBank, SentenceInfo, WantedByLanguage
from vectorstore.models import Passage
from vectorstore.text import tokenize

LEAD_IN = {
    "fr": "D'après les documents :",
    "en": "According to the documents:",
    "ar": "وفقا للوثائق:",
}
LEAD_IN_LIST = {
    "fr": "Les documents citent notamment :",
    "en": "The documents mention in particular:",
    "ar": "تذكر الوثائق على وجه الخصوص:",
}

_LIST_QUESTION = re.compile(
    r"\bquel(?:le)?s\b|\blesquel|\b(?:les|des)\s+(?:aides|programmes|dispositifs|appels|exemples|plateformes|mesures)\b"
    r"|\b(?:which|what)\b[^?]*\b(?:grants|aids|programmes|programs|calls|schemes|platforms|measures|initiatives|"
    r"examples|actions|festivals|tools|funds|opportunities)\b|\blist\b"
    r"|ما\s+هي|أية?\s|ما\s+(?:ال)?(?:برامج|منح|مساعدات)",
    re.IGNORECASE,
)


# The nouns a list question names its items by ("quelles mesures…", "which grants…"): what kind of
# thing is asked for, not what about. A sentence sharing only them with the question ("un
# accompagnement sur mesure" for "Quelles mesures concernent l'intelligence artificielle ?") is no item.
_ITEM_NOUNS = {lang: frozenset(tokenize(words, lang)) for lang, words in {
    "fr": "aides programmes dispositifs appels exemples plateformes mesures actions initiatives outils soutiens "
          "financements subventions",
    "en": "grants aids programmes programs calls schemes platforms measures initiatives examples actions tools "
          "funds opportunities",
    "ar": "برامج منح مساعدات تدابير إجراءات مبادرات أمثلة أدوات",
}.items()}

LIST_RATIO = 0.55  # a list item must score at least this share of the best sentence
SAME_PASSAGE_RATIO = 0.4  # another sentence of the best passage joins from this share
OTHER_PASSAGE_RATIO = 0.65  # a sentence of another passage joins only when nearly as good
ENUMERATES = 0.15  # of one passage, a list question takes a sentence that enumerates ("fields: heritage, training…") by this much
_SEPARATORS = re.compile(r"[,;،؛]")


def is_list_question(text: str) -> bool:
    return bool(_LIST_QUESTION.search(text))


@dataclass
class Chosen:
    passage: Passage
    lang: str  # language of the sentence (the asker's, or the original's when no translation exists)
    sentence: SentenceInfo
    position: int
    score: float
    rank: int


def choose_sentences(bank: SentenceBank, q: Query, hits: list[Hit], as_list: bool, max_sentences: int = 4,
                     asking: frozenset[str] = frozenset()) -> list[Chosen]:
    """Score the sentences of the top passages and pick the best, without redundancy (``asking``: the
    tokens of the words that say how the question asks, "how does … support": no list is about them)."""
    wanted = WantedByLanguage(bank, set(q.searched_tokens), q.context)  # by the language the passage is read in
    candidates: list[Chosen] = []
    for rank, hit in enumerate(hits):
        p = bank.index.passages[hit.passage_id]
        if p.kind == "heading":
            continue
        lang = p.read_in(q.lang)
        cos_weight = q.sentence_cos if lang == q.lang else q.across_cos
        prior = 0.2 * (1 - rank / max(len(hits), 1))
        for pos, s in enumerate(bank.sentences(p, lang)):
            if len(s.text) < 15:
                continue
            cos = bank.rescale(float(s.vector @ q.vector)) if s.vector is not None else 0.0
            score = cos_weight * cos + (1 - cos_weight) * wanted[lang].overlap(s.tokens) + prior
            candidates.append(Chosen(p, lang, s, pos, score, rank))
    if not candidates:
        return []
    candidates.sort(key=lambda c: -c.score)
    best = candidates[0]
    chosen: list[Chosen] = []

    def take(c: Chosen) -> None:
        if c not in chosen and not any(_redundant(c.sentence, o.sentence, bank) for o in chosen):
            chosen.append(c)

    if as_list:
        # One sentence per passage: the best of each passage that answers nearly as well as the best,
        # and about what is asked, not only of the kind asked for.
        key = _key_token(bank, q, candidates, asking)
        seen: set[str] = set()
        for c in candidates:
            if len(chosen) >= max_sentences or c.score < LIST_RATIO * best.score:
                break
            if key and c.lang == q.lang and key not in c.sentence.tokens:
                continue
            if c.passage.passage_id not in seen:
                seen.add(c.passage.passage_id)
                # of the passage's sentences that answer, the one that enumerates: what a list asks for (the
                # passage holds the key word in ``c``: its other sentences need not repeat it)
                mates = [m for m in candidates if m.passage is c.passage and m.score >= LIST_RATIO * best.score]
                pick = max(mates, key=lambda m: m.score + ENUMERATES * _enumerates(m.sentence.text))
                take(pick)
                if pick not in chosen:  # said already by another passage's: the passage's best then
                    take(c)
    else:
        # The best passage speaks first and in full when short: its best sentence, the one after it
        # (a definition is often followed by its figures or purpose) and any other strong sentence.
        own = [c for c in candidates if c.passage.passage_id == best.passage.passage_id]
        for c in sorted(own, key=lambda c: c.position):
            if c is best or c.position == best.position + 1 or c.score >= SAME_PASSAGE_RATIO * best.score:
                if len(chosen) < 3:
                    take(c)
        for c in candidates:
            if len(chosen) >= max_sentences or c.score < OTHER_PASSAGE_RATIO * best.score:
                break
            take(c)
    # Read in the order of the passages, then of the sentences inside each.
    chosen.sort(key=lambda c: (c.rank, c.position))
    return chosen


def _enumerates(text: str) -> bool:
    """Whether a sentence lists things: a colon followed by two separators or more, or four separators."""
    head, colon, tail = text.partition(":")
    return len(_SEPARATORS.findall(tail)) >= 2 if colon else len(_SEPARATORS.findall(text)) >= 4


def _key_token(bank: SentenceBank, q: Query, candidates: list[Chosen], asking: frozenset[str] = frozenset()) -> str | None:
    """The most specific word of what a list question asks about (not of the kind of thing it lists)
    that the best sentence holds: every item must hold it. "Which measures concern video games?" keys
    on "game", so a sentence about video-on-demand is no item."""
    about = set(q.tokens) - _ITEM_NOUNS.get(q.lang, frozenset()) - q.naming - q.context - asking
    best = next((c for c in candidates if c.lang == q.lang), None)
    if best is None:
        return None
    ranked = sorted(about & best.sentence.tokens, key=lambda t: (-bank.weight(q.lang, t), t))  # ties by name: the same in every process
    return ranked[0] if ranked else None


def _redundant(a: SentenceInfo, b: SentenceInfo, bank: SentenceBank | None = None) -> bool:
    cos = float(a.vector @ b.vector) if a.vector is not None and b.vector is not None else 0.0
    if (bank.rescale(cos) if bank is not None else cos) > 0.92:
        return True
    union = a.tokens | b.tokens
    return bool(union) and len(a.tokens & b.tokens) / len(union) > 0.7
