"""Stage 6, verify: every sentence an answer shows is checked against the passage it cites, in a way
that rejects a wrong citation.

- A quoted sentence (the extractive composer's) must be one of the cited passage's sentences in the
  language shown, or the passage's whole text (a heading); a translated sentence must also sit at a
  position of the translation that is aligned with a sentence of the original. Copied from passage A
  and cited as passage B, it fails.
- A written sentence (the LLM's) must be backed by what it cites: the share of its idf-weighted words
  found there, or its best cosine with the passage's sentences (``support``), at least ``MIN_SUPPORT``.
"""

from __future__ import annotations

import numpy as np

from assistant.sentences import SentenceBank, overlap
from vectorstore.models import Passage
from vectorstore.text import sentences as split_into_sentences
from vectorstore.text import tokenize

MIN_SUPPORT = 0.5


def _norm(text: str) -> str:
    return " ".join(text.split())


class Verifier:
    def __init__(self, bank: SentenceBank) -> None:
        self.bank = bank

    def quoted(self, text: str, passage: Passage, lang: str) -> float:
        """1.0 when ``text`` is quoted from ``passage`` as shown in ``lang`` (see the module), else 0.0."""
        if not passage.has_text_in(lang):
            return 0.0
        wanted = _norm(text)
        if wanted == _norm(passage.text_in(lang)):
            return 1.0
        shown = [_norm(s) for s in passage.sentences_in(lang)]
        if wanted not in shown:
            return 0.0
        if lang == passage.language:
            return 1.0
        translation = passage.translations[lang]
        if not translation.sentences:  # not aligned sentence by sentence: quoted from the translation text
            return 0.75
        source = split_into_sentences(passage.text)
        return 1.0 if shown.index(wanted) < len(source) and len(translation.sentences) == len(source) else 0.75

    def supported(self, text: str, vector: np.ndarray | None, passage: Passage, lang: str) -> float:
        """How well a written sentence is backed by ``passage``: in the language shown or the original."""
        return max(support(self.bank, text, vector, passage, lang),
                   support(self.bank, text, vector, passage, passage.language))


def support(bank: SentenceBank, sentence: str, vector: np.ndarray | None, passage: Passage, lang: str,
            tokens: frozenset[str] | None = None) -> float:
    """How well ``sentence`` is backed by ``passage`` (its text in ``lang``): the larger of the share of
    the sentence's (idf-weighted) tokens found in the passage and the best cosine with its sentences."""
    tokens = tokens if tokens is not None else frozenset(tokenize(sentence, lang))
    lexical = overlap(bank, lang, set(tokens), bank.passage_tokens(passage, lang)) if tokens else 0.0
    cos = 0.0
    if vector is not None:
        vecs = [s.vector for s in bank.sentences(passage, lang) if s.vector is not None]
        if vecs:  # above chance for this model: multilingual-e5 gives 0.75 to unrelated sentences
            cos = bank.rescale(float(np.max(np.stack(vecs) @ vector)))
    return round(max(lexical, cos), 3)
