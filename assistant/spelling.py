"""Typing errors in a question, corrected before it is understood.

People type fast: "feulle de route", "sumary", "Culturethek". Left as typed, such a word is one the
corpus never uses, which the refusal model reads as the most telling sign of an off-topic question
(``evals --typos`` on dev: answerable questions wrongly declined rose from 5% to 16%), and retrieval
misses it. A word is corrected when nothing knows it:

- not the corpus: the words ingest counted in every passage and translation (``extras/words.json``);
- not the language pack: its cue words ("summary", "compare", "résume"), nor the corpus's words with a
  clitic the pack lists ("لخارطة" is "ل" + "خارطة");
- not the languages themselves: a real word the corpus never uses ("weather", "tractor") is what makes
  an off-topic question off-topic, so a word common enough in a language (wordfreq's Zipf scale) stays;
  a rare one ("diffrence": slips are written too) is corrected only towards a word one edit away that is
  far more common (``SLIP_MARGIN``).

Known in any of the languages is known: questions mix them ("the objectifs under axe I"). A typing
error is corrected towards the words of the question's language.

It becomes the known word nearest to it in edits (a letter dropped, added, replaced, or two swapped:
one edit for words of 5 to 9 letters, two from 10; shorter words are too ambiguous), the most frequent in
the corpus among the nearest; none near enough, it stays as typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA
from wordfreq import zipf_frequency

from vectorstore.text import LETTER_RUN, fold

MIN_LETTERS = 5
# About once in a hundred million words: wordfreq knows it as a word of the language ("autrices" is
# 2.0, "podcasters" 1.6), while a slip is rarely written often enough to reach it (a few are: see
# RARE_WORD_ZIPF).
REAL_WORD_ZIPF = 1.0
# Some slips are written often enough to be in wordfreq ("diffrence" 1.6, "recieve" 2.8, "goverment"
# 2.7): a word that rare, one edit from a word of the corpus far more common in the language ("difference"
# 5.0), is that word mistyped (a noisy channel: the likelier intended word wins). A real word that rare
# near a common one is unlikely to be asked about in these documents' questions.
RARE_WORD_ZIPF = 3.0
SLIP_MARGIN = 2.0
SLIP_MIN_LETTERS = 7  # a shorter rare word has too many common neighbours to say which one was meant


def max_edits(word: str) -> int:
    """One edit from 5 letters, two from 10: a small corpus's words are few, and two edits of an
    8-letter word reach words it does not mean ("metavers" is two edits from "metiers")."""
    return 0 if len(word) < MIN_LETTERS else 1 if len(word) < 10 else 2


@dataclass(frozen=True)
class Correction:
    typed: str
    meant: str


class Speller:
    def __init__(self, words: dict[str, dict[str, int]], cue_words: dict[str, Iterable[str]],
                 clitics: dict[str, tuple[str, ...]] | None = None) -> None:
        """``words``: per language, the corpus's words and their counts; ``cue_words``: per language, the
        language pack's single words; ``clitics``: per language, what may be glued in front of a word."""
        self._clitics = clitics or {}
        self._known: dict[str, dict[str, tuple[str, int]]] = {}  # folded → (as written, count)
        self._by_length: dict[str, dict[int, list[str]]] = {}
        for lang in set(words) | set(cue_words):
            known: dict[str, tuple[str, int]] = {}
            shown: dict[str, tuple[int, str]] = {}  # the most frequent spelling of each folded word
            for word, count in sorted(words.get(lang, {}).items()):
                key = fold(word)
                known[key] = (word, count + known.get(key, ("", 0))[1])
                if key not in shown or count > shown[key][0]:
                    shown[key] = (count, word)
            known = {key: (shown[key][1], total) for key, (_, total) in known.items()}
            for word in cue_words.get(lang, ()):
                key = fold(word)
                known.setdefault(key, (word, 1))
            self._known[lang] = known
            by_length: dict[int, list[str]] = {}
            for key in known:
                by_length.setdefault(len(key), []).append(key)
            self._by_length[lang] = by_length

    def correct(self, text: str, lang: str) -> tuple[str, list[Correction]]:
        """``text`` with its unknown words replaced by the known words they were meant to be."""
        known = self._known.get(lang)
        if not known:
            return text, []
        corrections: list[Correction] = []

        def replace(m: re.Match[str]) -> str:
            typed = m.group()
            meant = self._meant(typed, lang, known)
            if meant is None:
                return typed
            corrections.append(Correction(typed, meant))
            return meant

        return LETTER_RUN.sub(replace, text), corrections

    def _in_vocabulary(self, key: str) -> bool:
        """The corpus or a pack knows the word (``key``: folded), in any language: questions mix them
        ("the objectifs under axe I", a French question quoting an English title)."""
        return any(key in known or any(key.startswith(c) and key[len(c):] in known for c in self._clitics.get(lang, ()))
                   for lang, known in self._known.items())

    def _meant(self, typed: str, lang: str, known: dict[str, tuple[str, int]]) -> str | None:
        key = fold(typed)
        edits = max_edits(key)
        if not edits or self._in_vocabulary(key):
            return None
        # a word of any of the languages is no typing error, unless rare and one edit from a far more common one
        zipf = max(zipf_frequency(typed.lower(), other) for other in self._known)
        if zipf >= RARE_WORD_ZIPF or (zipf >= REAL_WORD_ZIPF and len(key) < SLIP_MIN_LETTERS):
            return None
        slip_only = zipf >= REAL_WORD_ZIPF
        if slip_only:
            edits = 1
        candidates = [c for n in range(len(key) - edits, len(key) + edits + 1)
                      for c in self._by_length[lang].get(n, ())]
        found = process.extract(key, candidates, scorer=OSA.distance, score_cutoff=edits, limit=None)
        if slip_only:
            found = [f for f in found if zipf_frequency(known[f[0]][0].lower(), lang) - zipf >= SLIP_MARGIN]
        if not found:
            return None
        nearest = min(distance for _, distance, _ in found)
        # the most frequent of the nearest; equal counts, the first in alphabetical order (stable across runs)
        best = min((c for c, distance, _ in found if distance == nearest), key=lambda c: (-known[c][1], c))
        written = known[best][0]
        if typed.isupper() and len(typed) > 1:  # "FESTIVALL": as typed, in capitals
            return written.upper()
        return written[:1].upper() + written[1:] if typed[:1].isupper() else written
