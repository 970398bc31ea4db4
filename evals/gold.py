"""The gold sets: questions with the evidence that answers them, and professional profiles with the aids
that should come back. One JSON object per line; a bad line is reported as ``file:line: reason``.

Slices are derived, never written by hand, so they cannot drift from the data:

- ``cross-lingual``: the question's language differs from the language of every document holding its
  evidence (found by searching the corpus files of ``corpus/manifest.yaml``);
- ``off-topic``: ``answerable`` is false;
- ``follow-up``: the question comes with a conversation history;
- ``near-miss``, ``injection``, ``conversation``: the question carries that tag (a question about
  something the documents describe asking for a fact they do not give; a message that tries to give the
  assistant orders; a question written as part of a chat rather than a search).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.schemas import Turn
from evals.errors import GoldError
from vectorstore.text import fold

Language = Literal["fr", "en", "ar"]
Split = Literal["dev", "test"]
Intent = Literal["factoid", "definition", "list", "outline", "summary", "comparison", "yesno", "howto"]
Tag = Literal["injection", "near-miss", "typo", "mixed-language", "conversation"]
INTENTS: tuple[str, ...] = get_args(Intent)
TAGS: tuple[str, ...] = get_args(Tag)
TAG_SLICES = ("near-miss", "injection", "conversation")  # the tags that are also slices
SLICES = ("cross-lingual", "off-topic", "follow-up", *TAG_SLICES)
LANGUAGES: tuple[str, ...] = get_args(Language)

HERE = Path(__file__).parent
DEFAULT_QA = HERE / "gold" / "qa.jsonl"
DEFAULT_AIDS = HERE / "gold" / "aids.jsonl"


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class QAItem(BaseModel):
    """A gold question. ``evidence``: alternatives, a passage holding any one of them answers it;
    ``answer_facts``: facts the answer must state, each with ``|``-separated alternatives; ``intent``: the
    kind of answer asked for; ``sections``: heading lines of the corpus under which the answer lies (a
    cited passage under one of them is on the subject even when it holds no evidence string);
    ``tags``: what is special about the question (some make slices: ``TAG_SLICES``)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    language: Language
    question: str = Field(min_length=1)
    history: list[HistoryTurn] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    answer_facts: list[str] = Field(default_factory=list)
    answerable: bool
    split: Split
    intent: Intent = "factoid"
    sections: list[str] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)
    needs_review: bool = False
    # A dev question kept out of the refusal fit, to measure it on questions it did not see
    # (``evals calibrate``); every other measure reads it like any dev question.
    validation: bool = False
    feedback: dict[str, Any] | None = None  # provenance of a line that came from `evals feedback-export`

    def turns(self) -> list[Turn]:
        """The conversation before the question, as the assistant takes it."""
        return [Turn(role=t.role, content=t.content) for t in self.history]

    @field_validator("evidence", "answer_facts", "sections")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        if any(not fold(v) for v in values):
            raise ValueError("blank string")
        return values

    # Before pydantic's own check, whose message for a Literal lists the choices but not the culprit.
    @field_validator("intent", mode="before")
    @classmethod
    def _known_intent(cls, value: object) -> object:
        if isinstance(value, str) and value not in INTENTS:
            raise ValueError(f"unknown intent {value!r} (one of: {', '.join(INTENTS)})")
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _known_tags(cls, values: object) -> object:
        if isinstance(values, list):
            for value in values:
                if isinstance(value, str) and value not in TAGS:
                    raise ValueError(f"unknown tag {value!r} (one of: {', '.join(TAGS)})")
            if len(set(map(str, values))) < len(values):
                raise ValueError("a tag is given twice")
        return values

    @model_validator(mode="after")
    def _consistent(self) -> "QAItem":
        if self.needs_review:
            raise ValueError("candidate line still marked needs_review: fill it in and remove the flag")
        if self.answerable and not self.evidence:
            raise ValueError("an answerable question needs at least one evidence string")
        if not self.answerable and (self.evidence or self.answer_facts or self.sections):
            raise ValueError("an off-topic question has no evidence, no answer facts and no sections")
        return self


