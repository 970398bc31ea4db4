"""Stage 3, assemble: the context an answer needs, following the documents' structure.

Retrieval finds small, precise passages; a question often needs a unit around them (LlamaIndex's
auto-merging and sentence-window ideas, on the heading tree ingest recorded):

- **list**: a passage that introduces a list (ends with ":" or announces "3 axes", "4 actions") brings
  its items, the short passages after it or the headings under it; a heading whose passages are short
  items brings them. Among the best passages, the lead-in that matches the question best (its words,
  the count and the level the question names) wins; none matching, the list is the best passages.
- **outline**: the heading the question names ("l'objectif 3 de l'axe I", "the roadmap") brings the
  headings at the level asked, or one level below it, or its measures where it has no sub-headings.
- **summary**: the document or heading asked about brings its parts, each with its opening sentence
  and, for a heading's parts, the first good practice (what it does, by the names the documents give).
- **comparison**: each side's best passages, searched apart (``retrieve``).
- **howto**: the aid cards that fit the asker (the aid finder's model, ``assistant/aidmatch.py``), with
  their passages; confident when the asker said who they are (a profile) and one fits.
- otherwise: the best passages, as retrieval ranked them.

The same context feeds the extractive composer and the LLM's prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from assistant.lang import pack
from assistant.pipeline.frame import Frame, document_label
from assistant.pipeline.understand import references
from assistant.pipeline.retrieve import Retrieval
from assistant.pipeline.tree import LEVEL_DEPTH, Tree, depth
from assistant.sentences import SentenceBank, Wanted
from vectorstore.models import Passage
from vectorstore.text import fold, tokenize

ITEM_CHARS = 320  # a list item is short: one line of the document
MAX_ITEMS = 12
ANCHOR_DEPTH = 8  # the best passages whose lead-ins and headings are looked at
HOWTO_AIDS = 5  # aid cards a how-to answer names at most
PRACTICES = 3  # good practices a measure brings to a summary
LEAD_SAYS_IT = 0.5  # share of the question's (idf-weighted) words a lead-in holds when it is what is asked
HEADING_NAMED = 0.6  # a heading is named by its title when the question holds this share of its words
HEADING_HIT = 0.5  # a heading the search puts first is what a list of its levels is about when its title
                   # (with its parents') holds this share of the question's words
_ANNOUNCED = re.compile(r"(?<!\w)(\d{1,2})\s+(?:\w+\s+){0,2}?(?=\w)")


@dataclass
class Unit:
    passage: Passage
    role: str  # "hit", "lead", "item", "part", "example", "side", "aid"
    label: str = ""  # what a part, a side or an aid is called in the answer
    group: int = 0  # the side of a comparison


@dataclass
class Context:
    frame: Frame
    retrieval: Retrieval
    units: list[Unit] = field(default_factory=list)
    structure: str | None = None  # "list", "outline", "summary", "comparison", "howto": what was assembled
    subject: str = ""  # the heading or document the structure belongs to
    confident: bool = False  # the structure found is what the question names (a resolved heading, a count met)
    aids: list[dict] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    # a passage among the best that introduces a list (ends with ":") → its items: an answer quoting
    # the lead-in gives what it announces
    items_of: dict[str, list[Passage]] = field(default_factory=dict)

    def passages(self) -> list[Passage]:
        return list({u.passage.passage_id: u.passage for u in self.units}.values())


class Assembler:
    def __init__(self, tree: Tree, bank: SentenceBank, fitting: Callable[[Frame, Retrieval], list[dict]],
                 documents: dict[str, dict]) -> None:
        self.tree = tree
        self.bank = bank
        self.fitting = fitting  # the aid cards that fit the asker, best first (the aid finder's ranking)
        self.documents = documents
        # Where the tree is deep enough to have axes: the documents a bare "les trois axes" is about.
        self.structured = sorted((d for d in tree.by_document if tree.deepest_level(d) >= 2),
                                 key=lambda d: -tree.deepest_level(d))

    def __call__(self, frame: Frame, retrieval: Retrieval) -> Context:
        ctx = Context(frame, retrieval)
        passages = self.bank.index.passages
        hits = [passages[h.passage_id] for h in retrieval.hits]
        builder = {"outline": self.outline, "summary": self.summary, "list": self.listing,
                   "comparison": self.comparison, "howto": self.howto}.get(frame.intent)
        if builder is not None:
            builder(ctx, hits)
        if not ctx.units:
            ctx.units = [Unit(p, "hit") for p in hits]
        if ctx.structure is None:
            for p in hits[:ANCHOR_DEPTH]:
                if _ends_colon(p):
                    items = next((items for lead, items in self._lists_at(p) if lead is p), [])
                    if len(items) >= 2:
                        ctx.items_of[p.passage_id] = items[:MAX_ITEMS]
        return ctx

    # --- the documents a question is about ----------------------------------------------------

    def _documents(self, frame: Frame, retrieval: Retrieval, hits: list[Passage]) -> list[str]:
        """The documents named, else those of the best passages, else the structured ones."""
        named = [d for d in retrieval.query.documents if self.tree.passages(d)]
        if named:
            sources = [d for d in named if self.documents.get(d, {}).get("translation_of") not in named]
            return sorted(sources or named, key=lambda d: -self.tree.deepest_level(d))
        seen = list(dict.fromkeys(p.document for p in hits))
        return list(dict.fromkeys([*(self.structured if frame.unit in LEVEL_DEPTH else []), *seen, *self.structured]))

    def _title(self, document: str, lang: str) -> str:
        return document_label(self.documents, document, lang)

    # --- outline ------------------------------------------------------------------------------------

    def outline(self, ctx: Context, hits: list[Passage], target: Passage | None = None) -> None:
        frame = ctx.frame
        documents = [target.document] if target is not None else self._documents(frame, ctx.retrieval, hits)
        target = target or self._target(ctx, documents)
        if frame.refs and target is None:
            ctx.notes["outline"] = "the heading named was not found"
            return
        document = target.document if target is not None else (documents[0] if documents else None)
        if document is None:
            return
        items: list[Passage] = []
        wanted = LEVEL_DEPTH.get(frame.unit or "")
        if frame.unit == "measure" and target is not None:  # "les mesures du 1.b": its bold measures
            items = [p for p in self.tree.body(target, document, subtree=True) if p.kind == "measure"]
        elif wanted is not None and wanted > (depth(target) if target is not None else 0):
            items = self.tree.descendants(target, document, wanted)
        if not items:
            items = self.tree.children(target, document)
        if not items and target is not None:  # a heading without sub-headings: its measures, else its passages
            body = self.tree.body(target, document, subtree=True)
            items = [p for p in body if p.kind == "measure"] or body
        if not items:
            return
        confident = target is not None or self._on_topic(frame, items, self._naming(ctx, [document]))
        if not confident:  # "les 4 axes de la stratégie franco-québécoise": a list the passages hold
            self.listing(ctx, hits)
            return
        ctx.structure, ctx.confident = "outline", True
        ctx.subject = target.text_in(frame.language) if target is not None else self._title(document, frame.language)
        if target is not None:
            ctx.units.append(Unit(target, "lead"))
        ctx.units.extend(Unit(p, "item") for p in items[:MAX_ITEMS * 2])

    # --- summary ------------------------------------------------------------------------------------

    def summary(self, ctx: Context, hits: list[Passage]) -> None:
        frame = ctx.frame
        documents = self._documents(frame, ctx.retrieval, hits)
        target = self._target(ctx, documents)
        if not documents or (frame.refs and target is None):
            return
        named = bool(ctx.retrieval.query.documents) or target is not None
        if not named or (target is None and self._topic_left(ctx, documents)):
            # a summary of a subject, not of a document or a part of it: what the passages say of it
            ctx.structure, ctx.subject = "summary", ""
            for p in hits:  # a measure brings the good practices that illustrate it
                ctx.units.append(Unit(p, "hit"))
                if p.kind == "measure":
                    ctx.units.extend(Unit(g, "item") for g in self.tree.practices(p)[:PRACTICES])
            return
        document = target.document if target is not None else documents[0]
        parts = self.tree.children(target, document)
        ctx.structure, ctx.confident = "summary", True
        ctx.subject = target.text_in(frame.language) if target is not None else self._title(document, frame.language)
        opening = self._opening(target, document)
        if opening is not None:
            ctx.units.append(Unit(opening, "lead"))
        if parts:
            for part in parts[:MAX_ITEMS]:
                body = [p for p in self.tree.body(part, document, subtree=True) if _sentence_like(p)]
                # prose says what a part is about; an item of a list under it says one instance of it
                body.sort(key=lambda p: p.listed)
                if body:
                    ctx.units.append(Unit(body[0], "part", label=part.text_in(frame.language)))
                # a part of a heading says what it does by its first example (the programmes and places
                # the documents name); a whole document's parts are too broad for one example to stand for
                example = next((p for p in body[1:] if p.kind == "good_practice"), None)
                if target is not None and example is not None and body[0].kind != "good_practice":
                    ctx.units.append(Unit(example, "example"))
        else:
            ctx.units.extend(Unit(p, "part") for p in self.tree.body(target, document, subtree=True)
                             if p is not opening and _sentence_like(p))

    def _target(self, ctx: Context, documents: list[str]) -> Passage | None:
        """The heading a question names: by its number ("l'axe II", "1.b") or by its title ("the
        'International Trade' part", "la partie référencer l'offre…")."""
        frame = ctx.frame
        if frame.refs:
            node = self.tree.resolve(frame.refs, documents)
            # "the 'Coopération internationale' part of axe III": a heading under it, named by its title
            return (self._heading_named(ctx, documents, under=node) or node) if node is not None else None
        return self._heading_named(ctx, documents)

    def _heading_named(self, ctx: Context, documents: list[str], under: Passage | None = None) -> Passage | None:
        """The heading whose title the question quotes: most of the title's (idf-weighted) words are in
        the question, two at least (under the heading ``under``, if given)."""
        frame = ctx.frame
        asked = set(self._topic_tokens(frame))
        best, best_share = None, HEADING_NAMED
        for document in ([under.document] if under is not None else documents[:3]):
            prefix = under.section + " › " if under is not None else ""
            for h in self.tree.headings(document):
                if not h.section.startswith(prefix) or h is under or self._is_title(h):
                    continue
                # in the asker's language, or as written ("the 'Coopération internationale' part")
                for lang in dict.fromkeys((frame.language, h.language)):
                    if not h.has_text_in(lang):
                        continue
                    words = asked if lang == frame.language else set(tokenize(frame.asked, lang))
                    title = {t for t in tokenize(h.text_in(lang), lang) if not t.isdigit() and len(t) > 1}  # no numbering
                    if len(title & words) < 2:
                        continue
                    share = Wanted(self.bank, lang, title).overlap(frozenset(words))
                    if share > best_share:
                        best, best_share = h, share
        return best

    def _is_title(self, h: Passage) -> bool:
        """Whether the heading is the document's own title (a page whose title is set as its first
        heading): naming it names the whole document, not the passages under that line."""
        return fold(h.text).strip() == fold(str(self.documents.get(h.document, {}).get("title", ""))).strip()

    def _topic_left(self, ctx: Context, documents: list[str]) -> bool:
        """Whether the question asks about something besides the document it names ("résume ce que dit
        la feuille de route sur le droit d'auteur")."""
        return not self._on_topic(ctx.frame, [], self._naming(ctx, documents))

    def _naming(self, ctx: Context, documents: list[str]) -> frozenset[str]:
        """The words that name the documents asked about: the query's naming words, and their titles
        (the manifest's names, the title, and the title heading in the asker's language)."""
        lang = ctx.frame.language
        family = [*documents[:2], *(d for d, info in self.documents.items() if info.get("translation_of") in documents[:2])]
        titles = [self._title(d, lang) for d in family]
        titles += [str(self.documents.get(d, {}).get("title", "")) for d in family]
        # the title in the asker's language: its title heading's translation ("coopération culturelle internationale")
        titles += [h.text_in(lang) for d in family for h in self.tree.headings(d)
                   if self._is_title(h) and h.has_text_in(lang)]
        return ctx.retrieval.query.naming | frozenset(tokenize(" ".join(titles), lang))

    def _opening(self, target: Passage | None, document: str) -> Passage | None:
        """The passage that opens a summary: for a document, the introduction's passage closest to its
        title (the roadmap's "…se structure autour de 3 axes"); for a heading, its first prose."""
        body = [p for p in self.tree.body(target, document) if self._opens(p, target)]
        if target is not None or not body:
            return body[0] if body else None
        lang = body[0].language
        title = set(tokenize(str(self.documents.get(document, {}).get("title", "")), lang))
        if not title:
            return body[0]
        wanted = Wanted(self.bank, lang, title)
        # the best single sentence: the one that names the document, not a passage that mentions it
        return max(body, key=lambda p: (max((wanted.overlap(x.tokens) for x in self.bank.sentences(p, lang)),
                                            default=0.0), -p.order))

    # --- list ---------------------------------------------------------------------------------------

    def listing(self, ctx: Context, hits: list[Passage]) -> None:
        frame = ctx.frame
        topic = set(self._topic_tokens(frame))
        wanted = Wanted(self.bank, frame.language, topic)
        if frame.unit is not None and not frame.refs:
            # "what are the measures of «Favoriser la découverte…»?": the levels under the heading it names
            heading = self._heading_hit(ctx, hits, topic - ctx.retrieval.query.naming)
            if heading is not None:
                self.outline(ctx, hits, heading)
                if ctx.units:
                    return
        # the question's most specific word the corpus uses: a list about something else lacks it
        known = [t for t in topic if t in self.bank.idf.get(frame.language, {})]
        key = min(known, key=lambda t: (-self.bank.weight(frame.language, t), t)) if known else None
        best: tuple[float, Passage, list[Passage], bool] | None = None
        for p in hits[:ANCHOR_DEPTH]:
            for lead, items in self._lists_at(p):
                if len(items) < 2:
                    continue
                announced = _announced(lead.text)
                count_met = frame.count is not None and len(items) == frame.count
                lead_cover = wanted.overlap(self.bank.entry_tokens(lead, frame.language))
                # a list without the question's most specific word is about something else, unless its
                # lead-in says most of what is asked ("countries or regions": the list names countries)
                if key and frame.count is None and lead_cover < LEAD_SAYS_IT and not any(
                        key in self.bank.entry_tokens(x, frame.language) for x in (lead, *items)):
                    continue
                items_cover = max((wanted.overlap(self.bank.entry_tokens(i, frame.language)) for i in items),
                                  default=0.0)
                score = lead_cover + 0.5 * items_cover + (0.5 if count_met else 0.0) + \
                    (0.2 if announced == len(items) else 0.0)
                if best is None or score > best[0]:
                    best = (score, lead, items, count_met)
        if best is None or best[0] < 0.5:
            return
        score, lead, items, count_met = best
        ctx.structure, ctx.subject = "list", lead.text_in(frame.language)
        ctx.confident = count_met or score >= 1.0
        ctx.units.append(Unit(lead, "lead"))
        ctx.units.extend(Unit(i, "item") for i in items[:MAX_ITEMS])

    def _heading_hit(self, ctx: Context, hits: list[Passage], topic: set[str]) -> Passage | None:
        """A heading among the two best passages whose title (with its parents') holds most of what the
        question asks about, besides the level it lists and the document it names."""
        if not topic:
            return None
        wanted = Wanted(self.bank, ctx.frame.language, topic)
        return next((p for p in hits[:2] if p.kind == "heading" and p.section and not self._is_title(p) and
                     wanted.overlap(self.bank.entry_tokens(p, ctx.frame.language)) >= HEADING_HIT), None)

    def _lists_at(self, p: Passage) -> list[tuple[Passage, list[Passage]]]:
        """The lists ``p`` belongs to or opens: (lead-in, items)."""
        out: list[tuple[Passage, list[Passage]]] = []
        for lead in self._leads_around(p):
            if lead.kind == "heading":
                body = self.tree.body(lead, lead.document)
                if body and all(len(b.text) <= ITEM_CHARS for b in body):
                    out.append((lead, body))
                continue
            after = self.tree.following(lead, MAX_ITEMS + 1)
            announced = _announced(lead.text)
            if after and after[0].kind == "heading":
                heading = self.tree.heading_of(lead)
                children = self.tree.children(heading, lead.document)
                if children:
                    out.append((lead, children))
                continue
            # After a lead-in that ends with a colon, the short passages that follow; after any other
            # passage, the run of list items the document writes after it ("- In 2007, …").
            colon = _ends_colon(lead)
            items: list[Passage] = []
            for o in after:
                if o.kind == "heading" or o.section != lead.section or not (o.listed or colon) or \
                        (len(o.text) > ITEM_CHARS and not o.listed):
                    break
                items.append(o)
                if announced is not None and len(items) == announced:
                    break
            out.append((lead, items))
        return out

    def _leads_around(self, p: Passage) -> list[Passage]:
        """``p`` if it introduces a list, the lead-in just before it if ``p`` is an item (the passage
        before a run of list items, whatever its last character), and its heading."""
        leads: list[Passage] = []
        if _ends_colon(p) or p.kind == "heading":
            leads.append(p)
        elif not p.listed and (after := self.tree.following(p, 1)) and after[0].listed:
            leads.append(p)  # the paragraph a run of list items follows
        doc = self.tree.passages(p.document)
        i = self.tree.position.get(p.passage_id, 0)
        for o in reversed(doc[max(0, i - MAX_ITEMS):i]):
            if o.kind == "heading":
                break
            if _ends_colon(o) or (p.listed and not o.listed and o.section == p.section):
                leads.append(o)
                break
            if len(o.text) > ITEM_CHARS and not o.listed:
                break
        heading = self.tree.heading_of(p)
        if heading is not None and heading is not p:
            leads.append(heading)
        return leads

    # --- comparison, howto ----------------------------------------------------------------------

    def comparison(self, ctx: Context, hits: list[Passage]) -> None:
        sides = ctx.retrieval.sides
        if len(sides) < 2:
            return
        passages = self.bank.index.passages
        ctx.structure = "comparison"
        documents = self._documents(ctx.frame, ctx.retrieval, hits)
        for g, side in enumerate(sides):
            refs, _ = references(side.label, pack(ctx.frame.language))
            heading = self.tree.resolve(refs, documents) if refs and not side.document else None
            if heading is not None:  # "l'axe I et l'axe II": each heading by its opening and its parts
                side.found = True
                label = heading.text_in(ctx.frame.language)
                opening = self._opening(heading, heading.document)
                parts = [opening] if opening is not None else []
                parts += self.tree.children(heading, heading.document)[:MAX_ITEMS]
                ctx.units.extend(Unit(p, "side", label=label, group=g) for p in parts)
                continue
            for h in [h for h in side.hits if passages[h.passage_id].kind != "heading"][:3]:
                ctx.units.append(Unit(passages[h.passage_id], "side", label=side.label, group=g))

    def howto(self, ctx: Context, hits: list[Passage]) -> None:
        cards = self.fitting(ctx.frame, ctx.retrieval)[:HOWTO_AIDS]
        passages = self.bank.index.passages
        for card in cards:
            cited = [c for c in card.get("citations", []) if c.get("passage_id") in passages]
            if cited:
                ctx.units.append(Unit(passages[cited[0]["passage_id"]], "aid", label=_aid_label(card)))
                ctx.aids.append(card)
        if ctx.units:
            # a person who says who they are asks what they can get: the fitting cards are the answer;
            # "how do I apply to X?" is asked of the passages too, and the refusal model judges them
            ctx.structure, ctx.confident = "howto", bool(ctx.frame.preamble)

    # --- helpers ----------------------------------------------------------------------------------

    def _opens(self, p: Passage, target: Passage | None) -> bool:
        """A passage that can open a summary: a sentence, after the document's title (not its cover)."""
        if len(p.text) < 60:
            return False
        if target is None:
            title = next((h for h in self.tree.passages(p.document) if h.kind == "heading"), None)
            return title is None or p.order > title.order
        return True

    def _topic_tokens(self, frame: Frame) -> list[str]:
        """The question's words but those that say how it asks (cues, level nouns, numbers)."""
        p = pack(frame.language)
        tokens = [t for t in tokenize(frame.asked, frame.language) if t not in p.asking_tokens and not t.isdigit()]
        return tokens or tokenize(frame.asked, frame.language)

    def _on_topic(self, frame: Frame, passages: list[Passage], naming: frozenset[str]) -> bool:
        """Whether what the question asks about, besides the structure and the document it names, is
        in ``passages``."""
        p = pack(frame.language)
        noise = p.asking_tokens | naming
        # a follow-up's subject is the earlier turn's ("وما هي محاورها؟" after a question on a strategy)
        words = tokenize(f"{frame.asked} {frame.context}", frame.language)
        rest = {t for t in words if t not in noise and not t.isdigit() and p.number(t) is None}
        if not rest:
            return True
        found = frozenset().union(*(self.bank.entry_tokens(x, frame.language) for x in passages)) if passages else frozenset()
        return Wanted(self.bank, frame.language, rest).overlap(found) >= 0.5


def _ends_colon(p: Passage) -> bool:
    return p.kind != "heading" and p.text.rstrip().endswith(":")


def _sentence_like(p: Passage) -> bool:
    """Prose, not a list item cut mid-sentence nor a line of navigation."""
    text = p.text.rstrip()
    return len(text) >= 60 and not text.endswith((",", ":", ";"))


def _announced(text: str) -> int | None:
    """A count the lead-in announces ("autour de 3 axes principaux :", "4 actions serving…")."""
    found = _ANNOUNCED.findall(text)  # the last: "12 objectifs qui s'articulent autour de 4 axes :"
    return int(found[-1]) if found else None


def _aid_label(card: dict) -> str:
    operator = card.get("operator", "")
    return f"{card['name']} ({operator})" if operator and operator != "non précisé" else str(card["name"])
