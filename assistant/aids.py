"""Search the funding-aid catalogue built at ingest: exact facet filters, ranking by a free-text profile."""

from __future__ import annotations

import re
from typing import Callable

from assistant.errors import NotFoundError
from vectorstore.models import Passage

FACETS = {"sector": "sectors", "beneficiary": "beneficiaries", "kind": "kind", "operator": "operator", "stage": "stages"}


def _values(card: dict, facet: str) -> list[str]:
    v = card[FACETS[facet]]
    return v if isinstance(v, list) else [v]


# What makes an aid time-bound, read from the passages a card cites: a year, a crisis, a recovery plan.
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SINCE = re.compile(r"(?:depuis|dès|des|since|from)\s+(?:l'année\s+|the year\s+)?$", re.IGNORECASE)  # a start, not a bound
_EPISODE = re.compile(r"covid(?:-19)?|crise sanitaire|confinement|health crisis|lockdown|france relance|"
                      r"plan de relance|recovery plan|pia ?4", re.IGNORECASE)


def describe(card: dict, passages: dict[str, Passage], documents: dict[str, dict]) -> dict:
    """The card with what it is worth: the documents that describe it and their date (``documents``,
    ``date``: the latest), and ``time_bound``: the years and episodes its passages tie it to ("2021",
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
    dates = sorted(d["date"] for d in described.values() if d["date"])
    return {**card, "documents": list(described.values()), "date": dates[-1] if dates else "",
            "time_bound": sorted(marks.values(), key=lambda m: (not m[:1].isdigit(), m))}


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

    def search(self, filters: dict[str, str], ranked_passages: Callable[[], list[tuple[str, float, list[str]]]] | None,
               limit: int | None = None) -> dict:
        """Cards carrying every filter value; with a profile, ranked by the passages its search returns.

        ``ranked_passages`` returns (passage_id, score, matched terms) best first, from the same hybrid
        retrieval as the chat: a card scores by the best-ranked passage it cites.
        """
        cards = [c for c in self.cards if all(v in _values(c, f) for f, v in filters.items())]
        why_filters = [f"{f}={v}" for f, v in filters.items()]
        if ranked_passages is None:
            out = [{**c, "why": why_filters} for c in cards]
        else:
            allowed = {c["id"] for c in cards}
            scored: dict[str, tuple[float, list[str]]] = {}
            for rank, (pid, score, via) in enumerate(ranked_passages()):
                for aid_id in self.by_passage.get(pid, []):
                    if aid_id in allowed and aid_id not in scored:
                        scored[aid_id] = (score, [f"cites passage ranked {rank + 1} for the profile", *via])
            order = sorted(scored, key=lambda a: -scored[a][0])
            out = [{**self.by_id[a], "score": round(scored[a][0], 5), "why": why_filters + scored[a][1]} for a in order]
        return {"aids": out[:limit] if limit else out, "facets": self.facets(cards)}
