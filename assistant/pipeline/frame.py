"""The question frame: what ``understand`` makes of a message in its conversation, and what every
later stage reads instead of parsing the question again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Intent = Literal["factoid", "definition", "list", "outline", "summary", "comparison", "yesno", "howto",
                 "small_talk"]
INTENTS: tuple[str, ...] = ("factoid", "definition", "list", "outline", "summary", "comparison", "yesno", "howto",
                            "small_talk")
Relation = Literal["new", "follow-up", "switch"]


@dataclass(frozen=True)
class Ref:
    """A place in a document's heading tree the question names: "l'axe II" is (axis, 2), "objective 3
    of axis I" is (objective, 3) under (axis, 1); a lettered sub-objective keeps its letter's rank."""

    level: str
    number: int


@dataclass(frozen=True)
class Frame:
    language: str
    intent: Intent
    message: str  # what the user typed, typing errors corrected (``notes['spelling']`` says which)
    question: str  # what is asked, read in its conversation: shown to the user (``standalone_question``)
    asked: str  # the question's own words (no instruction, no earlier turn): searched and answered
    cue: str = ""  # the words that said the intent ("how does … support"): how it asks, not what about
    topic: str = ""  # what a summary asks about: the question without its cue ("Résume … sur X": "… sur X")
    context: str = ""  # an earlier question (and its answer's subject) that retrieval weighs less
    relation: Relation = "new"
    targets: tuple[str, ...] = ()  # the sides of a comparison
    refs: tuple[Ref, ...] = ()  # headings the question names, outermost first
    unit: str | None = None  # the level of the roadmap's tree it asks for ("axis", "objective"…)
    count: int | None = None  # how many things it says it expects ("les trois axes")
    answer_kind: str | None = None  # for a factoid: money, percent, deadline, date, count, award, person
    preamble: str = ""  # what the asker says of themselves before the question
    present: bool = False  # asks about now: answers say how old the documents are
    instruction: bool = False  # the message held instructions to the assistant, left aside
    notes: dict[str, str] = field(default_factory=dict)  # why each decision was taken (debugging, evals)

    @property
    def structural(self) -> bool:
        """Asks for a part of a document's structure rather than a fact in it."""
        return self.intent in ("outline", "summary") or bool(self.refs)


def document_name(documents: dict[str, dict], document: str, lang: str) -> str:
    """The name a reader of ``lang`` gives a document: the manifest's first ``called`` name in that
    language (a published translation shares its source's names), capitalised; "" when it gives none."""
    info = documents.get(document, {})
    called = info.get("called") or documents.get(info.get("translation_of", ""), {}).get("called") or {}
    names = called.get(lang) or []
    return str(names[0])[:1].upper() + str(names[0])[1:] if names else ""


def document_label(documents: dict[str, dict], document: str, lang: str) -> str:
    """What a reader of ``lang`` calls the document (``document_name``), else its title."""
    return document_name(documents, document, lang) or str(documents.get(document, {}).get("title", document))
