"""The funding-aid catalogue: a reviewed data file, checked against the passages at ingest.

``corpus/aids.yaml`` holds one card per aid, call, competition, residency, programme or resource, with
quotes from the documents as citations. A card is refused (and reported) when a quote does not occur in
a passage of the cited document: the catalogue can never cite text the corpus does not hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from ingest.errors import CorpusError
from vectorstore.models import Passage
from vectorstore.text import fold

AidKind = Literal[
    "grant", "call-for-projects", "call-for-expressions-of-interest", "competition", "bursary", "residency",
    "support-programme", "platform-resource",
]
Sector = Literal[
    "cinema-audiovisual", "video-games", "music", "books-press", "performing-arts", "visual-digital-arts",
    "heritage-architecture", "photography", "all-cci",
]
Beneficiary = Literal[
    "authors-artists", "companies-producers", "publishers", "venues-institutions", "associations", "start-ups",
    "foreign-professionals", "young-people", "researchers", "general-public",
]
Stage = Literal[
    "creation", "production", "distribution", "digitisation", "export", "modernisation", "ecological-transition",
    "training",
]


class CitationIn(BaseModel):
    document: str
    quote: str = Field(min_length=10)


class AidCard(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=2)
    operator: str = Field(min_length=2)
    kind: AidKind
    sectors: list[Sector] = Field(min_length=1)
    beneficiaries: list[Beneficiary] = Field(min_length=1)
    stages: list[Stage] = Field(min_length=1)
    geography: str = ""
    summary: dict[Literal["fr", "en", "ar"], str]
    citations: list[CitationIn] = Field(min_length=1)


def load_cards(path: Path) -> list[AidCard]:
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(f"{path}: invalid YAML ({exc})") from exc
    cards, seen = [], set()
    for i, raw in enumerate(data.get("aids", [])):
        try:
            card = AidCard.model_validate(raw)
        except ValidationError as exc:
            raise CorpusError(f"{path}: aid #{i} ({raw.get('id', '?')}): {exc.errors()[0]['msg']} at "
                              f"{'.'.join(map(str, exc.errors()[0]['loc']))}") from exc
        if card.id in seen:
            raise CorpusError(f"{path}: duplicate aid id {card.id!r}")
        seen.add(card.id)
        cards.append(card)
    return cards


def _find_passage(passages: list[Passage], document: str, quote: str) -> Passage | None:
    needle = fold(quote)
    for p in passages:
        if p.document == document and needle in fold(p.text):
            return p
    return None


def build_catalogue(path: Path, passages: list[Passage]) -> tuple[list[dict], list[str]]:
    """Cards with citations resolved to passage ids; refused cards are returned as report lines."""
    out, refused = [], []
    for card in load_cards(path):
        citations = []
        for c in card.citations:
            p = _find_passage(passages, c.document, c.quote)
            if p is None:
                refused.append(f"aid {card.id}: quote not found in {c.document}: {c.quote[:60]!r}")
                break
            citations.append({"passage_id": p.passage_id, "document": p.document, "quote": c.quote})
        else:
            out.append({**card.model_dump(exclude={"citations"}), "citations": citations})
    return out, refused
