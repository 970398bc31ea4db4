"""Names the corpus writes in Latin letters, asked about in Arabic letters.

The Arabic translations keep programme and institution names as the sources write them ("تتيح Villa
Albertine…", "Culturethèque"), while an Arabic speaker often spells them in Arabic letters: "فيلا
ألبرتين", "كولتوريتيك". Neither the lexical index nor the English embedding model can see that these
are the same word. Both spellings are reduced to a consonant skeleton (short vowels are not written in
Arabic and long ones vary, so only consonants are compared, in classes that Arabic transliteration keeps
apart: "Albertine" and "ألبرتين" are both ``lbrtn``), and an Arabic word the corpus never uses is read
as the Latin name with the same skeleton, if the Arabic text of the corpus has one.

Only a spelling can be a name: a run of words that are all common in general Arabic ("نسيت", I forgot;
"تنص", it stipulates) or that holds a letter no French or English name is spelt with (ع, ح) is read
as Arabic, whatever its consonants happen to match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Arabic letters -> consonant class; letters that write vowels, glides or h-like sounds are dropped.
_ARABIC = {
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "د": "d", "ض": "d", "ذ": "d", "ف": "f", "ڤ": "f",
    "ج": "g", "غ": "g", "گ": "g", "ك": "k", "ق": "k", "خ": "k", "ل": "l", "م": "m", "ن": "n", "ر": "r",
    "س": "s", "ص": "s", "ز": "s", "ش": "s", "ظ": "s",
}
# Latin digraphs (and x) first, then letters; vowels, h, w and y are dropped (Arabic writes them as vowels).
_LATIN_DIGRAPHS = (("ph", "f"), ("ch", "s"), ("sh", "s"), ("th", "t"), ("qu", "k"), ("gu", "g"), ("ck", "k"),
                   ("x", "ks"))
_LATIN = {"b": "b", "p": "b", "t": "t", "d": "d", "f": "f", "v": "f", "g": "g", "j": "g", "k": "k", "q": "k",
          "l": "l", "m": "m", "n": "n", "r": "r", "s": "s", "z": "s"}
_SOFT_C = re.compile(r"c(?=[eiy])")
_LATIN_NAME = re.compile(r"^[a-z]+(?: [a-z]+)?$")
_ARABIC_WORD = re.compile("^[\u0600-\u06ff]+$")
_NOT_IN_NAMES = re.compile("[عح]")  # Arabic sounds French and English names do not have
MIN_CONSONANTS = 3  # "فيلا"/"villa" (fl) says too little to be matched on its own
MAX_WORDS = 4  # "ماي فرنش فيلم فستيفال" is one Latin word: MyFrenchFilmFestival
MAX_NAMES = 3  # a skeleton shared by more Latin words is too ambiguous to follow


def _collapse(skeleton: str) -> str:
    return re.sub(r"(.)\1+", r"\1", skeleton)


def arabic_skeleton(word: str) -> str:
    return _collapse("".join(_ARABIC.get(c, "") for c in word))


def latin_skeletons(word: str) -> set[str]:
    """The skeleton of a folded Latin word (or of two, run together), and the one without a final
    silent consonant (French "Folies" is said and spelt in Arabic without its s: "فولي")."""
    word = word.replace(" ", "")
    text = _SOFT_C.sub("s", word)
    for digraph, sound in _LATIN_DIGRAPHS:
        text = text.replace(digraph, sound)
    text = text.replace("c", "k")
    full = _collapse("".join(_LATIN.get(c, "") for c in text))
    out = {full}
    if word[-1:] in ("s", "x", "t", "d") and len(full) > 1:
        out.add(full[:-1])
    return out


class NameBridge:
    """Latin names of the corpus's Arabic text, found from their Arabic spelling."""

    def __init__(self, latin_names: Iterable[str]) -> None:
        by_skeleton: dict[str, set[str]] = {}
        for name in latin_names:  # a word, or two that follow each other ("micro folies")
            if not _LATIN_NAME.match(name):
                continue
            for skeleton in latin_skeletons(name):
                if len(skeleton) >= MIN_CONSONANTS:
                    by_skeleton.setdefault(skeleton, set()).add(name)
        self.by_skeleton = {s: sorted(ws) for s, ws in by_skeleton.items() if len(ws) <= MAX_NAMES}

    def names(self, words: list[str], known: Callable[[str], bool],
              common: Callable[[str], bool] = lambda word: False) -> list[tuple[list[str], list[str]]]:
        """(Arabic words, Latin names) for each run of the question's words, starting with a word the
        corpus does not use (not ``known``), whose joined skeleton is a Latin name's; the longest run
        wins. A run of ``common`` Arabic words, or with a letter names are not spelt with, is no name."""
        out = []
        i = 0
        while i < len(words):
            match = None
            if _ARABIC_WORD.match(words[i]) and not known(words[i]):
                for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                    run = words[i:i + n]
                    if not all(_ARABIC_WORD.match(w) for w in run) or all(common(w) for w in run) or any(
                            _NOT_IN_NAMES.search(w) for w in run):
                        continue
                    found = self._lookup(run)
                    if found:
                        match = (run, found)
                        break
            if match:
                out.append(match)
                i += len(match[0])
            else:
                i += 1
        return out

    def _lookup(self, run: list[str]) -> list[str]:
        # A clitic on the first word ("وكولتوريتيك": and Culturethèque) is no part of the name.
        first = run[0]
        for head in dict.fromkeys((first, first[1:] if first[:1] in "وبلفك" else first,
                                   first[2:] if first.startswith("ال") else first)):
            skeleton = arabic_skeleton(head + "".join(run[1:]))
            if len(skeleton) >= MIN_CONSONANTS and skeleton in self.by_skeleton:
                return self.by_skeleton[skeleton]
        return []
