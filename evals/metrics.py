"""What is measured on each gold question, and how the measures add up per split, language and slice.

Every comparison of text goes through :func:`vectorstore.text.fold` (case, accents, apostrophes and
whitespace ignored), on both sides. A measure that does not apply to a question (hit@k for an off-topic
question, key facts for a question without facts) is ``None`` and left out of that measure's N.

A question is *declined* when the assistant abstained or answered without citing anything (a message
that is only an injection gets a reply saying what the assistant can do, with no citation): the whole-answer
measures (complete answers, precision, answerable / unanswerable declined) read it so, while the older
off-topic declined and wrongly declined read ``abstained`` alone and are kept as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from evals.gold import INTENTS, LANGUAGES, SLICES
from vectorstore.text import fold

OURS = "ours"  # the system under evaluation; baselines get other names
MRR_DEPTH = 10
AID_K = 5
GROUP_ORDER = ("overall", *(f"language:{x}" for x in LANGUAGES), *(f"slice:{x}" for x in SLICES),
               *(f"intent:{x}" for x in INTENTS))

# --- one question --------------------------------------------------------------------------------------


def contains_any(text: str | None, evidence: Iterable[str]) -> bool:
    if not text:
        return False
    hay = fold(text)
    return any(fold(e) in hay for e in evidence)


def first_hit_rank(texts: Sequence[str], evidence: Sequence[str], depth: int = MRR_DEPTH) -> int | None:
    """1-based rank of the first text holding any evidence string, within ``depth``; None if none does."""
    for i, text in enumerate(texts[:depth], start=1):
        if contains_any(text, evidence):
            return i
    return None


def hit_at(rank: int | None, k: int) -> bool:
    return rank is not None and rank <= k


def reciprocal_rank(rank: int | None, depth: int = MRR_DEPTH) -> float:
    return 1.0 / rank if rank is not None and rank <= depth else 0.0


def fact_present(answer: str, fact: str) -> bool:
    """``fact`` may hold alternatives separated by ``|``: any one of them counts."""
    hay = fold(answer)
    return any(fold(alt) in hay for alt in fact.split("|") if fold(alt))


def key_fact_coverage(answer: str, facts: Sequence[str]) -> float | None:
    if not facts:
        return None
    return sum(fact_present(answer, f) for f in facts) / len(facts)


def missing_facts(answer: str, facts: Sequence[str]) -> list[str]:
    """The facts the answer does not state: an answer is complete when this is empty."""
    return [f for f in facts if not fact_present(answer, f)]


def under_section(path: str, sections: Iterable[str]) -> bool:
    """True when a passage's section path (its headings joined by `` › ``) holds one of ``sections``."""
    hay = fold(path)
    return bool(hay) and any(fold(s) in hay for s in sections if fold(s))


def on_evidence(texts: Iterable[str | None], section: str, evidence: Sequence[str], sections: Sequence[str]) -> bool:
    """A cited passage backs an answer sentence when its text (or translation) holds an evidence string, or
    it lies under one of the gold's sections."""
    return cites_evidence(texts, evidence) or under_section(section, sections)


def cites_evidence(cited_texts: Iterable[str | None], evidence: Sequence[str]) -> bool:
    """True when one cited text (a citation's original ``text`` or its ``translation``) holds the evidence."""
    return any(contains_any(t, evidence) for t in cited_texts)


_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def markers(answer: str) -> list[int]:
    """Every citation number in ``[n]``, ``[n, m]`` or ``[n][m]`` markers, in order."""
    return [int(n) for group in _MARKER.findall(answer) for n in re.split(r"\s*[,;]\s*", group)]


def dangling_markers(answer: str, citation_numbers: Iterable[int]) -> int:
    known = set(citation_numbers)
    return sum(1 for n in markers(answer) if n not in known)


def refusal_correct(abstained: bool, answerable: bool) -> bool:
    return abstained == (not answerable)


# The eval's own language check, independent of the assistant's detector: script first, then words that
# are frequent in one of French and English and rare in the other.
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f]")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[a-z]+")
_FR_WORDS = frozenset(
    "le la les des du de et est sont une un dans pour par avec sur qui que aux au ce cette ces il elle ils "
    "en ne pas ou son sa ses leur leurs nous vous aussi notamment afin ainsi depuis entre lors".split()
)
_EN_WORDS = frozenset(
    "the of and is are an in for with on by to that this which from as be it its their was were has have "
    "also such through within between since these those or not".split()
)


