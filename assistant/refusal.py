"""Does retrieval support an answer? A small logistic model over seven signals, fitted on the dev split.

- ``coverage``: the idf-weighted share of the question's words found in one of the best passages (see
  ``Assistant.coverage``); low when the documents do not talk about what is asked.
- ``unknown``: how much *specific* vocabulary the question uses that the corpus never does, in any of
  its languages (glossary terms count as known). Each such word weighs by how rare it is in general
  language (``wordfreq``'s Zipf scale): "passport", "lasagna", "FIFA" weigh a lot, "anyone",
  "actually", "much" almost nothing. Corpus idf alone cannot tell those apart: both are unseen.
- ``calendar``: the question is anchored to a date counted from the day it is asked ("demain", "last
  year", "هذا العام"): dated documents cannot resolve it. A question about the present state
  of something ("Où en est actuellement…", "currently", "حاليا") is not declined for that: the documents
  describe the state as of their date, and the answer says how old they are (``is_present``).
- ``untyped``: the question asks for a kind of answer (a sum of money, a percentage, a count, a
  deadline, a date, a winner, a person in a role) and no sentence of the best passages gives one about
  what is asked: 1 minus the coverage of the question by the best sentence that holds an answer of
  that kind, relative to the best sentence of those passages (0 for a question that asks for no kind).
  "How much does the EU put into X?" is answered by a sentence about X with an amount in it; a
  passage about X without one does not answer it, however well it matches. For "how many X?", the
  number must count X (``holds_count``); for "who is the president of X?", a sentence must name a
  person in that role, and X (``holds_person``). When no sentence gives the kind asked about anything
  asked (``untyped`` is 1), the question is declined whatever the model says (``lacks_kind``).
- ``similarity``: the embedding model's cosine between the question and the closest sentence of the
  three best passages, for a question in a language the model reads (``EMBEDDING_LANGUAGES``), else 0;
  ``model_reads`` is 1 for those languages. The lexical signals count shared words; this one sees that
  "How do I get my French driving licence exchanged abroad?" and "French films were released abroad
  in 2018" share words, not a subject. The packaged English model reads English and some French, not
  Arabic, where its cosines are noise: there it says nothing and the other signals decide.
- ``brevity``: 1 over the number of words ``coverage`` weighs. The coverage of a question of one or two
  words is coarse: any passage that names Paris covers half of "What's the weather in Paris?".

Words that only a preamble about the asker brings ("Je suis éditeur : …", ``preamble``) weigh half in
``coverage``, ``unknown`` and ``untyped``, as do words only an earlier turn brings in ``coverage`` and
``untyped``: the question is what is asked.

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
from collections.abc import Callable
from dataclasses import dataclass

from assistant.language import zipf
from vectorstore.text import STOPWORDS, stem_words, strip_arabic_prefix, surface_words

log = logging.getLogger(__name__)

FEATURES = ("coverage", "unknown", "calendar", "untyped", "similarity", "model_reads", "brevity")
# A word at least this frequent in general language (Zipf 6: "much", "last", "année") says nothing
# about the topic; below it, the rarer the word, the more its absence from the corpus tells.
COMMON_ZIPF = 6.0

_SURFACE_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]")
CALENDAR = re.compile(
    r"\b(?:demain|hier|cette ann[ée]e|l'an (?:dernier|prochain)|l'ann[ée]e (?:derni[èe]re|prochaine)|"
    r"cet (?:[ée]t[ée]|hiver|automne)|ce printemps|ce week-end|cette semaine|ce mois-ci|"
    r"tomorrow|yesterday|this year|last year|next year|this (?:summer|winter|autumn|fall|spring|weekend|week|month))\b"
    r"|غدا|أمس|هذا العام|هذه السنة|العام الماضي|العام المقبل|هذا الصيف|هذا الشتاء|هذا الأسبوع|هذا الشهر|نهاية الأسبوع",
    re.IGNORECASE,
)
PRESENT = re.compile(
    r"\b(?:aujourd'hui|actuellement|actuel(?:le)?s?|en ce moment|today|these days|currently|current|right now|"
    r"so far|nowadays)\b|اليوم|الحالي|الحالية|حاليا",
    re.IGNORECASE,
)


# What kind of answer a question asks for: asked when the question's interrogative asks for it (a
# "Grand Prix" or "la loi sur le prix du livre" asks for no price), held by a sentence that has one.
_NUMBER_WORDS = (r"une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente|quarante|cinquante|"
                 r"cent|mille|one|two|three|four|five|seven|eight|nine|ten|twelve|dozen|twenty|thirty|forty|fifty|"
                 r"hundred|thousand|millions?|billions?|milliards?")
_MONTHS = (r"\b(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre|"
           r"january|february|march|april|may|june|july|august|september|october|november|december)\b")
_AR_MONTHS = "(?:يناير|فبراير|مارس|أبريل|ابريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر)"
ANSWER_KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "money": (re.compile(
        r"\bcombien (?:co[uû]te|co[uû]tent|co[uû]tait|d'euros|rapporte|verse|re[cç]oit)|\bà combien s'[ée]l[eè]ve|"
        r"\bquel(?:le)?s? (?:est|sont|[ée]tait) (?:le |la |les |l')?(?:montant|prix|co[uû]t|budget|tarif|amende|dotation)|"
        r"\ben euros\b|\bhow much\b(?! time)|\bhow many (?:euros|dollars)\b|"
        r"\bwhat (?:is|was|are) the (?:\w+ )?(?:amount|price|cost|budget|fee|fine)s?\b|\b(?:maximum|minimum) amount\b|"
        r"(?:كم|ما هو|ما هي|ما|وكم)\s+(?:تبلغ\s+|يبلغ\s+)?(?:ال)?(?:ميزانية|سعر|تكلفة|مبلغ|قيمة|ضريبة|رسوم|غرامة)|باليورو",
        re.IGNORECASE),
        # "Free" answers "how much does it cost?" too.
        re.compile(r"€|\beuros?\b|\bEUR\b|\$|\bdollars?\b|\bgratuite?s?\b|\bgratuitement\b|\bfree of charge\b|"
                   r"\bfor free\b|\bis free\b|يورو|دولار|مجان", re.IGNORECASE)),
    "percent": (re.compile(
        r"\b(?:pourcentage|percentage|proportion|quelle part|what share)\b|(?:ما|ما هي|كم)\s+(?:ال)?نسبة",
        re.IGNORECASE),
        re.compile(r"%|\bpour ?cent\b|\bper ?cent\b|بالمئة|بالمائة|في المئة|في المائة", re.IGNORECASE)),
    # A deadline is a day: a sentence about the call with a year in it does not give one.
    "deadline": (re.compile(
        r"\bdate limite\b|\bdeadline\b|\b(?:jusqu'à|avant) quelle date\b|\bby what date\b|آخر موعد|الموعد النهائي",
        re.IGNORECASE),
        re.compile(rf"\b\d{{1,2}}(?:er)? {_MONTHS}\b|\b{_MONTHS} \d{{1,2}}\b|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|"
                   rf"\d{{1,2}} {_AR_MONTHS}", re.IGNORECASE)),
    "date": (re.compile(
        r"\bquand\b|\ben quelle ann[ée]e\b|\bquelle date\b|\bwhen\b|\b(?:what|which) year\b|\bwhat date\b|"
        r"\bمتى\b|في أي عام|في أي سنة|موعد",
        re.IGNORECASE),
        # A year, a day, or a month or recurrence without one ("chaque année en novembre").
        re.compile(r"\b(?:1[89]|20)\d\d\b|\d{1,2}/\d{1,2}/\d{2,4}|"
                   rf"{_MONTHS}|\b(?:chaque ann[ée]e|tous les ans|every year|each year|annually|yearly)\b|"
                   rf"{_AR_MONTHS}|كل عام|كل سنة|سنويا",
                   re.IGNORECASE)),
    "count": (re.compile(
        r"\bcombien\b|\bhow many\b|\bquel (?:est le )?nombre\b|\bwhat (?:is the )?number\b|\bكم\b",
        re.IGNORECASE),
        re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b|واحد|اثن|ثلاث|أربع|خمس|ست|سبع|ثمان|تسع|عشر|مئ|ألف|مليون|مليار",
                   re.IGNORECASE)),
    # "Which films won…?", "Quels projets ont été lauréats…?": a sentence about winning or a prize.
    "award": (re.compile(
        r"\b(?:won(?!['’]t)|wins?|winners?|laureates?|lauréat(?:e|s|es)?|gagnants?|gagnantes?|gagné|remporté|primés?|"
        r"récompensés?)\b|فاز|فازت|الفائز",
        re.IGNORECASE),
        re.compile(r"\b(?:won|wins?|winners?|winning|laureates?|awards?|awarded|prizes?|lauréat\w*|gagn\w*|remport\w*|"
                   r"prim[ée]\w*|récompens\w*|prix|distingu\w*)\b|فاز|الفائز|جائز|جوائز|مكافأ", re.IGNORECASE)),
}


# "How many X?" is answered by a number that counts X. A sentence that names X with a number counting
# something else ("French films were released abroad in 2018 on 5 continents" for "how many French
# films?") does not answer it; a sentence that does not name X may (a paraphrase: "10 court-métrages"
# for "combien de films"), and its coverage of the question says how well.
_COUNT_LEAD = {"fr": ("combien", "nombre"), "en": ("many", "number"), "ar": ("كم", "وكم", "عدد")}
_COUNT_SKIP = frozenset({"de", "des", "du", "d", "of", "the", "عدد"})
_COUNT_AND = frozenset({"et", "ou", "and", "or"})  # "combien de films et séries européens": one phrase
_COUNT_WORDS = frozenset(
    "deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize vingt trente quarante "
    "cinquante soixante cent cents mille million milliard douzaine centaine millier "
    "two three four five six seven eight nine ten eleven twelve thirteen fifteen twenty thirty forty fifty sixty "
    "hundred hundreds thousand thousands million millions billion billions dozen dozens".split())
_AR_COUNT_WORD = re.compile(r"^(?:اثن(?:ان|ين|تان|تين)|ثلاث|اربع|خمس|ست|سبع|ثماني?|تسع|عشر|مئ|مائ|الف|الاف|"
                            r"مليون|ملايين|مليار)(?:ه|ين|ون|ات)?$")
_YEAR = re.compile(r"^(?:1[89]|20)\d\d$")
_AR_SUFFIX = re.compile(r"(?:ات|ون|ين|ان|ه|ي|ا)$")
_AR_LONG_VOWELS = re.compile("[اويء]")
COUNT_WINDOW = 3  # words between a number and what it counts ("12 500 élèves", "plus de 400 interventions")


def _count_keys(word: str, lang: str) -> frozenset[str]:
    """The forms two mentions of a counted thing are compared by: the stem for Latin script; for Arabic,
    the consonants left after a plural or feminine ending and long vowels, so that a broken plural meets
    its singular (أفلام / فيلم) and so does the singular after a number (37 سفارة); with and without a
    clitic prefix, since a first letter such as the "ف" of "فيلم" can be either."""
    if not re.match("[\u0600-\u06ff]", word):
        return frozenset(stem_words([word], lang, keep_stopwords=True))
    keys = set()
    for form in {word, strip_arabic_prefix(word)}:
        stem = _AR_SUFFIX.sub("", form)
        keys.add(_AR_LONG_VOWELS.sub("", stem) or stem)
    return frozenset(keys)


def counted(question: str, lang: str, *, phrase: bool = False) -> frozenset[str]:
    """What a "how many…?" question counts, as ``_count_keys`` ("combien de résidences artistiques" →
    résidence, "how many French films" → film, "كم عدد السفارات" → سفر), or nothing; with ``phrase``,
    every word of the noun phrase, with what "and" / "et" joins to it ("résidences artistiques", "French
    films", "films et séries européens")."""
    head, taken = _count_phrase(surface_words(question, lang), lang)
    return _keys(taken, lang) if phrase else _head_keys(head, lang)


def _count_phrase(words: list[str], lang: str) -> tuple[list[str], list[str]]:
    """(the words before "and", what is counted; the whole counted phrase) of a question's ``surface_words``."""
    stop = STOPWORDS[lang]
    for i, word in enumerate(words):
        if word not in _COUNT_LEAD[lang] or (word == "many" and (i == 0 or words[i - 1] != "how")):
            continue
        taken: list[str] = []
        head: list[str] = []
        joined = False
        for nxt in words[i + 1:]:
            if nxt in _COUNT_SKIP and (not taken or joined and taken == head):  # "films et de séries"
                continue
            if nxt in _COUNT_AND and taken and not joined:
                joined = True
                continue
            if nxt in stop or nxt.isdigit() or len(taken) == (4 if joined else 2):
                break
            taken.append(nxt)
            if not joined:
                head = taken[:]
        if taken:
            return head, taken
    return [], []


def _head_keys(head: list[str], lang: str) -> frozenset[str]:
    """English puts the counted noun last ("cultural players"), French and Arabic first."""
    return _count_keys(head[-1] if lang == "en" else head[0], lang) if head else frozenset()


def _keys(words: list[str], lang: str) -> frozenset[str]:
    return frozenset().union(*(_count_keys(w, lang) for w in words))


def _is_count(word: str) -> bool:
    if word[0].isdigit():
        return not _YEAR.match(word)
    return word in _COUNT_WORDS or bool(_AR_COUNT_WORD.match(strip_arabic_prefix(word)))


def _content_keys(words: list[str], lang: str) -> frozenset[str]:
    """Every content word as ``_count_keys``: what else a number may be counting."""
    stop = STOPWORDS[lang]
    return _keys([w for w in words if w not in stop and not w.isdigit()], lang)


def holds_count(text: str, lang: str, thing: frozenset[str], others: frozenset[str] = frozenset()) -> bool:
    """``text`` gives a number (not a year, not "un"/"one") that can count ``thing``: one next to it; or,
    if the sentence does not name it, one that does not count something else the question names
    (``others``, the words outside the counted phrase): "over the last 30 years" counts years, not the
    professionals asked about."""
    words = surface_words(text, lang)
    numbers = [i for i, w in enumerate(words) if _is_count(w)]
    if not numbers or not thing:
        return bool(numbers)
    keys = [_count_keys(w, lang) for w in words]

    def next_to(i: int, wanted: frozenset[str]) -> bool:
        return any(wanted & k for k in keys[max(0, i - COUNT_WINDOW):i] + keys[i + 1:i + 1 + COUNT_WINDOW])

    def counts(i: int, wanted: frozenset[str]) -> bool:
        """Stricter, to rule a number out: the noun follows it, or precedes it in Arabic's "السنوات ال 30"."""
        before = keys[i - 2] if i >= 2 and words[i - 1] == "ال" else frozenset()
        return bool(wanted & before) or any(wanted & k for k in keys[i + 1:i + 1 + COUNT_WINDOW])

    if any(thing & k for k in keys):
        return any(next_to(i, thing) for i in numbers)
    return any(not counts(i, others) for i in numbers)


# "Who is the president of X?", "Qui préside X ?", "من هي رئيسة X؟": a question that asks who holds a
# role is answered by a sentence that names a person in that role ("Jean-Noël Tronc (directeur général
# de la SACEM)"), not by the passage describing X. A person is a capitalised given name (Faker's lists
# of French and English given names) followed by a capitalised word. Arabic-script given names are not
# looked for (too many are also common words: رئيس, تحسين); the Arabic translations keep a person's name
# in Latin script beside its transliteration.
_ROLE_WORDS = {  # nouns for a person: "who chairs / leads X?" is often a country or an organisation ("led by Canada")
    "head": {"fr": "président présidente directeur directrice dirigeant dirigeante chef",
             "en": "president presidents chair chairman chairwoman chairperson head director directors leader chief ceo",
             "ar": "رئيس رئيسة مدير مديرة"},
    "minister": {"fr": "ministre", "en": "minister", "ar": "وزير وزيرة"},
    "coordinator": {"fr": "coordinateur coordinatrice fédérateur fédératrice", "en": "coordinator unifier",
                    "ar": "منسق منسقة"},
    "correspondent": {"fr": "correspondant correspondante", "en": "correspondent correspondents",
                      "ar": "مراسل مراسلة"},
}
ROLE_WINDOW = 8  # words between a person's name and the role ("X (directeur général de la SACEM) est le fédérateur")
_CLAUSE = re.compile(r"[,;:?!.]")
_INTERROGATIVE = {"fr": ("qui",), "en": ("who",), "ar": ("من", "ومن")}
_WHO = re.compile(r"\b(?:qui|who)\b|(?:^|\s)و?من(?:\s|$)", re.IGNORECASE)
_NAME = re.compile(r"\b([A-ZÀ-Ý][a-zà-ÿ]+)(?:-[A-ZÀ-Ý][a-zà-ÿ]+)? [A-ZÀ-Ý][\w-]+")


def _role_key(word: str, lang: str) -> str:
    """Surface forms, not stems: "dirigeant" (a person) and "dirige" (a country can) share a stem."""
    return strip_arabic_prefix(word)


@functools.cache
def _roles(lang: str) -> dict[str, str]:
    """Role word key → role class, for ``lang``."""
    return {_role_key(w, lang): role for role, words in _ROLE_WORDS.items()
            for w in surface_words(words[lang], lang)}


@functools.cache
def _given_names() -> frozenset[str]:
    from faker.providers.person import en_GB, en_US, fr_FR

    names: set[str] = set()
    for provider in (fr_FR.Provider, en_US.Provider, en_GB.Provider):
        for attr in ("first_names", "first_names_male", "first_names_female"):
            names.update(getattr(provider, attr, ()))
    return frozenset(names)


# Words that qualify the role rather than say whose it is: "le directeur général de X", "المدير العام الحالي لـ X".
_ROLE_QUALIFIERS = {"fr": "général générale généraux adjoint adjointe délégué déléguée exécutif exécutive actuel "
                          "actuelle nouveau nouvelle",
                    "en": "general deputy executive acting current new",
                    "ar": "عام عامة تنفيذي حالي حالية جديد جديدة"}


@functools.cache
def _qualifiers(lang: str) -> frozenset[str]:
    return frozenset(strip_arabic_prefix(w) for w in surface_words(_ROLE_QUALIFIERS[lang], lang))


def role_question(question: str, lang: str) -> tuple[str, frozenset[str]] | None:
    """(the role a "who is the <role> of X?" question asks the holder of, X as ``_count_keys``), or
    None. "Who" opens a clause ("…, et qui préside…") and the role follows within four words; X is what
    the rest of that clause names ("SACEM" in "le directeur général de la SACEM", nothing in "who is its
    correspondent?"). A relative "qui" ("l'association qui préside…") asks nothing."""
    if not _WHO.search(question):  # most questions: no need to tokenise them again
        return None
    roles = _roles(lang)
    stop = STOPWORDS[lang]
    for clause in _CLAUSE.split(question.replace("’", "'")):
        words = surface_words(clause, lang)
        if words and words[0] in ("et", "and", "mais", "but"):
            words = words[1:]
        if words and words[0] in _INTERROGATIVE[lang]:
            for i, word in enumerate(words[1:5], start=1):
                if (role := roles.get(_role_key(word, lang))) is not None:
                    of = [w for w in words[i + 1:] if w not in stop and not w.isdigit()
                          and strip_arabic_prefix(w) not in _qualifiers(lang)]
                    # Keys of one or two letters (what is left of a short Arabic word) would match anything.
                    return role, frozenset(k for w in of for k in _count_keys(w, lang) if len(k) >= 3)
    return None


def asked_role(question: str, lang: str) -> str | None:
    """The role a "who is the <role> of…?" question asks the holder of, or None (``role_question``)."""
    asked = role_question(question, lang)
    return asked[0] if asked else None


def holds_person(text: str, lang: str, role: str, of: frozenset[str] = frozenset()) -> bool:
    """``text`` names a person within ``ROLE_WINDOW`` words of a word of ``role``, and names what the
    role is of (any of ``of``, when the question says): "Jean-Noël Tronc (directeur général de la SACEM)"
    answers who heads the SACEM, not who heads UNESCO."""
    names = [m for m in _NAME.finditer(text) if m.group(1) in _given_names()]
    if not names:
        return False
    if of and not any(of & _count_keys(w, lang) for w in surface_words(text, lang)):
        return False
    roles = _roles(lang) | _roles("en") | _roles("fr") if lang == "ar" else _roles(lang)
    for m in names:
        before = surface_words(text[:m.start()], lang)[-ROLE_WINDOW:]
        after = surface_words(text[m.end():], lang)[:ROLE_WINDOW]
        if any(roles.get(_role_key(w, lang)) == role for w in before + after):
            return True
    return False


def answer_kind(question: str) -> str | None:
    """The kind of answer ``question`` asks for (the first of money, percent, date, count, award), or None."""
    question = question.replace("’", "'")
    for kind, (asks, _holds) in ANSWER_KINDS.items():
        if asks.search(question):
            return kind
    return None


def holds_kind(kind: str, text: str) -> bool:
    return bool(ANSWER_KINDS[kind][1].search(text))


def asked_kind(question: str, lang: str) -> str | None:
    """The name of the kind of answer ``question`` asks for (``ANSWER_KINDS``, or "person" for a role)."""
    return answer_kind(question) or ("person" if asked_role(question, lang) is not None else None)


def answer_check(question: str, lang: str) -> Callable[[str], bool] | None:
    """For a question that asks for a kind of answer (an amount, a percentage, a date, a count of
    something, a winner, a person in a role), whether a sentence gives one; None for any other question."""
    kind = answer_kind(question)
    if kind == "count":
        words = surface_words(question, lang)  # tokenised once for what is counted and what else is asked
        head, taken = _count_phrase(words, lang)
        thing, others = _head_keys(head, lang), _content_keys(words, lang) - _keys(taken, lang)
        return lambda text: holds_count(text, lang, thing, others)
    if kind is not None:
        return lambda text: holds_kind(kind, text)
    if (asked := role_question(question, lang)) is not None:
        role, of = asked
        return lambda text: holds_person(text, lang, role, of)
    return None


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


# "I run a small music venue and we'd like to film our gigs. Is there any funding for that?": the
# sentences before the first question say who asks and why; the question says what is asked. Words
# only the preamble uses weigh less in the refusal signals, as much as words from earlier turns
# (``CONTEXT_WEIGHT``): a professional who describes their situation in words the documents do not use
# is still asking about something they do.
# Not "!" ("Plan Action !" is a name), nor a point or colon between digits ("1.5 million", "18:30").
_SENTENCE = re.compile(r"(?:[^.?:;؟؛\n]|(?<=\d)[.:](?=\d))+(?:[.?:;؟؛]+|\n|$)")
# A preamble speaks of the asker ("Je suis éditeur :"); a topic put first ("Culturethèque: who can
# use it?", "Dans le cadre de France Relance, quels…") is what is asked.
# Per language: English "on" and "us" (the US) are no first person.
_FIRST_PERSON = {
    "fr": re.compile(r"\b(?:j'|m')|\b(?:je|moi|mon|ma|mes|nous|notre|nos|on)\b", re.IGNORECASE),
    "en": re.compile(r"\b(?:i|i'm|i've|i'd|me|my|we|we're|we've|we'd|our)(?=\W|$)", re.IGNORECASE),
    "ar": re.compile(r"(?:^|\s)(?:أنا|نحن|لدي|لدينا|عندي|عندنا|ابني|ابنتي|سمعت|أعيش|نعيش|أعمل|نعمل|أريد|نريد|أبحث|نبحث)"
                     r"(?:\s|$|[،,.])"),
}
_QUESTION_END = re.compile(r"[?؟]\s*$")
# A clause that opens a question: after a comma, "…18 سنة، هل هناك…" starts asking.
_ASKS = re.compile(
    r"^\s*(?:(?:et|and|mais|but)\s+)?(?:est-ce|y a-t-il|combien|quand|quel(?:le)?s?|comment|où|pourquoi|qui|que|"
    r"is there|are there|how|what|when|where|which|who|why|do|does|did|can|could|is|are)\b"
    r"|^\s*و?(?:هل|كم|متى|ما|ماذا|من|أين|كيف|لماذا|أي)(?:\s|$)",
    re.IGNORECASE)


def preamble(text: str, lang: str) -> tuple[str, str]:
    """(what precedes the question, the question): the sentences before the first one that ends with a
    question mark, and a clause before a comma when the clause after it opens the question ("ابني عمره
    18 سنة، هل هناك…"), when they speak of the asker. A message with no question mark, or nothing but
    the question, has no preamble."""
    sentences = [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    first = next((i for i, sentence in enumerate(sentences) if _QUESTION_END.search(sentence)), None)
    if first is None:
        return "", text
    before, question = "".join(sentences[:first]), "".join(sentences[first:])
    head, comma, rest = _comma_split(question)
    if comma and _ASKS.match(rest) and not _ASKS.match(head):
        before, question = before + head + comma, rest
    if not _FIRST_PERSON[lang].search(before.replace("’", "'")):
        return "", text
    return before.strip(), question.strip()


def _comma_split(question: str) -> tuple[str, str, str]:
    parts = re.split(r"([,،])", question, maxsplit=1)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else (question, "", "")


def is_calendar(text: str) -> bool:
    """Anchored to a date relative to today ("demain", "last year"): the refusal signal."""
    return bool(CALENDAR.search(text.replace("’", "'")))


def is_present(text: str) -> bool:
    """Asks about now, by a relative date or the present state ("actuellement"): answers and refusals
    then say how old the documents are."""
    text = text.replace("’", "'")
    return bool(CALENDAR.search(text) or PRESENT.search(text))


def logistic(intercept: float, coef: tuple[float, ...], names: tuple[str, ...], values: dict[str, float]) -> float:
    """sigmoid(intercept + coef · values[names]): what a fitted model (this one, the aid finder's) says."""
    z = intercept + sum(c * values[name] for c, name in zip(coef, names))
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class RefusalModel:
    """P(answerable) = sigmoid(intercept + coef · features); answer when it reaches ``threshold``.

    ``blind``: the model for a question whose best passage has no text in its language (a document
    nobody translated): their words cannot be compared with the question's, so ``coverage`` is not
    observed, and a model fitted without it decides (``evals calibrate`` fits both)."""

    coef: tuple[float, ...]
    intercept: float
    threshold: float
    blind: "RefusalModel | None" = None

    @classmethod
    def from_dict(cls, data: dict) -> "RefusalModel":
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError(f"abstention model has features {data.get('features')}, expected {list(FEATURES)}: "
                             "run `evals calibrate --write`")
        blind = data.get("blind")
        return cls(tuple(float(c) for c in data["coef"]), float(data["intercept"]), float(data["threshold"]),
                   cls.from_dict({"features": data["features"], **blind}) if blind else None)

    @classmethod
    def load(cls, data: dict) -> "RefusalModel":
        """The calibrated model; if the file is from another version of the signals, a coverage-only
        stand-in (answer when a third of the question is covered) and a warning, so that
        ``evals calibrate`` can still start the assistant to write a new one."""
        try:
            return cls.from_dict(data)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("%s; using a coverage-only refusal rule until then", exc)
            return cls((12.0, *(0.0,) * (len(FEATURES) - 1)), -4.0, 0.5)

    def deciding(self, features: dict[str, float]) -> "RefusalModel":
        """This model, or its ``blind`` one when the question's best passages cannot be read in its language."""
        return self.blind if self.blind is not None and not features.get("readable", 1.0) else self

    def probability(self, features: dict[str, float]) -> float:
        model = self.deciding(features)
        return logistic(model.intercept, model.coef, FEATURES, features)

    def answers(self, features: dict[str, float]) -> bool:
        return not lacks_kind(features) and self.probability(features) >= self.deciding(features).threshold


def lacks_kind(features: dict[str, float]) -> bool:
    """The question asks for a kind of answer and no sentence of the best passages gives one about
    anything it asks (``untyped`` is 1): declined whatever the other signals say. The passages may
    name everything asked ("Combien de festivals utilisent l'application de Safer ?" meets Safer's
    passage, which names its app and festivals) and still hold no count of them."""
    return features["untyped"] >= 1.0
