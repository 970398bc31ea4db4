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
from collections import Counter
from collections.abc import Iterable

import simplemma

LANGUAGES = ("fr", "en", "ar")

# Characters that change nothing visible but can hide or reorder text (bidi overrides, zero-width).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates: not text (a CLI argument in a wrong encoding)
_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Remove invisible and control characters and collapse whitespace (user input, corpus lines)."""
    text = _SURROGATE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and whitespace: the form used for matching.

    The conversations store keeps folded copies of titles and messages for search (``web/store.py``):
    a change here needs a migration there that folds them again."""
    # Decompose before and after lower-casing: compatibility forms (𝑨, ﬁ) only reveal their case once
    # decomposed, and lower() can itself produce decomposable characters (İ → i̇); fold is idempotent.
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("‘", "'").replace("œ", "oe").replace("æ", "ae")
    return _SPACES.sub(" ", text).strip()


LETTER_RUN = re.compile(r"[^\W\d_]+", re.UNICODE)  # a word as typed: letters only


def count_words(texts: Iterable[str]) -> dict[str, int]:
    """How often each word of three letters or more (lower case, as written) occurs in ``texts``: what
    ingest stores per language for the spelling corrector (``assistant/spelling.py``)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w.lower() for w in LETTER_RUN.findall(text) if len(w) >= 3)
    return dict(counts)


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
# The lookbehind starts a match only at the first mark of a run of punctuation: without it a long run
# that is not followed by a sentence start was retried from each of its marks (quadratic). The splits are
# the same, as a match inside a run succeeds only where one from the run's start does.
_SENTENCE_END = re.compile(r"(?<![.!?؟…])([.!?؟…]+[»\"”)]*)(\s+)(?=[\"«“(]?[A-ZÀ-ÖØ-Þ0-9\u0600-\u06ff#@])")


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
# "and", "so": written joined to the next word, which stays a function word ("ومع", "وفي", "فهل"). The
# stopword lists hold some such forms, not all; unchecked, "ومع" weighed as a rare content word.
_AR_CONJUNCTIONS = ("و", "ف")
# Words that read as conjunction + stopword but are words of their own: "فهم" (understanding), not "so they".
_AR_NOT_CONJOINED = frozenset({"فهم", "فهما"})

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
    """Our question words plus published lists (stopwords-iso for French and Arabic; for English the
    NLTK-style list bundled with bm25s, stopwords-iso's English one drops content words such as
    "research" or "world"), compared after normalisation (accents folded, Arabic letters unified)."""
    import stopwordsiso
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    published = {"fr": stopwordsiso.stopwords("fr"), "ar": stopwordsiso.stopwords("ar"), "en": set(STOPWORDS_EN_PLUS)}
    for lang, words in list(STOPWORDS.items()):
        merged = set(words) | set(published[lang])
        STOPWORDS[lang] = frozenset(fold(normalize_arabic(w)) for w in merged) | frozenset(merged)


def normalize_arabic(text: str) -> str:
    text = _AR_DIACRITICS.sub("", text).replace(_AR_TATWEEL, "")
    text = re.sub("[إأآٱ]", "ا", text)
    text = text.replace("ى", "ي").replace("ة", "ه").replace("ؤ", "و").replace("ئ", "ي")
    return text


def strip_arabic_prefix(word: str) -> str:
    for prefix in _AR_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    return word


@functools.lru_cache(maxsize=4)
def _stemmer(language: str):
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer({"fr": "french", "en": "english", "ar": "arabic"}[language])


def normalize_for_index(text: str, language: str) -> str:
    """Language-aware surface normalisation before tokenising (elision, French lemmas, accents, Arabic
    letters)."""
    text = text.replace("’", "'").replace("‘", "'")
    if language == "fr":
        text = _ELISION.sub(" ", text)
    if language in LEMMATIZED:
        text = _lemmatized(text, language)  # on accented words, before folding
    if language == "ar" or re.search("[\u0600-\u06ff]", text):
        text = normalize_arabic(text)
    return fold(text)


_normalised_stopwords()


def tokenize(text: str, language: str, *, keep_stopwords: bool = False) -> list[str]:
    """Stemmed lexical tokens of ``text`` for the given language.

    Latin-script words are stemmed with the language's Snowball stemmer (English for Latin words in
    Arabic text); Arabic words lose their clitic prefixes and are stemmed with the Arabic stemmer.
    """
    return stem_words(surface_words(text, language), language, keep_stopwords=keep_stopwords)


def stem_words(words: list[str], language: str, *, keep_stopwords: bool = False) -> list[str]:
    """``tokenize`` after ``surface_words``: for callers that keep both."""
    stop = STOPWORDS[language]
    latin_lang = "en" if language == "ar" else language
    out: list[str] = []
    for word in words:
        if not keep_stopwords and (word in stop or (len(word) < 2 and not word.isdigit())):
            continue
        if re.match("[\u0600-\u06ff]", word):
            if (not keep_stopwords and word.startswith(_AR_CONJUNCTIONS) and word[1:] in stop
                    and word not in _AR_NOT_CONJOINED):
                continue
            stem = _stemmer("ar").stemWord(strip_arabic_prefix(word))
            out.append(normalize_arabic(stem))
        elif word.isdigit():
            out.append(word)
        else:
            out.append(_stemmer(latin_lang).stemWord(word))
    return out


def surface_words(text: str, language: str) -> list[str]:
    """The words of ``text`` normalised as ``tokenize`` sees them before stemming (stopwords kept;
    French words as lemmas, see ``LEMMATIZED``)."""
    return _WORD.findall(normalize_for_index(text, language))


# Snowball's French stemmer leaves plurals that end in a vowel + "s" or in "x" as they are: "contenus"
# is not "contenu", nor "jeux" "jeu", "vidéos" "vidéo", "lieux" "lieu", so "jeux vidéo" matched only
# "vidéo à la demande". simplemma's dictionary lemmatiser runs first (on accented words, before
# folding). English plurals are Snowball's strength: lemmatising English first did not help on dev.
LEMMATIZED = ("fr",)


def _lemmatized(text: str, language: str) -> str:
    """``text`` with each word replaced by its lemma (after elisions are dropped, before folding)."""
    return _WORD.sub(lambda m: _lemma(m.group(), language), text)


# Folding and looking up each word was most of the time a passage's sentences take to read (the sentence
# bank reads a passage's the first time a question retrieves it); a corpus says the same words again.
@functools.lru_cache(maxsize=65_536)
def _lemma(word: str, language: str) -> str:
    # a stopword stays one: "doit" is not "devoir", a content word
    return word if fold(word) in STOPWORDS[language] else simplemma.lemmatize(word, lang=language)


def tokenizer_signature() -> str:
    """Changes whenever tokenising would: part of the index fingerprint, so a new stopword or
    normalisation rule rebuilds the lexical index at the next ingest."""
    payload = "|".join(f"{lang}:{' '.join(sorted(words))}" for lang, words in sorted(STOPWORDS.items()))
    return content_hash(payload, "|".join(_AR_PREFIXES), "|".join(_AR_CONJUNCTIONS), "|".join(sorted(_AR_NOT_CONJOINED)),
                        _ELISION.pattern, _WORD.pattern, f"simplemma {simplemma.__version__}:{','.join(LEMMATIZED)}")


# --- language ------------------------------------------------------------------------------------------

_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def is_arabic_word(word: str) -> bool:
    return bool(_ARABIC_LETTER.search(word))
_LATIN_LETTER = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ]")
_FOLDED_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_FR_CUES = frozenset(
    "le la les un une des du de au aux et ou est sont dans sur pour par avec qui que quoi quel quelle quels "
    "quelles comment pourquoi combien existe il elle ils elles nous vous je ce cette ces son sa ses leur "
    "leurs en ne pas plus aide aides quand ou qu est-ce y a-t-il peut-on faut-il sur-le pour-la mon ma mes "
    "culture numerique feuille route soutien jeu jeux musique livre cinema".split()
)
_EN_CUES = frozenset(
    "the a an and or is are was were in on for by with who what which how why when where does do did "
    "can could there their they it its this that these those of to from about any some my our your i "
    "grant grants support funding music book books film films video game games digital roadmap".split()
)
_FR_MARKS = re.compile(r"[éèêëàâçùûôîïœ]|\b(?:l|d|qu|j|n|s|c)'")


def detect_language(text: str, default: str = "fr") -> str:
    """Deterministic fr / en / ar identification of a question or a document.

    Script first (Arabic letters), then French and English cues: function words, accents, elisions. A tie
    falls back to ``default`` (the interface language), so "CNC ?" is read in the user's language. It
    lives here, at the bottom layer, because ingest labels documents with it and the assistant labels
    questions with it: both must agree."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic and (arabic >= latin * 0.5 or _only_names(text)):
        return "ar"
    lowered = text.lower()
    words = _FOLDED_WORD.findall(fold(text))
    fr = sum(w in _FR_CUES for w in words) + 1.5 * len(_FR_MARKS.findall(lowered))
    en = sum(w in _EN_CUES for w in words)
    if fr > en:
        return "fr"
    if en > fr:
        return "en"
    return default if default in LANGUAGES else "fr"


_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ]+")


def _only_names(text: str) -> bool:
    """Every Latin-script word is capitalised: names and acronyms quoted in Arabic ("ما هي Micro-Folies؟")."""
    return all(w[0].isupper() for w in _LATIN_WORD.findall(text))