def answer_language(text: str) -> str | None:
    """``ar``, ``fr`` or ``en`` for a text of some length; None when nothing tells (no letters)."""
    text = _MARKER.sub(" ", text)
    letters = _LETTER.findall(text)
    if not letters:
        return None
    if len(_ARABIC_LETTER.findall(text)) >= 0.4 * len(letters):
        return "ar"
    words = _WORD.findall(fold(text))
    fr = sum(w in _FR_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if fr == en == 0:
        return None
    return "fr" if fr > en else "en"


# --- records -------------------------------------------------------------------------------------------


@dataclass
class Retrieved:
    """What one system returned for one question."""

    rank: int | None  # first evidence-holding result, 1-based, within MRR_DEPTH
    lengths: list[int]  # characters of each of the top-k returned texts
    top: list[str] = field(default_factory=list)  # labels of the first results, for the report
    error: str | None = None


@dataclass
class Answered:
    """What the assistant answered, reduced to what is measured."""

    answer: str
    abstained: bool
    standalone: str
    key_facts: float | None
    cited_evidence: bool
    language: str | None
    dangling: int
    error: str | None = None
    uncited: bool = False  # an answer that cites nothing: declined, for the whole-answer measures
    missing_facts: list[str] | None = None  # None when the question has no answer facts (or is off-topic)
    sentences: int = 0  # answer sentences of an answered answerable question…
    precise: int = 0  # …and how many cite a passage holding the evidence or under a gold section

    @property
    def declined(self) -> bool:
        return self.abstained or self.uncited


@dataclass
class QuestionResult:
    id: str
    question: str
    language: str
    split: str
    slices: list[str]
    answerable: bool
    retrieval: dict[str, Retrieved] = field(default_factory=dict)
    answer: Answered | None = None
    intent: str = "factoid"


@dataclass
class AidResult:
    id: str
    profile: str
    language: str
    split: str
    expected: list[str]
    returned: list[str]
    error: str | None = None

    slices: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        """The share of the expected cards among the first ``AID_K`` (none for a profile no card fits)."""
        if not self.expected:
            return None
        top = set(self.returned[:AID_K])
        return sum(e in top for e in self.expected) / len(self.expected)

    @property
    def precision(self) -> float | None:
        """The share of the first ``AID_K`` cards returned that are expected (0 when none is returned
        for a profile some card fits; none for a profile no card fits)."""
        if not self.expected:
            return None
        top = self.returned[:AID_K]
        return sum(r in self.expected for r in top) / len(top) if top else 0.0

    @property
    def none(self) -> float | None:
        """For a profile no card fits: 1 when the list is empty (an honest "none")."""
        return float(not self.returned) if not self.expected else None


class Record(Protocol):
    language: str
    split: str
    slices: list[str]


# --- measures over records -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pooled:
    """A per-question share to pool with the others' (``hits`` of ``total``), rather than to average."""

    hits: int
    total: int


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    # (record, system) -> per-question value or None; a Pooled for how="pooled"
    value: Callable[[object, str], float | Pooled | None]
    how: Literal["mean", "sum", "pooled"] = "mean"
    higher_is_better: bool = True
    answer_metric: bool = False  # measured on the assistant's answer (ours only), not per retriever


def _retrieved(r: object, system: str) -> Retrieved | None:
    assert isinstance(r, QuestionResult)
    return r.retrieval.get(system) if r.answerable else None


def _hit_metric(k: int) -> Metric:
    def value(r: object, system: str) -> float | None:
        got = _retrieved(r, system)
        return None if got is None else float(hit_at(got.rank, k))

    return Metric(f"hit@{k}", f"hit@{k}", value)


def _mrr(r: object, system: str) -> float | None:
    got = _retrieved(r, system)
    return None if got is None else reciprocal_rank(got.rank)


def _passage_chars(r: object, system: str) -> float | None:
    assert isinstance(r, QuestionResult)
    got = r.retrieval.get(system)
    if got is None or not got.lengths:
        return None
    return sum(got.lengths) / len(got.lengths)


def _answered(r: object) -> tuple[QuestionResult, Answered] | None:
    assert isinstance(r, QuestionResult)
    return (r, r.answer) if r.answer is not None else None


def _key_facts(r: object, _s: str) -> float | None:
    got = _answered(r)
    return None if got is None or not got[0].answerable else got[1].key_facts


def _cited(r: object, _s: str) -> float | None:
    got = _answered(r)
    return None if got is None or not got[0].answerable else float(got[1].cited_evidence)


def _language_ok(r: object, _s: str) -> float | None:
    got = _answered(r)
    if got is None or not got[1].answer.strip():
        return None
    return float(got[1].language == got[0].language)


def _declined(answerable: bool, how: Callable[[Answered], bool]) -> Callable[[object, str], float | None]:
    """Whether an answerable (or an off-topic) question was declined, as ``how`` reads an answer."""

    def value(r: object, _s: str) -> float | None:
        got = _answered(r)
        return None if got is None or got[0].answerable != answerable else float(how(got[1]))

    return value


def _abstained(a: Answered) -> bool:
    return a.abstained


def _declined_or_uncited(a: Answered) -> bool:
    return a.declined


def _refusal_accuracy(r: object, _s: str) -> float | None:
    got = _answered(r)
    return None if got is None else float(refusal_correct(got[1].abstained, got[0].answerable))


def _complete(r: object, _s: str) -> float | None:
    got = _answered(r)
    if got is None or not got[0].answerable or got[1].missing_facts is None:
        return None
    return float(not got[1].declined and not got[1].missing_facts)


def _precision(r: object, _s: str) -> Pooled | None:
    got = _answered(r)
    if got is None or not got[0].answerable or got[1].declined:
        return None
    return Pooled(got[1].precise, got[1].sentences)


def _dangling(r: object, _s: str) -> float | None:
    got = _answered(r)
    return None if got is None else float(got[1].dangling)


def _aid(name: str):  # type: ignore[no-untyped-def]
    def measure(r: object, _s: str) -> float | None:
        assert isinstance(r, AidResult)
        return getattr(r, name)
    return measure


def retrieval_metrics(k: int) -> list[Metric]:
    ks = sorted({1, 3, 5, MRR_DEPTH, k})
    return [
        *(_hit_metric(x) for x in ks),
        Metric("mrr@10", "MRR@10", _mrr),
        Metric("passage_chars", "mean passage chars", _passage_chars, higher_is_better=False),
    ]


ANSWER_METRICS = [
    Metric("key_facts", "key facts", _key_facts, answer_metric=True),
    Metric("cited_evidence", "cites evidence", _cited, answer_metric=True),
    Metric("answer_language", "answer language", _language_ok, answer_metric=True),
    Metric("declined_offtopic", "off-topic declined", _declined(False, _abstained), answer_metric=True),
    Metric("wrongly_declined", "wrongly declined", _declined(True, _abstained), higher_is_better=False, answer_metric=True),
    Metric("refusal_accuracy", "refusal accuracy", _refusal_accuracy, answer_metric=True),
    Metric("dangling_markers", "dangling [n]", _dangling, how="sum", higher_is_better=False, answer_metric=True),
    Metric("complete_answers", "complete answers", _complete, answer_metric=True),
    Metric("precision", "precision", _precision, how="pooled", answer_metric=True),
    Metric("unanswerable_declined", "unanswerable declined", _declined(False, _declined_or_uncited), answer_metric=True),
    Metric("answerable_declined", "answerable declined", _declined(True, _declined_or_uncited), higher_is_better=False,
           answer_metric=True),
]
AID_METRICS = [Metric(f"recall@{AID_K}", f"recall@{AID_K}", _aid("recall")),
               Metric(f"precision@{AID_K}", f"precision@{AID_K}", _aid("precision")),
               Metric("none_accuracy", "no-match profiles answered none", _aid("none"))]


# --- aggregation ---------------------------------------------------------------------------------------

# {"value": float | None, "n": int}; n counts questions, or sentences for a pooled measure
Value = dict[str, float | int | None]
# {"n": int, "metrics": {system: {metric: Value}}}
GroupSummary = dict[str, object]


def groups_of(record: Record) -> list[str]:
    intent = getattr(record, "intent", None)  # gold questions have one, aid profiles do not
    return ["overall", f"language:{record.language}", *(f"slice:{s}" for s in record.slices),
            *([f"intent:{intent}"] if intent else [])]


def aggregate(values: Iterable[float | Pooled | None], how: str) -> Value:
    present = [v for v in values if v is not None]
    if how == "pooled":
        pooled = [v for v in present if isinstance(v, Pooled)]
        total = sum(p.total for p in pooled)
        return {"value": sum(p.hits for p in pooled) / total if total else None, "n": total}
    numbers = [float(v) for v in present if not isinstance(v, Pooled)]
    if not numbers:
        return {"value": None, "n": 0}
    return {"value": sum(numbers) if how == "sum" else sum(numbers) / len(numbers), "n": len(numbers)}


def _group_order(name: str) -> tuple[int, str]:
    return (GROUP_ORDER.index(name) if name in GROUP_ORDER else len(GROUP_ORDER), name)


def summarize(records: Sequence[Record], metrics: Sequence[Metric], systems: Sequence[str]) -> dict[str, dict[str, GroupSummary]]:
    """``{split: {group: {"n", "metrics": {system: {metric: {"value", "n"}}}}}}``; ``all`` when several splits."""
    splits = sorted({r.split for r in records})
    selections = [(s, [r for r in records if r.split == s]) for s in splits]
    if len(splits) > 1:
        selections.append(("all", list(records)))
    out: dict[str, dict[str, GroupSummary]] = {}
    for split, recs in selections:
        grouped: dict[str, list[Record]] = {}
        for r in recs:
            for g in groups_of(r):
                grouped.setdefault(g, []).append(r)
        out[split] = {}
        for g in sorted(grouped, key=_group_order):
            members = grouped[g]
            per_system: dict[str, dict[str, Value]] = {}
            for system in systems:
                chosen = [m for m in metrics if not m.answer_metric or system == OURS]
                per_system[system] = {m.name: aggregate((m.value(r, system) for r in members), m.how) for m in chosen}
            out[split][g] = {"n": len(members), "metrics": per_system}
    return out
