"""Language packs: what understanding a question needs to know about each language, as data.

One YAML file per language (``fr.yaml``, ``en.yaml``, ``ar.yaml``) lists the cue phrases of each intent,
the nouns naming the roadmap's levels, number and ordinal words, what joins the sides of a comparison,
instruction phrases (prompt injection), what a message may open with before it asks (acknowledgements,
links, words announcing a new subject), how people describe themselves and ask whether some support
exists for them, small talk, follow-up openers and pronouns, and the stock phrases of the answers. One
engine (``Pack``) reads them; nothing in the pipeline branches on a language code. Adding a language is adding a file (and its rows in ``tests/assistant/test_lang.py``).

Every cue list is compiled into one alternation of escaped literals (a ``*`` stands for one to three
words), matched on folded text (lower case, no accents) at word boundaries: linear in the length of the
message, whatever it holds.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from vectorstore.text import fold

HERE = Path(__file__).parent
LEVELS = ("axis", "objective", "sub_objective", "measure", "good_practice")


class Cues:
    """A list of phrases matched whole-word on folded text (``prefixes``: clitics that may be glued in
    front of a phrase, Arabic "و"/"ف"); ``anchored``: only at the start of the text."""

    def __init__(self, phrases: list[str], prefixes: list[str] = (), anchored: bool = False) -> None:
        self.phrases = [fold(str(p)) for p in phrases if fold(str(p))]
        alternation = "|".join(re.escape(p).replace(r"\*", r"\w+(?:[ '-]\w+){0,2}") for p in
                               sorted(set(self.phrases), key=len, reverse=True))
        clitic = f"(?:{'|'.join(re.escape(fold(p)) for p in prefixes)})?" if prefixes else ""
        start = r"^\W*" if anchored else r"(?<!\w)"
        self.pattern = re.compile(f"{start}{clitic}(?:{alternation})(?!\\w)") if self.phrases else None

    def search(self, folded: str) -> re.Match[str] | None:
        return self.pattern.search(folded) if self.pattern else None

    def all(self, folded: str) -> list[re.Match[str]]:
        return list(self.pattern.finditer(folded)) if self.pattern else []

    def __contains__(self, folded: str) -> bool:
        return self.search(folded) is not None


@dataclass(frozen=True)
class Replies:
    lead_in: str
    lead_in_list: str
    list_of: str
    outline_of: str
    summary_of: str
    yes_no: str
    unsettled: str
    howto: str
    compare_missing: str
    label_separator: str
    original_language: str
    language_names: dict[str, str]
    welcome: str  # the reply to thanks or an acknowledgement alone


class Pack:
    """One language's pack, compiled."""

    def __init__(self, data: dict) -> None:
        self.code: str = data["code"]
        prefixes = data.get("prefixes", [])
        self.prefixes = [fold(str(c)) for c in prefixes]  # clitics glued in front of a word ("و")
        self.clitics = tuple(fold(str(c)) for c in data.get("clitics", []))  # every proclitic, longest first
        anchored = set(data.get("anchored", []))
        self.intents = {name: Cues(phrases, prefixes, name in anchored) for name, phrases in data["intents"].items()}
        self.inversion = [fold(s) for s in data.get("inversion", [])]
        self.units = {level: Cues(data["units"].get(level, []), prefixes) for level in LEVELS}
        self.numbers = {fold(str(k)): int(v) for k, v in data.get("numbers", {}).items()}
        self.ordinals = {fold(str(k)): int(v) for k, v in data.get("ordinals", {}).items()}
        self.comparison_joins = [fold(s) for s in data["comparison"]["joins"]]
        self.comparison_opens = [fold(s) for s in data["comparison"]["opens"]]
        self.injection = Cues(data.get("injection", []), prefixes)
        self.connectors = Cues(data.get("connectors", []), prefixes, anchored=True)
        self.small_talk = [fold(s) for s in data.get("small_talk", [])]
        self.switches = Cues(data.get("switches", []), prefixes, anchored=True)
        self.acknowledgements = Cues(data.get("acknowledgements", []), prefixes, anchored=True)
        self.seeking = Cues(data.get("seeking", []), prefixes)
        self.self_description = Cues(data.get("self_description", []), prefixes)
        self.about_me = Cues(data.get("about_me", []), prefixes)
        self.openers = Cues(data["follow_up"]["openers"], anchored=True)
        self.pronouns = Cues(data["follow_up"]["pronouns"], prefixes)
        self.replies = Replies(**data["replies"])
        self.profile_phrases: dict[str, dict[str, list[str]]] = data.get("profile", {})
        # Every cue word of every intent, and the words linking what is listed to its subject ("which
        # measures *concern* video games"): the words that say how a question asks, not what about.
        self.relations: list[str] = [str(r) for r in data.get("relations", [])]
        self.cue_words = frozenset(w for cues in self.intents.values() for p in cues.phrases for w in p.split()) | \
            frozenset(w for r in self.relations for w in r.split())

    @functools.cached_property
    def asking_tokens(self) -> frozenset[str]:
        """The index tokens of every intent cue, relation word and level noun ("quels", "résume",
        "concernent", "axes"): words that say how a question asks, not what about. Tokenised once per
        language."""
        from vectorstore.text import tokenize

        tokens = set(tokenize(" ".join(self.cue_words), self.code))
        for level in self.units.values():
            tokens |= set(tokenize(" ".join(level.phrases), self.code))
        return frozenset(tokens)

    @functools.cached_property
    def profile(self) -> dict[str, list[tuple[str, str, frozenset[str]]]]:
        """For each facet a person's description can name ("sectors", "beneficiaries", "kinds"): the
        (value, phrase, index tokens of the phrase) of the pack's ``profile`` lexicon. A phrase is met when
        all its tokens are among the text's (stemmed, any order: "musiciens" meets "musicien")."""
        from vectorstore.text import tokenize

        out: dict[str, list[tuple[str, str, frozenset[str]]]] = {}
        for facet, values in self.profile_phrases.items():
            rows = out.setdefault(facet, [])
            for value, phrases in values.items():
                for phrase in phrases:
                    tokens = frozenset(tokenize(str(phrase), self.code))
                    if tokens:
                        rows.append((value, str(phrase), tokens))
        return out

    def number(self, word: str) -> int | None:
        """A count written as digits or a number word ("3", "trois", "three", "ثلاثة")."""
        folded = fold(word)
        if folded.isdigit() and len(folded) <= 3:
            return int(folded)
        return self.numbers.get(folded)

    def ordinal(self, word: str) -> int | None:
        """A position written as a roman numeral, digits or an ordinal word ("II", "2", "deuxième")."""
        folded = fold(word)
        roman = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}
        if folded in roman:
            return roman[folded]
        if folded.isdigit() and len(folded) <= 2:
            return int(folded)
        return self.ordinals.get(folded)


@functools.lru_cache(maxsize=None)
def pack(code: str) -> Pack:
    """The compiled pack of language ``code`` (a ``KeyError``-free lookup: unknown codes read English)."""
    path = HERE / f"{code}.yaml"
    if not path.is_file():
        path = HERE / "en.yaml"
    return Pack(yaml.safe_load(path.read_text(encoding="utf-8")))


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.yaml"))
