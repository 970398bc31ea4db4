"""Text utilities shared by ingest and the assistant: normalisation, sentence splitting, tokenising.

They live at the bottom layer because both the indexer and the answerer must cut and compare text the
same way: a sentence boundary chosen at ingest must be the one the answerer sees at query time, and a
token stemmed into the lexical index must be stemmed the same way in the query.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

LANGUAGES = ("fr", "en", "ar")

# Characters that change nothing visible but can hide or reorder text (bidi overrides, zero-width).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Remove invisible and control characters and collapse whitespace (user input, corpus lines)."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and whitespace: the form used for matching."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("‘", "'").replace("œ", "oe").replace("æ", "ae")
    return _SPACES.sub(" ", text).strip()


def content_hash(*parts: str, length: int = 16) -> str:
    """Stable hex digest of whitespace-normalised text parts (passage ids, translation keys)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(_SPACES.sub(" ", unicodedata.normalize("NFC", part)).strip().encode())
        h.update(b"\x1f")
    return h.hexdigest()[:length]


# --- sentences -------------------------------------------------------------------------------------

# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = {
    "m", "mm", "mme", "mmes", "dr", "st", "ste", "etc", "cf", "ex", "p", "pp", "vol", "no", "n", "art",
    "mr", "mrs", "ms", "vs", "e.g", "i.e", "approx", "fig", "inc", "ltd", "co", "av", "j.-c", "env",
}
_SENTENCE_END = re.compile(r"([.!?؟…]+[»\"”)]*)(\s+)(?=[\"«“(]?[A-ZÀ-ÖØ-Þ0-9\u0600-\u06ff#@])")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text``.

    A boundary is terminal punctuation followed by space and an upper-case letter, digit or Arabic
    letter, unless the word before the period is a known abbreviation or a single capital (an initial).
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start(1)]
        last_word = re.split(r"[\s(]", before)[-1].lower() if before else ""
        if m.group(1) == "." and (
            last_word.rstrip(".") in _ABBREVIATIONS
            or re.fullmatch(r"[a-z]", last_word)
            or re.fullmatch(r"\d{1,3}|[ivx]{1,4}", before.strip().lower())  # "2. Mettre…", "II. Promouvoir…"
        ):
            continue
        end = m.end(1)
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end(2)
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def sentences(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in split_sentences(text)]


# --- lexical tokens --------------------------------------------------------------------------------

_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)'", re.IGNORECASE)
_AR_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_AR_TATWEEL = "\u0640"
_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+", re.UNICODE)
_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ب", "ل", "ف")

STOPWORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        "le la les un une des du de d l au aux et ou en dans sur pour par avec sans ce cet cette ces "
        "qui que quoi dont ou est sont a ont il elle ils elles on nous vous je tu se sa son ses leur "
        "leurs y ne pas plus moins tres bien comme mais donc ni car quel quelle quels quelles "
        "est-ce c qu s n j m t etre avoir fait faire peut peuvent entre aussi tout tous toute toutes "
        "autre autres meme sous vers chez lors quand comment combien pourquoi existe-t-il il-y "
        "y-a-t-il ya existe existent veut veux veulent voudrais doit dois doivent faut peux pouvez "
        "peut-on sais savoir dire connaitre trouver quoi cela ca ceci celui celle ceux celles "
        "ici la-bas alors encore deja toujours aujourd hui".split()
    ),
    "en": frozenset(
        "the a an and or of to in on for by with without is are was were be been being it its this "
        "that these those which who whom what when where why how do does did can could should would "
        "there their they them he she we you i my our your as at from into about than then so not no "
        "any some all also more most such has have had will shall may might must tell me please "
        "up out come comes get gets got go goes look looking want wants need needs know find give "
        "here there still yet already just only very really".split()
    ),
    "ar": frozenset(
        "في من على الى إلى عن مع هذا هذه ذلك تلك التي الذي الذين ما ماذا هل او أو ثم كان كانت يكون "
        "هو هي هم نحن انا أنا انت كيف متى اين أين لماذا كم و ب ل قد لا لم لن ان أن إن كل بعض عند "
        "هناك يوجد توجد ماهي ماهو وما وهل ومن ومتى وكيف وكم لي لنا عن اي أي أيّ".split()
    ),
}


def _normalised_stopwords() -> None:
    # Stopwords are compared after normalisation (accents folded, Arabic letter variants unified).
    for lang, words in list(STOPWORDS.items()):
        STOPWORDS[lang] = frozenset(fold(normalize_arabic(w)) for w in words) | words


def normalize_arabic(text: str) -> str:
    text = _AR_DIACRITICS.sub("", text).replace(_AR_TATWEEL, "")
    text = re.sub("[إأآٱ]", "ا", text)
    text = text.replace("ى", "ي").replace("ة", "ه").replace("ؤ", "و").replace("ئ", "ي")
    return text


def _strip_arabic_prefix(word: str) -> str:
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    return word


@functools.lru_cache(maxsize=4)
def _stemmer(language: str):
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer({"fr": "french", "en": "english", "ar": "arabic"}[language])


def normalize_for_index(text: str, language: str) -> str:
    """Language-aware surface normalisation before tokenising (elision, accents, Arabic letters)."""
    text = text.replace("’", "'").replace("‘", "'")
    if language == "fr":
        text = _ELISION.sub(" ", text)
    if language == "ar" or re.search("[\u0600-\u06ff]", text):
        text = normalize_arabic(text)
    return fold(text)


_normalised_stopwords()


def tokenize(text: str, language: str, *, keep_stopwords: bool = False) -> list[str]:
    """Stemmed lexical tokens of ``text`` for the given language.

    Latin-script words are stemmed with the language's Snowball stemmer (English for Latin words in
    Arabic text); Arabic words lose their clitic prefixes and are stemmed with the Arabic stemmer.
    """
    text = normalize_for_index(text, language)
    stop = STOPWORDS[language]
    latin_lang = "en" if language == "ar" else language
    out: list[str] = []
    for word in _WORD.findall(text):
        if not keep_stopwords and (word in stop or (len(word) < 2 and not word.isdigit())):
            continue
        if re.match("[\u0600-\u06ff]", word):
            stem = _stemmer("ar").stemWord(_strip_arabic_prefix(word))
            out.append(normalize_arabic(stem))
        elif word.isdigit():
            out.append(word)
        else:
            out.append(_stemmer(latin_lang).stemWord(word))
    return out


def tokenizer_signature() -> str:
    """Changes whenever tokenising would: part of the index fingerprint, so a new stopword or
    normalisation rule rebuilds the lexical index at the next ingest."""
    payload = "|".join(f"{lang}:{' '.join(sorted(words))}" for lang, words in sorted(STOPWORDS.items()))
    return content_hash(payload, "|".join(_AR_PREFIXES), _ELISION.pattern, _WORD.pattern)
