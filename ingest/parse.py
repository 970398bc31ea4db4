"""Turn a document into passages along its own structure.

The roadmap is read line by line as a small state machine: headings (axis ``I.``, objective ``1.``,
sub-objective ``a.``) set the section path; a bold list item ``- **Verb** …`` is a measure; a
"Bonne(s) pratique(s) :" label switches the following paragraphs to good practices until the next
measure or heading. Other documents are web pages: short unpunctuated lines followed by text are
headings, every other line is a paragraph. One passage per paragraph or list item; a paragraph over
``max_chars`` is cut at sentence boundaries, never across sections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vectorstore.models import Passage
from vectorstore.text import clean_text, content_hash, split_sentences

MAX_CHARS = 900

_AXIS = re.compile(r"^(?P<num>I{1,3}|IV|V)\.\s+\S")
_OBJECTIVE = re.compile(r"^(?P<num>\d{1,2})\.\s+\S")
_SUB = re.compile(r"^(?:-\s+)?(?P<num>[a-h])\.\s+\S")
_GOOD_PRACTICE_LABEL = re.compile(r"^Bonnes?\s+pratiques?\b[^:]{0,120}:\s*$", re.IGNORECASE)
_MEASURE = re.compile(r"^-\s+\*\*")
_LIST_ITEM = re.compile(r"^[-•]\s+")
_BROKEN_START = re.compile(r"^(?:[a-zà-ÿ]|\d{4}\)\s)")
_TERMINAL = re.compile(r"[.!?:;)»\]؟]\s*$")
# Each pattern that opens on a run of spaces starts it only where the run starts (``(?<!\s)``): tried at
# every position of a long run, it would be quadratic in the run (tests/test_patterns_linear.py).
_LINK_PLACEHOLDER = re.compile(r"(?<!\s)\s*\(\[lien\]\(#\)\)")
# The label a web page gives a link to a file, kept by the scrape: "pdf - 630 KB [630 KB] français (fr)".
_FILE_LINK = re.compile(r"(?<!\s)\s*\b(?:pdf|docx?|xlsx?|odt|zip)\s+-\s+\d+(?:[.,]\d+)?\s*[KMG]B\s*\[\d+(?:[.,]\d+)?\s*[KMG]B\]"
                        r"(?:\s+[^\W\d_]+\s\([a-z]{2}\))*", re.IGNORECASE)
# A bullet in the middle of a line: the scrape lost the line break before a list item.
_INLINE_BULLET = re.compile(r"(?<!\s)\s+(?=•\s)")


@dataclass
class Block:
    text: str  # raw line, stripped
    start: int
    end: int
    blank_before: bool


def _blocks(source: str) -> list[Block]:
    blocks: list[Block] = []
    offset = 0
    blank = True
    for line in source.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            gaps = list(_INLINE_BULLET.finditer(stripped))  # the whitespace before each mid-line bullet
            for a, b in zip([0, *(g.end() for g in gaps)], [*(g.start() for g in gaps), len(stripped)]):
                begin = offset + lead + a
                blocks.append(Block(stripped[a:b], begin, offset + lead + b, blank and a == 0))
            blank = False
        else:
            blank = True
        offset += len(line)
    return blocks


def display_text(raw: str) -> str:
    """Passage text as shown to people: no markdown bold, bullets or dead link placeholders."""
    text = raw.replace("**", "")
    text = _LINK_PLACEHOLDER.sub("", text)
    text = _FILE_LINK.sub("", text)
    text = _LIST_ITEM.sub("", text)
    return clean_text(text)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


@dataclass
class _Draft:
    text: str
    start: int
    end: int
    section: str
    kind: str
    measure: str
    listed: bool = False


class _Builder:
    def __init__(self, doc_id: str, title: str, language: str, max_chars: int, source: str = "") -> None:
        self.doc_id, self.title, self.language, self.max_chars = doc_id, title, language, max_chars
        self.source = source
        self.drafts: list[_Draft] = []
        self.skipped: list[str] = []

    def add(self, text: str, start: int, end: int, section: str, kind: str, measure: str = "",
            listed: bool = False) -> None:
        self.drafts.append(_Draft(text, start, end, section, kind, measure, listed))

    def continue_last(self, text: str, end: int) -> bool:
        """Join a paragraph broken by a page break or footnote (it starts lower-case mid-sentence)."""
        for draft in reversed(self.drafts):
            if draft.text.startswith("¹"):
                continue
            if _TERMINAL.search(draft.text) or draft.kind == "heading":
                return False
            draft.text = f"{draft.text} {text}"
            draft.end = end
            return True
        return False

    def passages(self) -> list[Passage]:
        out: list[Passage] = []
        seen: set[str] = set()
        for draft in self.drafts:
            for text, start, end in self._split(draft):
                h = content_hash(text)
                if h in seen:
                    self.skipped.append(f"{self.doc_id}: duplicate paragraph at offset {start} ({text[:40]!r})")
                    continue
                seen.add(h)
                out.append(
                    Passage(
                        passage_id=content_hash(self.doc_id, text),
                        document=self.doc_id,
                        title=self.title,
                        language=self.language,
                        section=draft.section,
                        kind=draft.kind,  # type: ignore[arg-type]
                        measure=draft.measure,
                        listed=draft.listed,
                        text=text,
                        start=start,
                        end=end,
                        order=len(out),
                        source_hash=h,
                    )
                )
        return out

    def _split(self, draft: _Draft) -> list[tuple[str, int, int]]:
        if len(draft.text) <= self.max_chars:
            return [(draft.text, draft.start, draft.end)]
        # Greedy packing of whole sentences; each chunk's span is found in the source by its first and
        # last words (markup may differ), falling back to a proportional estimate.
        chunks: list[str] = []
        current = ""
        for a, b in split_sentences(draft.text):
            sentence = draft.text[a:b].strip()
            if current and len(current) + 1 + len(sentence) > self.max_chars:
                chunks.append(current)
                current = sentence
            else:
                current = f"{current} {sentence}".strip()
        if current:
            chunks.append(current)
        out, cursor, width = [], 0, max(len(draft.text), 1)
        span = draft.end - draft.start
        for chunk in chunks:
            a = draft.text.find(chunk, cursor)
            a = cursor if a < 0 else a
            b = a + len(chunk)
            cursor = b
            start, end = draft.start + a * span // width, draft.start + b * span // width
            region = self.source[draft.start : draft.end]
            head, tail = chunk[:24], chunk[-24:]
            if (i := region.find(head)) >= 0:
                start = draft.start + i
            if (j := region.find(tail, max(start - draft.start, 0))) >= 0:
                end = draft.start + j + len(tail)
            out.append((chunk, start, max(end, start + 1)))
        return out


def parse_roadmap(source: str, doc_id: str, title: str, language: str, max_chars: int = MAX_CHARS) -> tuple[list[Passage], list[str]]:
    b = _Builder(doc_id, title, language, max_chars, source)
    blocks = _blocks(source)
    axis = objective = sub = ""
    mode = "intro"
    measure = ""
    prev: Block | None = None
    in_list = False
    front: list[Block] = []
    title_seen = False

    def path() -> str:
        return " › ".join(p for p in (axis, objective, sub) if p)

    for block in blocks:
        raw = block.text
        text = display_text(raw)
        if _letters(text) < 3:
            b.skipped.append(f"{doc_id}: line at offset {block.start} has no text ({raw[:20]!r})")
            prev = block
            continue
        if not title_seen:
            if raw.isupper() and len(raw) > 40:
                if front:
                    joined = " · ".join(display_text(f.text) for f in front)
                    b.add(joined, front[0].start, front[-1].end, "", "paragraph")
                b.add(text, block.start, block.end, "", "heading")
                title_seen = True
            else:
                front.append(block)
            prev = block
            continue

        is_list = bool(_LIST_ITEM.match(raw))
        in_list = is_list and prev is not None and not block.blank_before and (in_list or raw_ends_colon(prev))
        in_list = in_list or (is_list and prev is not None and raw_ends_colon(prev) and not _MEASURE.match(raw))

        if _AXIS.match(raw):
            axis, objective, sub, mode, measure = text, "", "", "intro", ""
            b.add(text, block.start, block.end, path(), "heading")
        elif _OBJECTIVE.match(raw) and len(raw) < 200:
            objective, sub, mode, measure = text.rstrip(" :"), "", "intro", ""
            b.add(objective, block.start, block.end, path(), "heading")
        elif _SUB.match(raw) and (raw.startswith(("a", "b", "c", "d", "e", "f")) or raw.endswith("**")) and len(raw) < 250:
            sub, mode, measure = text.rstrip(" :"), "intro", ""
            b.add(sub, block.start, block.end, path(), "heading")
        elif _GOOD_PRACTICE_LABEL.match(raw):
            mode = "good_practice"
        elif in_list:
            b.add(text, block.start, block.end, path(), "good_practice" if mode == "good_practice" else mode_kind(mode), measure,
                  listed=True)
        elif is_list and not axis:
            b.add(text, block.start, block.end, path(), "intro")
        elif is_list:
            measure, mode = text, "measure"
            b.add(text, block.start, block.end, path(), "measure")
        elif _BROKEN_START.match(raw) and b.continue_last(text, block.end):
            pass
        else:
            b.add(text, block.start, block.end, path(), mode_kind(mode), measure)
        prev = block
    return b.passages(), b.skipped


def raw_ends_colon(block: Block) -> bool:
    return block.text.rstrip().endswith(":")


def mode_kind(mode: str) -> str:
    return {"intro": "intro", "good_practice": "good_practice", "measure": "paragraph"}[mode]


def parse_page(source: str, doc_id: str, title: str, language: str, max_chars: int = MAX_CHARS, *, headings: bool = True) -> tuple[list[Passage], list[str]]:
    """A web page: every line is a paragraph; short unpunctuated lines followed by longer text are
    headings (unless ``headings`` is off); a heading directly followed by another heading is
    navigation residue; a short lead-in ending with a colon is joined to the paragraph it introduces."""
    b = _Builder(doc_id, title, language, max_chars, source)
    blocks = [blk for blk in _blocks(source)]
    heading = ""
    pending_heading: _Draft | None = None
    lead: Block | None = None
    for i, block in enumerate(blocks):
        text = display_text(block.text)
        if _letters(text) < 5:
            b.skipped.append(f"{doc_id}: line at offset {block.start} has no text ({block.text[:20]!r})")
            continue
        nxt = display_text(blocks[i + 1].text) if i + 1 < len(blocks) else ""
        looks_heading = (
            headings
            and len(text) < 90
            and not _TERMINAL.search(text)
            and not _LIST_ITEM.match(block.text)
            and not _FILE_LINK.search(block.text)  # "Summary report pdf - 32 KB": a link, not a heading
            and not text[0].islower()
            and len(nxt) > len(text)
        )
        if looks_heading:
            if pending_heading is not None:
                b.skipped.append(f"{doc_id}: heading {pending_heading.text!r} has no text under it")
            heading = text
            pending_heading = _Draft(text, block.start, block.end, heading, "heading", "")
            continue
        if pending_heading is not None:
            b.drafts.append(pending_heading)
            pending_heading = None
        if text.endswith(":") and len(text) < 60:
            lead = block
            continue
        start, listed = block.start, bool(_LIST_ITEM.match(block.text))
        if lead is not None:  # "Les pays concernés : France…": the lead-in of what follows, not an item
            text, start, lead, listed = f"{display_text(lead.text)} {text}", lead.start, None, False
        b.add(text, start, block.end, heading or "", "paragraph", listed=listed)
    if pending_heading is not None:
        b.skipped.append(f"{doc_id}: heading {pending_heading.text!r} has no text under it")
    return b.passages(), b.skipped


def parse_paragraphs(source: str, doc_id: str, title: str, language: str, max_chars: int = MAX_CHARS) -> tuple[list[Passage], list[str]]:
    """A page whose lines are all paragraphs (no reliable headings): one passage per line."""
    return parse_page(source, doc_id, title, language, max_chars, headings=False)


PARSERS = {"roadmap": parse_roadmap, "page": parse_page, "paragraphs": parse_paragraphs}
