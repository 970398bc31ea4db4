"""Synthetic corpora made from the real one: no downloads, no model.

A synthetic passage is 2 to 5 sentences drawn at random from every sentence the real corpus has in one
language (originals and translations), under the document, title and section of a real passage of that
language. Languages are drawn in the proportions of the real corpus's indexed entries. Each synthetic
passage exists in one language only, so it is one index entry (a real passage is three: its original
and two translations).

Its vector is not computed by the model (embedding 100k passages with MiniLM on 2 cores would take
most of an hour): it is the mean of the real model's cached vectors of its sentences, renormalised
(:class:`DerivedEncoder`). Vectors made that way cluster like real ones, but they are not what the model
would give; latency and memory depend on the number and size of vectors, not on their exact values.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import numpy as np

from vectorstore.index import VectorCache
from vectorstore.models import Passage
from vectorstore.text import content_hash, sentences


def entry_languages(passages: list[Passage]) -> Counter[str]:
    """How many index entries the real corpus has per language (originals and translations)."""
    return Counter(lang for p in passages for lang in [p.language, *p.translations])


def sentence_pools(passages: list[Passage], known: VectorCache | None = None) -> dict[str, list[str]]:
    """Every distinct body sentence per language (with a cached vector, when ``known`` is given)."""
    pools: dict[str, dict[str, None]] = defaultdict(dict)
    whole = {p.text_in(lang) for p in passages for lang in [p.language, *p.translations]}
    for p in passages:
        if p.kind == "heading":
            continue
        for lang in [p.language, *p.translations]:
            for s in p.sentences_in(lang):
                # A sentence that is a whole passage would make a synthetic passage equal to a real one
                # (headings resolve section paths by their text).
                if s not in whole and (known is None or known.get(s) is not None):
                    pools[lang][s] = None
    return {lang: list(pool) for lang, pool in pools.items()}


def synthetic_passages(real: list[Passage], n: int, seed: int = 0,
                       known: VectorCache | None = None) -> list[Passage]:
    """``n`` passages of shuffled real sentences, deterministic for a ``seed``.

    Sentences are kept only when the passage splits back into exactly them, so that every sentence the
    index stores is a real sentence with a cached vector."""
    rng = random.Random(seed)
    pools = sentence_pools(real, known)
    weights = entry_languages(real)
    langs = [lang for lang in sorted(weights) if pools.get(lang)]
    lang_weights = [weights[lang] for lang in langs]
    templates = {lang: [p for p in real if p.language == lang and p.kind != "heading"] for lang in langs}
    order = max((p.order for p in real), default=0) + 1
    out = []
    for i in range(n):
        lang = rng.choices(langs, lang_weights)[0]
        template = rng.choice(templates[lang]) if templates[lang] else None
        chosen: list[str] = []
        for s in rng.sample(pools[lang], min(len(pools[lang]), rng.randint(2, 5))):
            if sentences(" ".join([*chosen, s])) == [*chosen, s]:
                chosen.append(s)
        if not chosen:
            chosen = [pools[lang][rng.randrange(len(pools[lang]))]]
        text = " ".join(chosen)
        out.append(Passage(
            passage_id=content_hash("synthetic", str(seed), str(i)), document=template.document if template else "synthetic",
            title=template.title if template else "Synthetic", language=lang,
            section=template.section if template else "", kind="paragraph", text=text, start=0, end=len(text),
            order=order + i,
        ))
    return out


class DerivedEncoder:
    """An encoder without a model: the mean of the cached vectors of a text's sentences, renormalised.

    The header line of an index entry ("section › sub-section") is split into its headings, which are
    real passages with cached vectors. A text with no known sentence gets a pseudo-random unit vector
    seeded by its hash (``misses`` counts them)."""

    def __init__(self, known: VectorCache, model_name: str) -> None:
        self.known = known
        self.model_name = model_name  # the real model's: the build then reuses its cached vectors
        self.misses = 0
        self.encoded = 0

    @property
    def dimension(self) -> int:
        return int(self.known.matrix.shape[1])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            parts = [s for line in text.split("\n") for piece in line.split(" › ") for s in sentences(piece)]
            vectors = [v for v in (self.known.get(s) for s in parts) if v is not None]
            if vectors:
                v = np.mean(vectors, axis=0)
            else:
                self.misses += 1
                v = np.random.default_rng(int(content_hash(text), 16)).standard_normal(self.dimension)
            out[row] = v / max(float(np.linalg.norm(v)), 1e-12)
        self.encoded += len(texts)
        return out
