"""Gold questions as people type them: one slip of the finger in one word.

``evals --typos`` asks every gold question with one typing error in its longest lower-case word (six
letters at least, capitalised only as the first word: a name, a number or a short word is left alone): a letter dropped, doubled, swapped
with the next, or replaced by a neighbour on the keyboard. The slip is drawn from the question's id, so
every run asks the same misspelled questions and two systems can be compared on them.
"""

from __future__ import annotations

import random
import re

from evals.gold import QAItem

MIN_LETTERS = 6
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Neighbours on an AZERTY/QWERTY keyboard (the letters both layouts share as neighbours) and, for Arabic,
# on the Arabic layout.
_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn", "qwertyuiop", "asdfghjkl", "zxcvbnm",
         "ضصثقفغعهخحجد", "شسيبلاتنمكط", "ئءؤرلاىةوزظ")
_NEIGHBOURS: dict[str, str] = {}
for _row in _ROWS:
    for _i, _c in enumerate(_row):
        _NEIGHBOURS[_c] = _NEIGHBOURS.get(_c, "") + _row[max(0, _i - 1):_i] + _row[_i + 1:_i + 2]


def misspell(text: str, key: str) -> str:
    """``text`` with one typing error in its longest lower-case word (the first of equals), drawn from ``key``;
    ``text`` unchanged when no word qualifies."""
    words = [m for m in _WORD.finditer(text) if len(m.group()) >= MIN_LETTERS and _lower(m.group()[1:])
             and (_lower(m.group()[0]) or not text[:m.start()].strip())]  # a capital: the first word only
    if not words:
        return text
    target = max(words, key=lambda m: len(m.group()))
    word, rng = target.group(), random.Random(key)
    i = rng.randrange(1, len(word) - 1)  # never the first letter: people rarely miss it
    kind = rng.choice(("drop", "double", "swap", "neighbour"))
    if kind == "drop":
        slipped = word[:i] + word[i + 1:]
    elif kind == "double":
        slipped = word[:i] + word[i] + word[i:]
    elif kind == "swap" and word[i] != word[i + 1]:
        slipped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    else:
        near = _NEIGHBOURS.get(word[i], "")
        slipped = word[:i] + (rng.choice(near) if near else "") + word[i + 1:]
    return text[:target.start()] + slipped + text[target.end():]


def _lower(text: str) -> bool:
    """No capital letter (Arabic has none)."""
    return text == text.lower()


def with_typos(items: list[QAItem]) -> tuple[list[QAItem], int]:
    """The items with their questions misspelled, and how many could be."""
    out = [item.model_copy(update={"question": misspell(item.question, item.id)}) for item in items]
    return out, sum(a.question != b.question for a, b in zip(items, out))
