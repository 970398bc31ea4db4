"""Stage 5, compose: the assembled context → an answer, in the asker's language, every line quoted from
a passage and cited.

``Answerer`` is the interface both answerers implement: they receive the context, not the assistant.
The extractive one (default, no LLM) has one composer per kind of context:

- list: the lead-in, then every item; outline: the headings at the level asked; summary: one line per
  part, under the part's title; comparison: each side under its name; howto: each aid or programme
  under its name and operator; yes/no: the sentence that settles it first (or that the documents do
  not settle it); factoid and definition: the sentences that answer (``assistant/answer.py``).

A line is (label, sentence, passage, language); ``finish`` numbers the citations, drops a line that
``verify`` rejects, and writes the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from assistant.answer import LEAD_IN, LEAD_IN_LIST, choose_sentences
from assistant.lang import pack
from assistant.pipeline.assemble import Context, Unit
from assistant.pipeline.verify import Verifier
from assistant.refusal import answer_check
from assistant.retrieval import Hit
from assistant.schemas import AnswerSentence, ChatResponse, Citation
from assistant.sentences import SentenceBank, Wanted
from vectorstore.models import Passage
from vectorstore.text import tokenize

SUMMARY_LINES = 10  # a summary of a subject stays a screen long
SETTLED = 0.5  # a yes/no question is settled by a sentence holding this share of its words
MEASURE_SENTENCES = 3  # an outline's measure is said whole, up to this many sentences


@dataclass
class Line:
    text: str  # a sentence of ``passage`` as shown in ``lang``
    passage: Passage
    lang: str
    label: str = ""


@dataclass
class Draft:
    lead: str
    lines: list[Line]
    bulleted: bool
    tail: list[str] = field(default_factory=list)  # said after the lines ("nothing about X")


class Answerer(Protocol):
    name: str

    def answer(self, ctx: Context) -> ChatResponse | None: ...


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, bank: SentenceBank, verifier: Verifier, citation, lead_dated) -> None:
        self.bank = bank
        self.verifier = verifier
        self.citation = citation  # (passage, n, lang) -> Citation
        self.lead_dated = lead_dated  # (lang) -> the lead-in of an answer about the present, or None

    def answer(self, ctx: Context) -> ChatResponse | None:
        draft = self.compose(ctx)
        return finish(draft, ctx, self.verifier, self.citation) if draft else None

    def compose(self, ctx: Context) -> Draft | None:
        composer = {"list": self.listing, "outline": self.outline, "summary": self.summary,
                    "comparison": self.comparison, "howto": self.howto}.get(ctx.structure or "")
        draft = composer(ctx) if composer else None
        if draft is None or not draft.lines:
            draft = self.sentences(ctx)
        if draft is not None and ctx.frame.present and (dated := self.lead_dated(ctx.frame.language)):
            draft.lead = dated
        return draft

    # --- composers ----------------------------------------------------------------------------

    def outline(self, ctx: Context) -> Draft:
        lang = ctx.frame.language
        replies = pack(lang).replies
        lines: list[Line] = []
        for u in ctx.units:
            if u.role != "item":
                continue
            if u.passage.kind == "measure":  # a measure is said whole: "Accompagner… . Renforcer…" are two
                shown = u.passage.read_in(lang)
                lines.extend(Line(s.text, u.passage, shown) for s in self.bank.sentences(u.passage, shown)[:MEASURE_SENTENCES])
            else:
                lines.append(Line(*self._whole(u.passage, lang)))
        return Draft(replies.outline_of.format(subject=_unstop(ctx.subject)), lines, bulleted=True)

    def listing(self, ctx: Context) -> Draft:
        lang = ctx.frame.language
        replies = pack(lang).replies
        lead = next((u.passage for u in ctx.units if u.role == "lead"), None)
        lines: list[Line] = []
        head = replies.lead_in_list
        if lead is not None and lead.kind == "heading":
            head = replies.list_of.format(subject=_unstop(lead.text_in(lang)))
        elif lead is not None:
            shown = lead.read_in(lang)
            sentences = self.bank.sentences(lead, shown)
            if sentences:
                lines.append(Line(sentences[-1].text, lead, shown))  # the sentence that opens the list
                head = LEAD_IN[lang]
        items = [Line(*self._first(u.passage, lang)) for u in ctx.units if u.role == "item"]
        if lines:  # the lead-in sentence, then its items under it
            return Draft(head, lines + items, bulleted=True)
        return Draft(head, items, bulleted=True)

    def summary(self, ctx: Context) -> Draft:
        lang = ctx.frame.language
        replies = pack(lang).replies
        lines = []
        for u in ctx.units:
            if u.role in ("lead", "part", "example"):
                text, passage, shown = self._first(u.passage, lang, whole=False)
                lines.append(Line(text, passage, shown, label=_unstop(u.label)))
        subject = _unstop(ctx.subject) if ctx.subject else ""
        lead = replies.summary_of.format(subject=subject) if subject else LEAD_IN[lang]
        return Draft(lead, _dedupe(lines), bulleted=True)

    def comparison(self, ctx: Context) -> Draft:
        lang = ctx.frame.language
        replies = pack(lang).replies
        lines: list[Line] = []
        tail: list[str] = []
        for g, side in enumerate(ctx.retrieval.sides):
            units = [u for u in ctx.units if u.role == "side" and u.group == g]
            if side.found:  # a heading: its opening, then its parts
                lines.extend(Line(*self._first(u.passage, lang, whole=u.passage.kind == "heading"),
                                  label=_unstop(u.label) if i == 0 else "") for i, u in enumerate(units))
                continue
            hits = [Hit(u.passage.passage_id, 1.0) for u in units]
            # a side written in another language is searched in it, and answered in the asker's
            query = side.query if side.query.lang == lang else replace(side.query, lang=lang)
            chosen = choose_sentences(self.bank, query, hits, as_list=False, max_sentences=2)[:2]
            if not chosen:
                tail.append(replies.compare_missing.format(side=side.label))
            lines.extend(Line(c.sentence.text, c.passage, c.lang, label=side.label) for c in chosen)
        return Draft(LEAD_IN[lang], lines, bulleted=True, tail=tail)

    def howto(self, ctx: Context) -> Draft | None:
        """The aids and programmes that fit the asker (the aid finder's, best first), each under its name
        and operator, cited to the sentence the card quotes. A person who said who they are asked what
        they can get: the cards are the answer. Otherwise ("comment candidater au fonds… ?") the
        sentences that answer come first."""
        lang = ctx.frame.language
        lines = []
        for u, card in zip([u for u in ctx.units if u.role == "aid"], ctx.aids):
            text, passage, shown = self._quoting(u.passage, lang, [c.get("quote", "") for c in card["citations"]])
            lines.append(Line(text, passage, shown, label=u.label))
        if not lines:
            return None
        first: list[Line] = []
        if not ctx.frame.preamble:
            answer = self.sentences(ctx)
            cited = {line.passage.passage_id for line in lines}
            first = [line for line in (answer.lines if answer else [])[:2] if line.passage.passage_id not in cited]
        return Draft(pack(lang).replies.howto, _dedupe(first + lines), bulleted=True)

    def sentences(self, ctx: Context) -> Draft | None:
        """The sentences that answer (factoid, definition, yes/no, and any context without structure)."""
        frame, q = ctx.frame, ctx.retrieval.query
        as_list = frame.intent in ("list", "summary")
        hits = ctx.retrieval.hits
        asking = frozenset(tokenize(frame.cue, q.lang))
        chosen = choose_sentences(self.bank, q, hits, as_list, max_sentences=6 if as_list else 4, asking=asking)
        if not chosen:
            return None
        if ctx.structure == "summary":  # a subject's summary: each measure said, then its good practices
            return self._with_practices(ctx, chosen)
        replies = pack(frame.language).replies
        if frame.intent == "yesno":  # the sentence that settles it first, then what else answers
            chosen.sort(key=lambda c: -c.score)
            wanted = Wanted(self.bank, q.lang, set(q.content_tokens) - q.naming, context=q.context)
            best = chosen[0]
            settled = best.lang == q.lang and wanted.overlap(best.sentence.tokens) >= SETTLED
            lines = [Line(c.sentence.text, c.passage, c.lang) for c in chosen]
            return Draft(replies.yes_no if settled else replies.unsettled, lines, bulleted=False)
        lines = []
        announced = False
        # a question asking for a date, an amount, a count…: a lead-in giving one is the answer, not its list
        check = answer_check(frame.asked, frame.language) if frame.answer_kind else None
        for c in chosen:
            lines.append(Line(c.sentence.text, c.passage, c.lang))
            items = ctx.items_of.get(c.passage.passage_id, [])
            if items and c.position == len(self.bank.sentences(c.passage, c.lang)) - 1 and not (
                    check is not None and check(c.sentence.text)):
                # the sentence introduces a list ("…different players have been calling for…:"): its items
                lines.extend(Line(*self._first(i, frame.language)) for i in items)
                announced = True
        lines = _dedupe(lines)
        listed = (as_list and len(lines) > 1) or announced
        return Draft((LEAD_IN_LIST if listed and not announced else LEAD_IN)[frame.language], lines, bulleted=listed)

    def _with_practices(self, ctx: Context, chosen) -> Draft:
        lang = ctx.frame.language
        practices: dict[str, list[Passage]] = {}
        owner = None
        for u in ctx.units:
            if u.role == "hit":
                owner = u.passage.passage_id
            elif u.role == "item" and owner is not None:
                practices.setdefault(owner, []).append(u.passage)
        lines: list[Line] = []
        for c in chosen:
            lines.append(Line(c.sentence.text, c.passage, c.lang))
            for g in practices.get(c.passage.passage_id, []):
                text, passage, shown = self._first(g, lang, whole=False)
                lines.append(Line(text, passage, shown))
        return Draft(LEAD_IN_LIST[lang], _dedupe(lines)[:SUMMARY_LINES], bulleted=True)

    # --- what a unit says -----------------------------------------------------------------------

    def _whole(self, p: Passage, lang: str) -> tuple[str, Passage, str]:
        """A heading or an item: its whole text as shown, or its first sentence when it is long."""
        shown = p.read_in(lang)
        text = p.text_in(shown)
        return (text, p, shown) if len(text) <= 320 else self._first(p, lang)

    def _first(self, p: Passage, lang: str, whole: bool = True) -> tuple[str, Passage, str]:
        """A passage's opening sentence as shown (a short item: all of it, unless not ``whole``)."""
        shown = p.read_in(lang)
        if whole and len(p.text_in(shown)) <= 320:
            return p.text_in(shown), p, shown
        sentences = self.bank.sentences(p, shown)
        return (sentences[0].text if sentences else p.text_in(shown)), p, shown

    def _quoting(self, p: Passage, lang: str, quotes: list[str]) -> tuple[str, Passage, str]:
        """The sentence of ``p`` that holds one of ``quotes`` (an aid card's), as shown in ``lang``."""
        original = self.bank.sentences(p, p.language)
        at = next((i for i, s in enumerate(original) if any(q and q[:60] in s.text for q in quotes)), 0)
        shown = p.read_in(lang)
        sentences = self.bank.sentences(p, shown)
        if not sentences:
            return p.text_in(shown), p, shown
        return sentences[min(at, len(sentences) - 1)].text, p, shown


def finish(draft: Draft, ctx: Context, verifier: Verifier, citation) -> ChatResponse | None:
    """Number the citations in order of first use, keep the lines ``verify`` accepts, write the text."""
    lang = ctx.frame.language
    replies = pack(lang).replies
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    sentences: list[AnswerSentence] = []
    body: list[str] = []
    previous = ""
    for line in draft.lines:
        score = verifier.quoted(line.text, line.passage, line.lang)
        if score < 0.5:
            continue
        pid = line.passage.passage_id
        if pid not in numbers:
            numbers[pid] = len(numbers) + 1
            citations.append(citation(line.passage, numbers[pid], line.lang))
        sentences.append(AnswerSentence(text=line.text, citations=[numbers[pid]], support=score))
        shown = line.text
        if line.lang != lang:  # no translation yet: the original, marked as such
            shown += " " + replies.original_language.format(language=replies.language_names.get(line.lang, line.lang))
        # no label a sentence already opens with ("Culturethèque: Culturethèque, the French-language…")
        # nor one the line before already gave (a side's second sentence)
        named = (line.label and line.label != previous and not line.text.casefold().startswith(line.label.casefold()))
        previous = line.label
        label = f"{line.label}{replies.label_separator}" if named else ""
        body.append(f"{label}{shown} [{numbers[pid]}]")
    if not sentences:
        return None
    if draft.bulleted and len(body) > 1:
        text = draft.lead + "\n" + "\n".join(f"- {b}" for b in body)
    else:
        text = draft.lead + "\n" + " ".join(body)
    if draft.tail:
        text += "\n" + " ".join(draft.tail)
    return ChatResponse(answer=text, abstained=False, language=lang, standalone_question=ctx.frame.question,
                        answerer="extractive", sentences=sentences, citations=citations)


def _unstop(text: str) -> str:
    return text.strip().rstrip(" .:;")


def _dedupe(lines: list[Line]) -> list[Line]:
    seen: set[str] = set()
    out = []
    for line in lines:
        key = " ".join(tokenize(line.text, line.lang))
        if key not in seen:
            seen.add(key)
            out.append(line)
    return out


__all__ = ["Answerer", "Draft", "ExtractiveAnswerer", "Line", "Unit", "finish"]
