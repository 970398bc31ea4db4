"""The aid finder's relevance: which aid cards fit a person's description of themselves, or none.

A profile ("je dirige une salle de concert et je cherche à financer des captations") is read like a chat
question: its language, its words (stemmed, idf-weighted), and the facet values it names through the
language pack's ``profile`` lexicon (sectors, beneficiaries, kinds of support: "salle de concert" names
music and venues). Each card is then scored on these signals:

- ``text``: the idf-weighted share of the profile's words (those asking for money, and those no card
  holds, aside) found in the
  card (name, operator, summary in the profile's language) and in the passages it cites (as indexed in
  that language);
- ``passage``: how high the hybrid search for the profile ranks the best passage the card cites;
- ``similarity``: the profile's best cosine with the card's summary or a passage it cites, in the
  profile's language, as a share of the way from the catalogue's median to identical (the ``AID_MODEL``
  encoder, multilingual-e5-small by default: what the person does and wants, said in other words than
  the card's; 0 where the encoder does not read the language);
- ``sector``, ``beneficiary``: +1 when the card carries the value the profile names most, +0.5 another it
  names, -1 none of them (a card for every cultural sector is neither), 0 when the profile names none;
- ``kind``: 1 when the card gives the kind of support the profile names (a residency, a competition;
  "funding" names every kind that gives money), or, naming none, any kind that gives money: a person
  describing themselves to an aid finder is looking for support;
- ``named``: 1 when the profile names a sector or a kind of beneficiary at all (a restaurant owner names
  neither: no card of these documents is for them);
- ``unknown``: the mass of the profile's words the corpus never uses ("tracteur", "vaches laitières");
  the fit may leave it out (weight 0) when it points the wrong way on dev.

A logistic model over these eight (``assistant/aidmatch.json``, fitted on the dev profiles by ``evals calibrate
--aids``, weights constrained in sign) gives each card a probability; the cards at or above the fitted
threshold are returned best first, and an empty list when none is (an honest "none").
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.lang import pack
from assistant.refusal import logistic, unknown_mass
from assistant.sentences import SentenceBank, Wanted
from vectorstore.text import content_hash, stem_words, surface_words, tokenize

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).with_name("aidmatch.json")
FEATURES = ("text", "passage", "similarity", "sector", "beneficiary", "kind", "named", "unknown")
# The direction each signal may push a card, whatever a fit says (evals calibrate --aids).
SIGNS = {"text": 1, "passage": 1, "similarity": 1, "sector": 1, "beneficiary": 1, "kind": 1, "named": 1, "unknown": -1}
FACET_OF = {"sectors": "sector", "beneficiaries": "beneficiary", "kinds": "kind"}
# "funding", "une aide", "تمويل" ask for money in any form: every kind that gives some names it.
KIND_FAMILIES = {"funding": {"grant", "call-for-projects", "call-for-expressions-of-interest", "competition", "bursary",
                             "residency", "support-programme"}}
NEUTRAL_SECTOR = "all-cci"  # a card for every cultural industry neither meets nor misses a named sector
# The kinds of support a question asks for when it asks for an aid: money, a place, a prize (not a
# "network", a "programme", a "guide": words a question about anything may use).
SUPPORT_KINDS = frozenset({"grant", "bursary", "competition", "call-for-projects", "call-for-expressions-of-interest",
                           "residency"})


def asks_for_support(text: str, lang: str, any_kind: bool = False) -> bool:
    """Whether ``text`` names a kind of support (``SUPPORT_KINDS``, or a word asking for money in any
    form: "une aide", "funding", "تمويل"; with ``any_kind``, a platform, a programme, a network too),
    by the language pack's ``profile`` lexicon."""
    present = frozenset(tokenize(text, lang))
    return any(tokens <= present for value, _, tokens in pack(lang).profile.get("kinds", [])
               if any_kind or value in SUPPORT_KINDS or value in KIND_FAMILIES)


