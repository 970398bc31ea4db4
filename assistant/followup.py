"""Follow-ups: turn an elliptical or pronoun-bearing message into a standalone question.

No LLM here. Two cases:

- A message that only changes what the earlier question was about ("Et pour la musique ?", "What about
  museums?", "وماذا عن المتاحف؟") replaces that question's last complement: after "Quelles aides du CNC
  existent pour la création numérique ?", it asks "Quelles aides du CNC existent pour la musique ?",
  and is searched and answered as that question. The complement it replaces is no longer asked about:
  kept, "la création numérique" would bring back the passages the user has just read.
- Any other message that leans on the previous turn ("Who funds it?", "ومن يديرها؟", "Elle existe
  toujours ?") is completed with the previous user question, which names what it refers to. The
  message itself stays first and, in retrieval, weighs more than the context it borrows.

The previous question is itself resolved first, so that a third turn ("Et pour le livre ?") still knows
it is about the CNC's aids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.schemas import Turn
from vectorstore.text import tokenize

_LEANS_ON_CONTEXT = re.compile(
    r"^\s*(?:et|mais|and|but|what about|how about|also|و|وماذا|ماذا عن)\b"
    r"|\b(?:il|elle|ils|elles|le|la|les|lui|leur|ce|cet|cette|ces|celui|celle|ceux|cela|ça|en|y|"
    r"it|its|they|them|their|this|that|these|those|he|she|one|"
    r"هو|هي|هم|ذلك|تلك|هذا|هذه)\s*(?:\?|$)"
    r"|\b(?:it|its|they|them|their|this one|that one|ce dispositif|ce programme|cette aide|celui-ci|celle-ci|"
    r"ce festival|cette plateforme|cet appel)\b"
    r"|(?:ها|هم|ه)(?:\s*+[؟?])?\s*+$",  # possessive: two optional runs of spaces tried every split
    re.IGNORECASE,
)
_FEW_WORDS = 4
# How many earlier user turns are resolved, at most, to complete a follow-up of a follow-up.
_DEPTH = 4

# A complement: a preposition and what follows it up to the end of the clause. Not "de"/"of" (a noun's
# complement: "plateformes de VOD"), nor English "to" (mostly a verb's: "to promote").
_PREPOSITIONS = {
    "fr": r"pour|aux?|à|dans|sur|chez|avec|contre|en|concernant",
    "en": r"for|in|on|about|with|at|against|regarding",
    "ar": r"في|على|عن|مع|إلى|لل[^\s؟?،,.]+",
}
# The message: a connector, then a complement (or, after "what about", what it is about). Matched whole
# against the message less its closing punctuation and spaces (``_trimmed``), so no pattern needs an
# optional run before its end: a lazy ``.+?`` followed by ``\s*[?!.]*\s*$`` tried every split of a long
# run of punctuation, quadratic in it (issue 23). The runs of spaces inside are possessive (``\s++``) for
# the same reason: only ``.+``, once, can give characters back.
_SWITCH = {
    "fr": re.compile(r"^\s*+(?:et|mais)\s++(?:qu'en est-il\s++|quid\s++)?(?P<rest>(?P<prep>pour|aux?|à|dans|sur|"
                     r"chez|côté|concernant|en ce qui concerne)\s++.+)"
                     r"|^\s*+(?:et\s++)?(?:qu'en est-il|quid)\s++(?P<obj>(?:de|des|du|d')\b.+)",
                     re.IGNORECASE),
    "en": re.compile(rf"^\s*+(?:and|but)\s++(?:what about\s++)?(?P<rest>(?P<prep>{_PREPOSITIONS['en']})\s++.+)"
                     r"|^\s*+(?:and\s++|but\s++)?(?:what|how)\s++about\s++(?P<obj>.+)",
                     re.IGNORECASE),
    "ar": re.compile(r"^\s*+(?:و|وبالنسبة\s++)(?P<rest>(?P<prep>في|على|مع|إلى|لل)\s*+\S.*)"
                     r"|^\s*+و?(?:ماذا|ما)\s++عن\s++(?P<obj>.+)"),
}
# What closes a message and is not part of its topic.
_CLOSING = {"fr": "?!.", "en": "?!.", "ar": "؟?!."}
# What a message after "what about" must not be: a pronoun ("What about it?") or a clause ("…do they").
_NOT_A_TOPIC = re.compile(
    r"\b(?:it|its|they|them|their|this|that|these|those|he|she|do|does|did|is|are|was|were|can|could|"
    r"il|elle|ils|elles|lui|leur|cela|ça|est|sont|peut|peuvent)\b|^(?:هو|هي|هم|ذلك|تلك|هذا|هذه)$",
    re.IGNORECASE)
_CLAUSE_END = re.compile(r"[?!.,;:؟،؛]")
# Where a complement ends before the clause does: the next complement, or a verb after it ("How many
# embassies in Africa have…", "Quelles aides pour les podcasts existent…").
_VERBS = {
    "fr": frozenset("est sont était étaient a ont avait peut peuvent doit doivent existe existent propose proposent "
                    "fait font sera seront va vont".split()),
    "en": frozenset("is are was were has have had do does did can could will would should get gets got exist "
                    "exists offer offers".split()),
    "ar": frozenset(),
}
# Where a complement starts in the earlier question: a preposition as a word of its own.
_HEADS = {lang: re.compile(rf"(?:^|(?<=\s))(?:{words})(?=\s|$|[?؟])", re.IGNORECASE)
          for lang, words in _PREPOSITIONS.items()}
# "Qu'en est-il des musées ?" asks about "les musées".
_PARTITIVE = {"des ": "les ", "du ": "le ", "de la ": "la ", "de l'": "l'", "d'": ""}


@dataclass(frozen=True)
class Standalone:
    """What a message asks once its conversation is read."""

    question: str  # shown to the user (``standalone_question``)
    asked: str  # what is searched and answered as the question's own words
    context: str = ""  # an earlier question that retrieval weighs less than ``asked``


def needs_context(message: str, lang: str) -> bool:
    return bool(_LEANS_ON_CONTEXT.search(message)) or len(tokenize(message, lang)) < _FEW_WORDS - 1


def previous_question(history: list[Turn], lang: str, depth: int = _DEPTH) -> str | None:
    """The last user turn, itself resolved against the turns before it (``depth`` turns back at most)."""
    for i in range(len(history) - 1, -1, -1):
        turn = history[i]
        if turn.role == "user" and turn.content.strip():
            message = turn.content.strip()
            return standalone(message, history[:i], lang, depth - 1).question if depth > 1 else message
    return None


def switch_topic(message: str, previous: str, lang: str) -> str | None:
    """``previous`` with its last complement replaced by the one ``message`` asks about, or None when
    ``message`` does not only change the topic or ``previous`` has no complement to replace."""
    match = _SWITCH[lang].fullmatch(_trimmed(message.replace("’", "'"), lang))
    if match is None:
        return None
    prep, obj = match.group("prep"), match.group("obj")
    if obj is not None and _NOT_A_TOPIC.search(obj):
        return None
    heads = list(_HEADS[lang].finditer(previous))
    if not heads:
        return None
    same = [h for h in heads if prep and h.group(0).lower() == prep.lower()]
    head = (same or heads)[-1]
    if head.start() == 0:  # "Pour qui…", "In which…": the question's opening, no complement
        return None
    stop = _complement_end(previous, head, heads, lang)
    if obj is not None:  # "What about museums?": the earlier preposition, the new object
        topic = obj.strip()
        if lang == "fr":
            topic = next((new + topic[len(old):] for old, new in _PARTITIVE.items() if topic.lower().startswith(old)),
                         topic)
        word = head.group(0)
        new = "لل" + re.sub(r"^ال", "", topic) if lang == "ar" and word.startswith("لل") else f"{word} {topic}"
    else:
        new = match.group("rest").strip()
    return f"{previous[:head.start()]}{new}{' ' if previous[stop:stop + 1].isalnum() else ''}{previous[stop:]}".strip()


def _trimmed(message: str, lang: str) -> str:
    """``message`` without the spaces and punctuation that close it ("museums ?!", "المتاحف؟")."""
    end = len(message)
    while end and (message[end - 1].isspace() or message[end - 1] in _CLOSING[lang]):
        end -= 1
    return message[:end]


def _complement_end(text: str, head: re.Match[str], heads: list[re.Match[str]], lang: str) -> int:
    """Where the complement opened by ``head`` ends: at the clause's end, the next complement or a verb."""
    end = _CLAUSE_END.search(text, head.end())
    stop = end.start() if end else len(text)
    stop = min([stop, *(h.start() for h in heads if h.start() > head.start())])
    for word in re.finditer(r"\S+", text[head.end():stop]):
        if word.group(0).lower() in _VERBS[lang]:
            stop = head.end() + word.start()
            break
    return head.start() + len(text[head.start():stop].rstrip())


def standalone(message: str, history: list[Turn], lang: str, depth: int = _DEPTH) -> Standalone:
    """The message as a question that can be read without the conversation (see the module's docstring)."""
    if not needs_context(message, lang):
        return Standalone(message, message)
    prev = previous_question(history, lang, depth)
    if not prev:
        return Standalone(message, message)
    switched = switch_topic(message, prev, lang)
    if switched:
        return Standalone(switched, switched)
    return Standalone(f"{message.rstrip()} — {prev}", message, prev)
