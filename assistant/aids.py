"""Search the funding-aid catalogue built at ingest: exact facet filters, ranking by a free-text profile."""

from __future__ import annotations

import re

from assistant.errors import NotFoundError
from vectorstore.models import Passage

FACETS = {"sector": "sectors", "beneficiary": "beneficiaries", "kind": "kind", "operator": "operator", "stage": "stages"}


def _values(card: dict, facet: str) -> list[str]:
    v = card[FACETS[facet]]
    return v if isinstance(v, list) else [v]


# What makes an aid time-bound, read from the passages a card cites: a year, a crisis, a recovery plan.
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SINCE = re.compile(r"\b(?:depuis|dès|des|since|from|(?:lanc|cré|fond)\w{0,4}\s+en|(?:launched|created|founded|set\s+up)\s+in)"
                    r"\s+(?:l'année\s+|the year\s+)?$", re.IGNORECASE)  # a start ("lancé en 2016"), not a bound
_EPISODE = re.compile(r"covid(?:-19)?|crise sanitaire|confinement|health crisis|lockdown|france relance|"
                      r"plan de relance|recovery plan|pia ?4", re.IGNORECASE)


def describe(card: dict, passages: dict[str, Passage], documents: dict[str, dict]) -> dict:
    """The card with what it is worth: the documents that describe it, newest first, and the date of the
    first (``documents``, ``date``), and ``time_bound``: the years and episodes its passages tie it to ("2021",
    "Covid-19"), which may have ended since."""
    described, marks = {}, {}
    for c in card.get("citations", []):
        p = passages.get(c.get("passage_id", ""))
        doc = documents.get(c.get("document") or (p.document if p else ""), {})
        if doc:
            described[doc["id"]] = {"id": doc["id"], "title": doc.get("title", doc["id"]), "date": str(doc.get("date", ""))}
        for text in (c.get("quote", ""), p.text if p else ""):
            years = [m.group() for m in _YEAR.finditer(text) if not _SINCE.search(text[max(0, m.start() - 12):m.start()])]
            for m in [*years, *_EPISODE.findall(text)]:
                marks.setdefault(m.casefold(), m)
    # the newest document first ("2022-01-21" before "c. 2020"): the one a card shows, with its own date
    documents = sorted(described.values(), key=lambda d: _year(d["date"]), reverse=True)
    return {**card, "documents": documents, "date": documents[0]["date"] if documents else "",
            "time_bound": sorted(marks.values(), key=lambda m: (not m[:1].isdigit(), m))}


def _year(date: str) -> int:
    found = _YEAR.search(date)
    return int(found.group()) if found else 0


class AidCatalogue:
    def __init__(self, cards: list[dict]) -> None:
        self.cards = cards
        self.by_id = {c["id"]: c for c in cards}
        self.by_passage: dict[str, list[str]] = {}
        for c in cards:
            for cit in c["citations"]:
                self.by_passage.setdefault(cit["passage_id"], []).append(c["id"])

    def get(self, aid_id: str) -> dict:
        if aid_id not in self.by_id:
            raise NotFoundError(f"unknown aid {aid_id!r}")
        return self.by_id[aid_id]

    def facets(self, cards: list[dict]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {f: {} for f in FACETS}
        for c in cards:
            for f in FACETS:
                for v in _values(c, f):
                    out[f][v] = out[f].get(v, 0) + 1
        return {f: dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) for f, counts in out.items()}

    @staticmethod
    def carrying(cards: list[dict], filters: dict[str, str]) -> list[dict]:
        """The cards of ``cards`` that carry every filter value."""
        return [c for c in cards if all(v in _values(c, f) for f, v in filters.items())]

    def search(self, filters: dict[str, str]) -> dict:
        """The cards carrying every filter value, with the facet counts among them (a profile's
        relevance is ``assistant/aidmatch.py``'s)."""
        cards = self.carrying(self.cards, filters)
        return {"aids": [{**c, "why": [f"{f}={v}" for f, v in filters.items()]} for c in cards],
                "facets": self.facets(cards)}
