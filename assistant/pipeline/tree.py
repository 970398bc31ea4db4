"""The heading tree ingest recorded: each passage's section path ("I. … › 1. … › a. …") and kind.

``assemble`` walks it to bring what a question needs beyond the passages retrieval found: a heading's
children, the items a lead-in announces, the parts of a document to summarise.
"""

from __future__ import annotations

import re

from assistant.pipeline.frame import Ref
from vectorstore.index import Index
from vectorstore.models import Passage

SEPARATOR = " › "
LEVEL_DEPTH = {"axis": 1, "objective": 2, "sub_objective": 3}
_NUMBERED = re.compile(r"^\s*(?:(?P<roman>[IVX]+)|(?P<digit>\d{1,2})|(?P<letter>[a-h]))\.\s")


def depth(p: Passage) -> int:
    return len(p.section.split(SEPARATOR)) if p.section else 0


class Tree:
    def __init__(self, index: Index) -> None:
        self.index = index
        self.by_document: dict[str, list[Passage]] = {}
        self.position: dict[str, int] = {}  # a passage's place in its document's list
        for p in index.ordered:
            doc = self.by_document.setdefault(p.document, [])
            self.position[p.passage_id] = len(doc)
            doc.append(p)

    def passages(self, document: str) -> list[Passage]:
        return self.by_document.get(document, [])

    def headings(self, document: str) -> list[Passage]:
        return [p for p in self.passages(document) if p.kind == "heading" and p.section]

    def heading_of(self, p: Passage) -> Passage | None:
        """The heading that opens ``p``'s section (``p`` itself for a heading)."""
        if p.kind == "heading" or not p.section:
            return p if p.kind == "heading" and p.section else None
        return next((h for h in self.headings(p.document) if h.section == p.section), None)

    def children(self, heading: Passage | None, document: str) -> list[Passage]:
        """The headings one level below ``heading`` (the document's top headings for None)."""
        if heading is None:
            tops = [h for h in self.headings(document) if depth(h) == 1]
            return tops
        prefix = heading.section + SEPARATOR
        d = depth(heading) + 1
        return [h for h in self.headings(document) if h.section.startswith(prefix) and depth(h) == d]

    def descendants(self, heading: Passage | None, document: str, level_depth: int) -> list[Passage]:
        """The headings at ``level_depth`` under ``heading`` (or in the whole document)."""
        prefix = heading.section + SEPARATOR if heading is not None else ""
        return [h for h in self.headings(document) if h.section.startswith(prefix) and depth(h) == level_depth]

    def body(self, heading: Passage | None, document: str, subtree: bool = False) -> list[Passage]:
        """The passages under ``heading`` that are not headings: directly (its section), or in its
        whole subtree; for None, the document's passages before its first heading."""
        if heading is None:
            return [p for p in self.passages(document) if not p.section and p.kind != "heading"]
        prefix = heading.section + SEPARATOR
        return [p for p in self.passages(heading.document) if p.kind != "heading" and
                (p.section == heading.section or (subtree and p.section.startswith(prefix)))]

    def following(self, p: Passage, n: int) -> list[Passage]:
        """The ``n`` passages after ``p`` in its document."""
        i = self.position.get(p.passage_id, -1)
        return self.passages(p.document)[i + 1:i + 1 + n] if i >= 0 else []

    def practices(self, measure: Passage) -> list[Passage]:
        """The good practices that illustrate a bold measure (ingest records the measure they follow)."""
        return [p for p in self.passages(measure.document) if p.kind == "good_practice" and p.measure and
                p.section == measure.section and measure.text.startswith(p.measure[:60])]

    def deepest_level(self, document: str) -> int:
        return max((depth(h) for h in self.headings(document)), default=0)

    def resolve(self, refs: tuple[Ref, ...], documents: list[str]) -> Passage | None:
        """The heading that ``refs`` name ("objective 3 of axis I"), in the first of ``documents`` that
        numbers its headings that way."""
        for document in documents:
            node: Passage | None = None
            for ref in refs:
                if ref.level not in LEVEL_DEPTH:
                    break
                d = LEVEL_DEPTH[ref.level]
                candidates = (self.children(node, document) if node is not None and depth(node) == d - 1
                              else self.descendants(node, document, d))
                found = [h for h in candidates if _number(h.text) == ref.number]
                if not found and d == 1:  # unnumbered top headings: by position
                    found = candidates[ref.number - 1:ref.number] if 0 < ref.number <= len(candidates) else []
                if not found:
                    node = None
                    break
                node = found[0]
            if node is not None:
                return node
        return None


def _number(title: str) -> int | None:
    m = _NUMBERED.match(title)
    if not m:
        return None
    if m.group("roman"):
        return {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6}.get(m.group("roman"))
    if m.group("digit"):
        return int(m.group("digit"))
    return ord(m.group("letter")) - ord("a") + 1