@dataclass(frozen=True)
class Profile:
    """A person's description, read."""

    text: str
    language: str
    tokens: frozenset[str]  # the words it asks with, stemmed (what the card's text is matched on)
    named: dict[str, dict[str, list[str]]]  # facet -> value -> the phrases of the profile that name it
    unknown: float
    vector: np.ndarray | None = None
    words: dict[str, str] = field(default_factory=dict)  # token -> the word of the profile it comes from

    def values(self, facet: str) -> set[str]:
        """The facet values the profile names ("funding" stands for every kind that gives money)."""
        values = set(self.named.get(facet, {}))
        for family in values & KIND_FAMILIES.keys():
            values |= KIND_FAMILIES[family]
        return values


@dataclass(frozen=True)
class AidModel:
    """P(the card fits) = sigmoid(intercept + coef · signals); kept when it reaches ``threshold``."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "AidModel":
        """The fitted model; a file from other signals (or none) gives a text-and-facets stand-in and a
        warning, so that ``evals calibrate --aids`` can still start the assistant to write a new one."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if tuple(data["features"]) != FEATURES:
                raise ValueError(f"aid model has features {data['features']}, expected {list(FEATURES)}")
            return cls(tuple(float(c) for c in data["coef"]), float(data["intercept"]), float(data["threshold"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s; using a stand-in aid model until `evals calibrate --aids --write`", exc)
            return cls((6.0, 2.0, 0.0, 1.0, 0.5, 0.5, 1.0, 0.0), -4.0, 0.5)

    def probability(self, signals: dict[str, float]) -> float:
        return logistic(self.intercept, self.coef, FEATURES, signals)


@dataclass
class Scored:
    card: dict
    signals: dict[str, float]
    probability: float = 0.0
    met: list[str] = field(default_factory=list)  # the profile's words the card's text holds (as written)
    facets: list[str] = field(default_factory=list)  # "sector=music": the named values the card carries


class Encoder(Protocol):
    """Profiles as questions, card summaries as passages (one function for both with a symmetric model)."""

    def queries(self, texts: list[str]) -> np.ndarray: ...
    def passages(self, texts: list[str]) -> np.ndarray: ...


class AidMatcher:
    def __init__(self, cards: list[dict], bank: SentenceBank, encoder: Encoder, reads: tuple[str, ...] | list[str],
                 vocabulary: frozenset[str], model: AidModel | None = None, cache: Path | None = None) -> None:
        self.cards = cards
        self.bank = bank
        self.encoder = encoder
        self.reads = tuple(reads)  # the languages the encoder reads
        self.vocabulary = vocabulary
        self.model = model or AidModel.load()
        self.cache = cache  # a folder where card vectors are kept between runs (encoding them takes seconds)
        self._tokens: dict[tuple[str, str], frozenset[str]] = {}
        self._catalogue: dict[str, frozenset[str]] = {}
        self._vectors: dict[str, dict[str, np.ndarray]] = {}  # lang -> card id -> its texts' vectors
        self._lock = threading.Lock()

    # --- reading a profile ------------------------------------------------------------------------

    def read(self, text: str, lang: str, known: set[str] | frozenset[str] = frozenset(), encode: bool = True) -> Profile:
        """The profile's words and the facet values it names; with ``encode``, its vector too (the only
        costly part: a question that asks for no aid is read without it)."""
        p = pack(lang)
        all_tokens = tokenize(text, lang)
        present = frozenset(all_tokens)
        named: dict[str, dict[str, list[str]]] = {}
        for facet, rows in p.profile.items():
            met = [(value, phrase, tokens) for value, phrase, tokens in rows if tokens <= present]
            for value, phrase, tokens in met:
                # the longest phrase met speaks: "jeune pousse" (a start-up) is not "jeune" (young people)
                if not any(tokens < other for _, _, other in met):
                    named.setdefault(facet, {}).setdefault(value, []).append(phrase)
        # The words asking for money or support name a kind (``kind``), not what the person does.
        kinds = frozenset().union(*(tokens for value, phrase, tokens in p.profile.get("kinds", [])
                                    if phrase in named.get("kinds", {}).get(value, [])))
        # A profile of request words alone ("funding") has no topic: its text matches no card's
        asked = frozenset(t for t in all_tokens if t not in p.asking_tokens and t not in kinds and not t.isdigit())
        vector = self.encoder.queries([text])[0] if encode and lang in self.reads else None
        words: dict[str, str] = {}
        for word in surface_words(text, lang):  # "concerts" shown for the token "concert"
            for token in stem_words([word], lang):
                words.setdefault(token, word)
        return Profile(text, lang, asked, named, round(unknown_mass(text, lang, self.vocabulary, set(known)), 4),
                       vector, words)

    # --- scoring the cards ------------------------------------------------------------------------

    def score(self, profile: Profile, cards: list[dict], ranked: list[str]) -> list[Scored]:
        """Every card of ``cards`` with its signals and probability, best first. ``ranked``: passage
        ids the profile's hybrid search returned, best first."""
        rank = {pid: i for i, pid in enumerate(ranked)}
        # Only the words some card holds count: one no card holds ("SMAC", "tracteur") would take the highest
        # idf and squash every card's share alike (those the corpus never uses weigh in ``unknown``).
        wanted = Wanted(self.bank, profile.language, set(profile.tokens) & self.catalogue_tokens(profile.language))
        sims = self._similarities(profile, cards)
        out = []
        for card, sim in zip(cards, sims):
            tokens = self.card_tokens(card, profile.language)
            met = sorted({profile.words.get(t, t) for t in wanted.weights.keys() & tokens})
            ranks = [rank[c["passage_id"]] for c in card["citations"] if c["passage_id"] in rank]
            facets: list[str] = []
            signals = {"text": round(wanted.overlap(tokens), 4),
                       "passage": round(1.0 / (1.0 + min(ranks) / 5.0), 4) if ranks else 0.0,
                       "similarity": sim,
                       "sector": _facet_signal(profile.named.get("sectors", {}), set(card["sectors"]), facets,
                                               "sector", neutral=NEUTRAL_SECTOR),
                       "beneficiary": _facet_signal(profile.named.get("beneficiaries", {}), set(card["beneficiaries"]),
                                                    facets, "beneficiary"),
                       "kind": 0.0,
                       "named": float(bool(profile.named.get("sectors") or profile.named.get("beneficiaries"))),
                       "unknown": profile.unknown}
            asked_kinds = profile.values("kinds")
            if card["kind"] in (asked_kinds or KIND_FAMILIES["funding"]):
                signals["kind"] = 1.0
                if asked_kinds:  # "why" says only what the profile said
                    facets.append(f"kind={card['kind']}")
            scored = Scored(card, signals, round(self.model.probability(signals), 4), met, facets)
            out.append(scored)
        out.sort(key=lambda s: (-s.probability, s.card["id"]))
        return out

    def catalogue_tokens(self, lang: str) -> frozenset[str]:
        """Every token some card holds in ``lang`` (``card_tokens``): the words a profile can be matched on
        (made once per language, under the lock: concurrent first requests make it once)."""
        if lang not in self._catalogue:
            with self._lock:
                if lang not in self._catalogue:
                    self._catalogue[lang] = frozenset().union(*(self.card_tokens(c, lang) for c in self.cards))
        return self._catalogue[lang]

    def card_tokens(self, card: dict, lang: str) -> frozenset[str]:
        """The card's name, operator and summary in ``lang``, and the passages it cites that read in
        ``lang`` (as indexed: with their contextual header)."""
        key = (card["id"], lang)
        if key not in self._tokens:
            summary = card.get("summary", {})
            text = " ".join([card["name"], str(card.get("operator", "")), summary.get(lang) or summary.get("fr", "")])
            tokens = set(tokenize(text, lang))
            passages = self.bank.index.passages
            for c in card["citations"]:
                p = passages.get(c["passage_id"])
                if p is not None and p.has_text_in(lang):
                    tokens |= self.bank.entry_tokens(p, lang)
            self._tokens[key] = frozenset(tokens)
        return self._tokens[key]

    def _similarities(self, profile: Profile, cards: list[dict]) -> list[float]:
        """Each card's best cosine with the profile (its summary or a passage it cites, in the profile's
        language) as a share of the way from the catalogue's median to 1 (0 for every card where the
        encoder does not read the profile's language)."""
        if profile.vector is None or not cards:
            return [0.0] * len(cards)
        vectors = self.card_vectors(profile.language)
        every = {card_id: float(np.max(m @ profile.vector)) for card_id, m in vectors.items()}
        cos = np.array([every.get(c["id"], 0.0) for c in cards])
        median = float(np.median(list(every.values())))  # of the whole catalogue: filters do not move it
        return [round(float(x), 4) for x in (cos - median) / max(1e-6, 1.0 - median)]

    def card_texts(self, lang: str) -> list[tuple[str, str]]:
        """(card id, text) of what a card says in ``lang``: its summary (its name where it has none) and
        each passage it cites that reads in ``lang``."""
        passages = self.bank.index.passages
        rows = []
        for c in self.cards:
            rows.append((c["id"], c.get("summary", {}).get(lang) or c["name"]))
            for cit in c["citations"]:
                p = passages.get(cit["passage_id"])
                if p is not None and p.has_text_in(lang):
                    rows.append((c["id"], p.text_in(lang)))
        return rows

    def card_vectors(self, lang: str) -> dict[str, np.ndarray]:
        """Each card's texts in ``lang`` (``card_texts``), encoded once (a matrix per card); kept in
        ``cache`` under a name that changes with the texts and the encoder."""
        if lang in self._vectors:
            return self._vectors[lang]
        with self._lock:  # concurrent first requests (and the start-up warm-up) encode once
            if lang in self._vectors:
                return self._vectors[lang]
            rows = self.card_texts(lang)
            matrix = self._cached(rows, lang)
            by_card: dict[str, list[np.ndarray]] = {}
            for (card_id, _), v in zip(rows, matrix):
                by_card.setdefault(card_id, []).append(v)
            self._vectors[lang] = {card_id: np.stack(vs) for card_id, vs in by_card.items()}
            return self._vectors[lang]

    def _cached(self, rows: list[tuple[str, str]], lang: str) -> np.ndarray:
        """The rows' vectors, from ``cache`` when a file of the same texts and encoder is there and reads
        whole; else encoded and written there (under a unique temporary name, then renamed: a reader
        never sees half a file). A file that does not read is removed and written again."""
        key = content_hash(getattr(self.encoder, "signature", ""), lang, *(f"{i}\x1e{t}" for i, t in rows))
        path = self.cache / f"aid-vectors-{key}.npy" if self.cache else None
        if path is not None and path.is_file():
            try:
                matrix = np.load(path, allow_pickle=False)
                if matrix.shape[0] == len(rows):
                    return matrix
            except Exception as exc:  # truncated, not an array (EOFError, ValueError, …): encode again
                log.warning("aid vectors in %s unreadable (%s): encoding again", path.name, exc)
            path.unlink(missing_ok=True)
        matrix = (np.asarray(self.encoder.passages([t for _, t in rows]), dtype=np.float32) if rows
                  else np.zeros((0, 1), dtype=np.float32))
        if path is not None:
            tmp = path.with_name(f"{path.stem}.{uuid.uuid4().hex}.tmp.npy")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(tmp, matrix)
                tmp.replace(path)
            except OSError as exc:  # a read-only or full data folder: encoded again next run, nothing lost
                log.warning("aid vectors not cached: %s", exc)
                tmp.unlink(missing_ok=True)
        return matrix


def _facet_signal(named: dict[str, list[str]], carried: set[str], met: list[str], facet: str,
                  neutral: str | None = None) -> float:
    """+1 when the card carries the value the profile names most (by its phrases), +0.5 when another it
    names, -1 when none of them (0 for a profile naming none, or a card carrying ``neutral``: every sector)."""
    if not named:
        return 0.0
    common = set(named) & carried
    if common:
        met.extend(f"{facet}={v}" for v in sorted(common))
        most = max(len(phrases) for phrases in named.values())
        return 1.0 if any(len(named[v]) == most for v in common) else 0.5
    return 0.0 if neutral in carried else -1.0
