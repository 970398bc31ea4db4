"""Deterministic language identification for questions (fr / en / ar).

Script first (Arabic letters), then French and English cues: function words, accents, elisions. A tie
falls back to the caller's default (the interface language), so "CNC ?" is read in the user's language.
"""

from __future__ import annotations

import re

from vectorstore.text import fold

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ]")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

_FR = frozenset(
    "le la les un une des du de au aux et ou est sont dans sur pour par avec qui que quoi quel quelle quels "
    "quelles comment pourquoi combien existe il elle ils elles nous vous je ce cette ces son sa ses leur "
    "leurs en ne pas plus aide aides quand ou qu est-ce y a-t-il peut-on faut-il sur-le pour-la mon ma mes "
    "culture numerique feuille route soutien jeu jeux musique livre cinema".split()
)
_EN = frozenset(
    "the a an and or is are was were in on for by with who what which how why when where does do did "
    "can could there their they it its this that these those of to from about any some my our your i "
    "grant grants support funding music book books film films video game games digital roadmap".split()
)
_FR_MARKS = re.compile(r"[éèêëàâçùûôîïœ]|\b(?:l|d|qu|j|n|s|c)'")


def detect_language(text: str, default: str = "fr") -> str:
    arabic = len(_ARABIC.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic and arabic >= latin * 0.5:
        return "ar"
    lowered = text.lower()
    words = _WORD.findall(fold(text))
    fr = sum(w in _FR for w in words) + 1.5 * len(_FR_MARKS.findall(lowered))
    en = sum(w in _EN for w in words)
    if fr > en:
        return "fr"
    if en > fr:
        return "en"
    return default if default in ("fr", "en", "ar") else "fr"
