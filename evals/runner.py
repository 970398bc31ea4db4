"""Run the gold sets through the assistant and the baselines, and reduce every response to measures.

The assistant is passed in (anything with ``answer``, ``search`` and ``search_aids`` shaped like
``assistant.service.Assistant``), so tests run the same code with a small fake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import AssistantError
from assistant.schemas import Turn
from evals import metrics as m
from evals.baselines import Retriever
from evals.gold import AidItem, CorpusText, QAItem, slices_of
from vectorstore.text import fold

Progress = Callable[[int], None]


@dataclass
class EvalRun:
    k: int
    split: str
    systems: list[str]
    questions: list[m.QuestionResult] = field(default_factory=list)
    aids: list[m.AidResult] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # gold files, build id, baseline sizes…

    def qa_summary(self) -> dict[str, dict[str, m.GroupSummary]]:
        return m.summarize(self.questions, [*m.retrieval_metrics(self.k), *m.ANSWER_METRICS], self.systems)

    def aid_summary(self) -> dict[str, dict[str, m.GroupSummary]]:
        return m.summarize(self.aids, m.AID_METRICS, [m.OURS])


def retrieve(retriever: Retriever, query: str, evidence: Sequence[str], k: int,
             history: Sequence[Turn] = ()) -> m.Retrieved:
    try:
        got = retriever.retrieve(query, max(k, m.MRR_DEPTH), history)
    except AssistantError as exc:
        return m.Retrieved(rank=None, lengths=[], error=str(exc))
    texts = [text for _, text in got]
    return m.Retrieved(
        rank=m.first_hit_rank(texts, evidence) if evidence else None,
        lengths=[len(t) for t in texts[:k]],
        top=[label for label, _ in got[:3]],
    )


def answer(assistant: Any, item: QAItem) -> m.Answered:
    """Reads of the response: ``answer``, ``abstained``, ``standalone_question``, ``citations`` (``n``,
    ``text``, ``translation``, ``section``) and ``sentences`` (``citations``: numbers of ``citations``)."""
    history = item.turns()
    facts = item.answer_facts if item.answerable and item.answer_facts else None
    try:
        resp = assistant.answer(item.question, history=history, lang=None)
    except AssistantError as exc:
        # A question the assistant refuses to take (a clear error) is declined, and the error is shown.
        return m.Answered(answer="", abstained=True, standalone=item.question, key_facts=0.0 if item.answer_facts else None,
                          cited_evidence=False, language=None, dangling=0, error=str(exc),
                          missing_facts=list(facts) if facts else None)
    cited = [t for c in resp.citations for t in (c.text, c.translation)]
    got = m.Answered(
        answer=resp.answer,
        abstained=bool(resp.abstained),
        standalone=resp.standalone_question or item.question,
        key_facts=None if not item.answer_facts else (0.0 if resp.abstained else m.key_fact_coverage(resp.answer, item.answer_facts)),
        cited_evidence=not resp.abstained and m.cites_evidence(cited, item.evidence),
        language=m.answer_language(resp.answer),
        dangling=m.dangling_markers(resp.answer, [c.n for c in resp.citations]),
        uncited=not resp.citations,
    )
    if facts:
        got.missing_facts = list(facts) if got.declined else m.missing_facts(resp.answer, facts)
    if item.answerable and not got.declined:
        by_number = {c.n: c for c in resp.citations}
        got.sentences = len(resp.sentences)
        got.precise = sum(
            any(m.on_evidence((c.text, c.translation), c.section, item.evidence, item.sections)
                for c in (by_number.get(n) for n in s.citations) if c is not None)
            for s in resp.sentences
        )
    return got


def run_questions(
    items: Sequence[QAItem],
    corpus: CorpusText,
    assistant: Any,
    ours: Retriever,
    baselines: Sequence[Retriever],
    k: int,
    progress: Progress | None = None,
) -> list[m.QuestionResult]:
    """Each question is answered, then searched: by ours and the assistant's own baselines with its
    conversation, as the chat searches it (a follow-up with its earlier question as context), by the
    LangChain recipe with the question as asked (the plain recipe has no conversation)."""
    out = []
    for item in items:
        result = m.QuestionResult(item.id, item.question, item.language, item.split, slices_of(item, corpus),
                                  item.answerable, intent=item.intent)
        result.answer = answer(assistant, item)
        history = item.turns()
        for retriever in (ours, *baselines):
            turns = [] if retriever.name == "langchain" else history
            result.retrieval[retriever.name] = retrieve(retriever, item.question, item.evidence, k, turns)
        out.append(result)
        if progress:
            progress(1)
    return out


def _aid_id(card: Any) -> str:
    return str(card["id"] if isinstance(card, dict) else card.id)


def run_aids(items: Sequence[AidItem], assistant: Any, progress: Progress | None = None) -> list[m.AidResult]:
    out = []
    for item in items:
        try:
            resp = assistant.search_aids(item.profile, dict(item.filters), item.language)
            cards = resp["aids"] if isinstance(resp, dict) else resp.aids
            returned, error = [_aid_id(c) for c in cards], None
        except AssistantError as exc:
            returned, error = [], str(exc)
        out.append(m.AidResult(item.id, item.profile, item.language, item.split, list(item.expected), returned, error))
        if progress:
            progress(1)
    return out


def unreachable(items: Sequence[QAItem], passage_texts: Sequence[str]) -> list[str]:
    """Ids of answerable questions whose evidence no indexed passage holds (cut across a passage
    boundary, or a document ingest skipped): no retriever of ours can get them right."""
    folded = [fold(t) for t in passage_texts]
    out = []
    for item in items:
        if item.answerable and not any(fold(e) in t for e in item.evidence for t in folded):
            out.append(item.id)
    return out


def unplaced(items: Sequence[QAItem], section_paths: Sequence[str]) -> list[str]:
    """Ids of questions naming a section under which no indexed passage lies (a heading ingest reads
    differently from the line the gold quotes): a sentence citing that section could never count as on it."""
    folded = {fold(p) for p in section_paths}
    return [item.id for item in items if any(not any(fold(s) in p for p in folded) for s in item.sections)]