class AidItem(BaseModel):
    """A professional profile (free text, optional exact facet filters) and the aid ids expected back;
    none (``expected: []``) for a profile no aid of the documents fits, which must get an empty list."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    language: Language
    profile: str = Field(min_length=1)
    filters: dict[str, str] = Field(default_factory=dict)
    expected: list[str] = Field(default_factory=list)
    split: Split
    note: str = ""  # why these cards (or none), as the writer judged


@dataclass(frozen=True)
class Line:
    """Where an item came from, for messages a person can act on."""

    path: Path
    number: int

    def __str__(self) -> str:
        return f"{self.path}:{self.number}"


def _read_lines(path: Path) -> list[tuple[Line, object]]:
    if not path.is_file():
        raise GoldError(f"{path}: gold file not found")
    out: list[tuple[Line, object]] = []
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                out.append((Line(path, number), json.loads(raw)))
            except json.JSONDecodeError as exc:
                raise GoldError(f"{path}:{number}: invalid JSON ({exc.msg}, column {exc.colno})") from exc
    if not out:
        raise GoldError(f"{path}: no gold lines")
    return out


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])


def _load(path: Path, model: type[BaseModel]) -> list[tuple[Line, BaseModel]]:
    items: list[tuple[Line, BaseModel]] = []
    seen: dict[str, Line] = {}
    for line, data in _read_lines(path):
        if not isinstance(data, dict):
            raise GoldError(f"{line}: expected a JSON object")
        try:
            item = model.model_validate(data)
        except ValidationError as exc:
            raise GoldError(f"{line}: {_first_error(exc)}") from exc
        item_id = str(getattr(item, "id"))
        if item_id in seen:
            raise GoldError(f"{line}: duplicate id {item_id!r} (first at line {seen[item_id].number})")
        seen[item_id] = line
        items.append((line, item))
    return items


def load_qa(path: Path) -> list[QAItem]:
    return [item for _, item in _load(path, QAItem)]  # type: ignore[misc]


def load_aids(path: Path) -> list[AidItem]:
    return [item for _, item in _load(path, AidItem)]  # type: ignore[misc]


T = TypeVar("T", QAItem, AidItem)


def select_split(items: list[T], split: str) -> list[T]:
    """``dev``, ``test`` or ``all``."""
    return list(items) if split == "all" else [i for i in items if i.split == split]


# --- the corpus, as the gold sees it -----------------------------------------------------------------


@dataclass(frozen=True)
class CorpusDocument:
    id: str
    language: str
    folded: str


def as_indexed(text: str) -> str:
    """A document's text as ingest indexes it: markdown bold markers and dead link placeholders
    dropped (``ingest.parse.display_text``), so that evidence is quoted as people read it."""
    return text.replace("**", "").replace("([lien](#))", "")


class CorpusText:
    """The raw documents of ``manifest.yaml``, folded, to locate evidence strings."""

    def __init__(self, documents: list[CorpusDocument]) -> None:
        self.documents = documents

    @classmethod
    def load(cls, corpus_dir: Path) -> "CorpusText":
        manifest = corpus_dir / "manifest.yaml"
        if not manifest.is_file():
            raise GoldError(f"{manifest}: corpus manifest not found")
        try:
            data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
            entries = [(str(d["id"]), str(d["file"]), str(d["language"])) for d in data.get("documents", [])]
        except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
            raise GoldError(f"{manifest}: invalid manifest ({exc})") from exc
        docs = []
        for doc_id, file, language in entries:
            path = corpus_dir / file
            if path.is_file():  # a document ingest skips cannot hold evidence either
                docs.append(CorpusDocument(doc_id, language, fold(as_indexed(path.read_text(encoding="utf-8", errors="replace")))))
        return cls(docs)

    def holding(self, evidence: str) -> list[CorpusDocument]:
        needle = fold(evidence)
        return [d for d in self.documents if needle in d.folded]

    def missing_evidence(self, item: QAItem) -> list[str]:
        return [e for e in item.evidence if not self.holding(e)]

    def missing_sections(self, item: QAItem) -> list[str]:
        return [s for s in item.sections if not any(fold(s) in d.folded for d in self.documents)]

    def evidence_languages(self, item: QAItem) -> set[str]:
        return {d.language for e in item.evidence for d in self.holding(e)}


def slices_of(item: QAItem, corpus: CorpusText) -> list[str]:
    out = []
    if item.answerable:
        langs = corpus.evidence_languages(item)
        if langs and item.language not in langs:
            out.append("cross-lingual")
    else:
        out.append("off-topic")
    if item.history:
        out.append("follow-up")
    out += [t for t in TAG_SLICES if t in item.tags]
    return out


def check_evidence(items: list[QAItem], corpus: CorpusText, path: Path) -> None:
    """Refuse a gold set whose evidence or sections no document holds: such a question could never be a
    hit, such a section never cited."""
    for item in items:
        missing = corpus.missing_evidence(item)
        if missing:
            raise GoldError(f"{path}: {item.id}: evidence not found in the corpus: {missing[0][:80]!r}")
        absent = corpus.missing_sections(item)
        if absent:
            raise GoldError(f"{path}: {item.id}: section not found in the corpus: {absent[0][:80]!r}")


def counts(items: list[QAItem], corpus: CorpusText) -> Counter[str]:
    """Questions per ``language:<l>``, ``intent:<i>`` and ``slice:<s>`` (and ``total``): the gold's coverage."""
    c: Counter[str] = Counter()
    for item in items:
        c["total"] += 1
        c[f"language:{item.language}"] += 1
        c[f"intent:{item.intent}"] += 1
        for s in slices_of(item, corpus):
            c[f"slice:{s}"] += 1
    return c
