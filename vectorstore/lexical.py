"""BM25 over stemmed tokens (bm25s + PyStemmer), one index per language.

Every passage is indexed in each language it exists in (original or translation), so a question is
matched against text in its own language: French stems against French text, Arabic against Arabic.
Chroma's embedded mode has no lexical search, hence this module.
"""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
from bm25s.selection import topk

from vectorstore.text import tokenize


class LexicalIndex:
    def __init__(self, language: str, entry_ids: list[str], retriever: bm25s.BM25, vocab: set[str]) -> None:
        self.language = language
        self.entry_ids = entry_ids
        self._bm25 = retriever
        self._vocab = vocab

    @classmethod
    def build(cls, language: str, entry_ids: list[str], texts: list[str]) -> "LexicalIndex":
        corpus_tokens = [tokenize(t, language) or ["_empty_"] for t in texts]
        retriever = bm25s.BM25(method="lucene")
        retriever.index(corpus_tokens, show_progress=False)
        vocab = {tok for toks in corpus_tokens for tok in toks}
        return cls(language, entry_ids, retriever, vocab)

    def search(self, query_tokens: list[str], k: int) -> list[tuple[str, float]]:
        tokens = [t for t in query_tokens if t in self._vocab]
        if not tokens or not self.entry_ids:
            return []
        k = min(k, len(self.entry_ids))
        # What `retrieve` does for one query, without its per-call progress bar and batching.
        scores, docs = topk(self._bm25.get_scores(tokens), k=k, backend="numpy", sorted=True)
        return [(self.entry_ids[int(d)], float(s)) for d, s in zip(docs, scores) if s > 0]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder / "bm25"))
        (folder / "entries.json").write_text(
            json.dumps({"language": self.language, "entry_ids": self.entry_ids, "vocab": sorted(self._vocab)}),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        meta = json.loads((folder / "entries.json").read_text(encoding="utf-8"))
        retriever = bm25s.BM25.load(str(folder / "bm25"))
        return cls(meta["language"], meta["entry_ids"], retriever, set(meta["vocab"]))


def idf_weights(token_lists: list[list[str]]) -> dict[str, float]:
    """Inverse document frequency of each token over a collection (used to weigh sentence overlap)."""
    n = len(token_lists)
    df: dict[str, int] = {}
    for toks in token_lists:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    return {t: float(np.log(1 + (n - c + 0.5) / (c + 0.5))) for t, c in df.items()}
