"""Follow-ups: turn an elliptical or pronoun-bearing message into a standalone question.

No LLM here: a message that leans on the previous turn ("Et pour la musique ?", "Who funds it?",
"ومن يديرها؟") is completed with the previous user question, which names what it refers to. The
message itself stays first and, in retrieval, weighs more than the context it borrows.
"""

from __future__ import annotations

import re

from assistant.schemas import Turn
from vectorstore.text import tokenize

_LEANS_ON_CONTEXT = re.compile(
    r"^\s*(?:et|mais|and|but|what about|how about|also|و|وماذا|ماذا عن)\b"
    r"|\b(?:il|elle|ils|elles|le|la|les|lui|leur|ce|cet|cette|ces|celui|celle|ceux|cela|ça|en|y|"
    r"it|its|they|them|their|this|that|these|those|he|she|one|"
    r"هو|هي|هم|ذلك|تلك|هذا|هذه)\s*(?:\?|$)"
    r"|\b(?:it|its|they|them|their|this one|that one|ce dispositif|ce programme|cette aide|celui-ci|celle-ci|"
    r"ce festival|cette plateforme|cet appel)\b"
    r"|(?:ها|هم|ه)\s*[؟?]?\s*$",
    re.IGNORECASE,
)
_FEW_WORDS = 4


def needs_context(message: str, lang: str) -> bool:
    return bool(_LEANS_ON_CONTEXT.search(message)) or len(tokenize(message, lang)) < _FEW_WORDS - 1


def previous_question(history: list[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "user" and turn.content.strip():
            return turn.content.strip()
    return None


def standalone(message: str, history: list[Turn], lang: str) -> tuple[str, str]:
    """(standalone question shown to the user, context text added to retrieval)."""
    prev = previous_question(history)
    if not prev or not needs_context(message, lang):
        return message, ""
    return f"{message.rstrip()} — {prev}", prev
