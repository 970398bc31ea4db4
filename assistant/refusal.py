"""Does retrieval support an answer? A small logistic model over three signals, fitted on the dev split.

- ``coverage``: the idf-weighted share of the question's words found in one of the best passages (see
  ``Assistant.coverage``); low when the documents do not talk about what is asked.
- ``unknown``: how much *specific* vocabulary the question uses that the corpus never does, in any of
  its languages (glossary terms count as known). Each such word weighs by how rare it is in general
  language (``wordfreq``'s Zipf scale): "passport", "croissant", "FIFA" weigh a lot, "anyone",
  "actually", "much" almost nothing. Corpus idf alone cannot tell those apart: both are unseen.
- ``temporal``: the question is anchored to the present ("cette année", "tomorrow", "الحالي"): the
  documents are dated and cannot say what is current.

``evals calibrate --write`` fits the weights (scikit-learn, at calibration time only) and picks the
probability threshold on the dev split; the assistant only computes a dot product. The weights live in
``assistant/abstention.json``.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from dataclasses import dataclass

from vectorstore.text import stem_words, strip_arabic_prefix, surface_words

log = logging.getLogger(__name__)

FEATURES = ("coverage", "unknown", "temporal")
# A word at least this frequent in general language (Zipf 6: "much", "last", "année") says nothing
# about the topic; below it, the rarer the word, the more its absence from the corpus tells.
COMMON_ZIPF = 6.0

_SURFACE_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]")
TEMPORAL = re.compile(
    r"\b(?:aujourd'hui|demain|hier|cette ann[ée]e|l'an (?:dernier|prochain)|l'ann[ée]e (?:derni[èe]re|prochaine)|"
    r"actuellement|actuel(?:le)?s?|en ce moment|today|tomorrow|yesterday|this year|last year|next year|"
    r"these days|currently|current|right now|so far|nowadays)\b"
    r"|اليوم|غدا|أمس|هذا العام|هذه السنة|العام الماضي|العام المقبل|الحالي|الحالية|حاليا",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=65536)
def zipf(word: str, lang: str) -> float:
    """How frequent ``word`` is in general ``lang`` text: Zipf scale, 0 (unknown) to about 8 ("the")."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, lang)


def warm_up() -> None:
    """Load wordfreq's lists now rather than on the first question (a few hundred ms each)."""
    for lang in ("fr", "en", "ar"):
        zipf("a", lang)


def unknown_mass(text: str, lang: str, vocabulary: frozenset[str], known: set[str]) -> float:
    """Sum, over the question's words that the corpus never uses, of how specific each word is.

    A word is used by the corpus when its stem is in ``vocabulary`` (every language's tokens and
    normalised surface words: Arabic stems of one word vary with its clitics, so the surface form is
    checked too) or among the tokens of the glossary terms the question names (``known``). Latin-script
    words in an Arabic question are looked up in English and French."""
    seen: set[str] = set()
    mass = 0.0
    # Without combining marks first: Arabic short vowels would otherwise cut "تُنظَّم" into pieces.
    text = "".join(c for c in unicodedata.normalize("NFC", text) if not unicodedata.combining(c))
    for word in _SURFACE_WORD.findall(text.replace("’", "'").replace("'", " ")):
        forms = surface_words(word, lang)  # normalised as the vocabulary holds them
        tokens = stem_words(forms, lang)
        if not tokens or tokens[0] in seen:
            continue
        seen.add(tokens[0])
        if any(t in vocabulary or t in known for t in tokens) or any(
                f in vocabulary or strip_arabic_prefix(f) in vocabulary for f in forms):
            continue
        word = word.lower()
        langs = ("en", "fr") if lang == "ar" and _LATIN.match(word) else (lang,)
        mass += max(0.0, COMMON_ZIPF - max(zipf(word, lg) for lg in langs))
    return mass


def is_temporal(text: str) -> bool:
    return bool(TEMPORAL.search(text.replace("’", "'")))


@dataclass(frozen=True)
class RefusalModel:
    """P(answerable) = sigmoid(intercept + coef · features); answer when it reaches ``threshold``."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float

    @classmethod
    def from_dict(cls, data: dict) -> "RefusalModel":
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError(f"abstention model has features {data.get('features')}, expected {list(FEATURES)}: "
                             "run `evals calibrate --write`")
        return cls(tuple(float(c) for c in data["coef"]), float(data["intercept"]), float(data["threshold"]))

    @classmethod
    def load(cls, data: dict) -> "RefusalModel":
        """The calibrated model; if the file is from another version of the signals, a coverage-only
        stand-in (answer when a third of the question is covered) and a warning, so that
        ``evals calibrate`` can still start the assistant to write a new one."""
        try:
            return cls.from_dict(data)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("%s; using a coverage-only refusal rule until then", exc)
            return cls((12.0, 0.0, 0.0), -4.0, 0.5)

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept + sum(c * features[name] for c, name in zip(self.coef, FEATURES))
        return 1.0 / (1.0 + math.exp(-z))

    def answers(self, features: dict[str, float]) -> bool:
        return self.probability(features) >= self.threshold
