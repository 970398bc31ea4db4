"""Stage 2, retrieve: the frame's question → ranked passages (``assistant/retrieval.py`` does the
hybrid search). A comparison is searched side by side: each side's passages, not whichever side the
question's words favour; two named documents are two sides."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from assistant.errors import InvalidQueryError
from assistant.lang import pack
from assistant.pipeline.frame import Frame, document_label
from assistant.retrieval import Hit, HybridSearcher, Query
from vectorstore.text import detect_language, tokenize

POOL = 60  # the aid cards and the assembler rank on the whole pool
TOP = 8  # what the answer reads first


@dataclass
class Side:
    label: str
    query: Query
    hits: list[Hit]
    document: str = ""  # a side that is a named document: found when it has passages
    found: bool = False  # a side that is a heading of the documents ("المحور الأول"): found by structure


@dataclass
class Retrieval:
    query: Query
    pool: list[Hit]
    sides: list[Side] = field(default_factory=list)

    @property
    def hits(self) -> list[Hit]:
        return self.pool[:TOP]


class Retriever:
    def __init__(self, searcher: HybridSearcher) -> None:
        self.searcher = searcher

    def query(self, text: str, lang: str, context: str = "") -> Query:
        q = self.searcher.prepare(text, lang, context)
        if not q.tokens:
            raise InvalidQueryError("the question has only common words (stopwords); name what you are looking for")
        return q

    def __call__(self, frame: Frame) -> Retrieval:
        text = frame.topic if frame.topic and any(ch.isalpha() for ch in frame.topic) else frame.asked
        try:
            q = self.query(text, frame.language, frame.context)
        except InvalidQueryError:  # "Résume" alone: nothing but the cue
            q = self.query(frame.asked, frame.language, frame.context)
        q = switched(q, frame)
        retrieval = Retrieval(q, self.searcher.search(q, POOL))
        if frame.intent == "comparison":
            retrieval.sides = self.sides(frame, q)
        return retrieval

    def sides(self, frame: Frame, q: Query) -> list[Side]:
        """Each side searched on its own: when the question names two documents, the question within
        each; else a named side by its name (with the question's other words as lighter context), in
        the language it is written in ("ما الفرق بين la loi sur le prix du livre و…")."""
        info = {d["id"]: d for d in self.searcher.index.extra("documents", [])}  # type: ignore[union-attr]
        sources = sorted(d for d in q.documents if info.get(d, {}).get("translation_of") not in q.documents)
        if len(sources) >= 2:
            out = []
            for document in sources:
                side_q = replace(q, documents=frozenset({document}))
                hits = [h for h in self.searcher.search(side_q, 30)
                        if self.searcher.index.passages[h.passage_id].document == document][:6]
                # named as the asker names it ("صفحة المفوضية الأوروبية"), else by its title
                out.append(Side(document_label(info, document, frame.language), side_q, hits, document))
            return out
        out = []
        if len(frame.targets) == 2:
            cues = pack(frame.language).asking_tokens  # tokens, as the words they are compared with
            named = set(tokenize(" ".join(frame.targets), frame.language))
            rest = " ".join(w for w in tokenize(frame.asked, frame.language) if w not in named and w not in cues)
            for target in frame.targets:
                lang = detect_language(target, default=frame.language)
                try:
                    side = self.searcher.prepare(target, lang, rest if lang == frame.language else "")
                except Exception:  # a side of stopwords only: no side
                    continue
                if side.tokens:
                    out.append(Side(target, side, self.searcher.search(side, 12)))
        return out


def switched(q: Query, frame: Frame) -> Query:
    """A follow-up that swaps the subject of the earlier question ("Et pour la musique ?" after "Quelles
    aides du CNC pour la création numérique ?") is searched as the rewritten question, but the words only
    the earlier question brings ("CNC", "aides") weigh as context, below the message's own ("musique").
    Any other question: ``q`` as it is."""
    if frame.relation != "switch":
        return q
    own = frozenset(tokenize(frame.message, q.lang))
    carried = frozenset(q.tokens) - own
    return replace(q, context=q.context | carried) if own and carried else q
