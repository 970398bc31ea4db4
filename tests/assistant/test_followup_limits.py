"""The follow-up path on hostile history turns (issue 23): the repros that took 4-5 s per request."""

from __future__ import annotations

import time

import pytest

from assistant.followup import needs_context, standalone, switch_topic
from assistant.schemas import Turn

# The audit's repros, at the history's 20,000-character total.
HOSTILE = [
    ("en", "And for music?", "and what about " + ".!" * 9900 + "x"),
    ("fr", "Et pour la musique ?", "et pour la musique" + "?" * 19900 + "x"),
    ("ar", "وماذا عن الموسيقى؟", "وماذا عن " + "؟" * 19900 + "x"),
    ("ar", "وماذا عنها؟", "ها" + " " * 19900 + "x"),
    ("en", "And for music?", "and for" + " " * 19900 + "x\ny"),
]


@pytest.mark.parametrize(("lang", "message", "turn"), HOSTILE, ids=["en-dots", "fr-questions", "ar-questions",
                                                                    "ar-spaces", "en-spaces-newline"])
def test_a_hostile_history_turn_costs_what_a_normal_one_does(lang: str, message: str, turn: str) -> None:
    # The hostile turn is the previous question, itself resolved against the one before it.
    first = [Turn(role="user", content="Quelles aides du CNC existent pour la création numérique ?"),
             Turn(role="assistant", content="Le CNC propose… [1]")]
    start = time.perf_counter()
    standalone(message, [*first, Turn(role="user", content="Et pour le livre ?")], lang)
    usual = time.perf_counter() - start
    start = time.perf_counter()
    standalone(message, [*first, Turn(role="user", content=turn)], lang)
    took = time.perf_counter() - start
    assert took < max(0.2, 50 * usual), f"{took:.2f} s (a normal follow-up: {usual * 1000:.1f} ms)"


@pytest.mark.parametrize(("message", "lang", "expected"), [
    ("Et pour la musique ?", "fr", "Quelles aides du CNC existent pour la musique ?"),
    ("et pour la musique ?!. ", "fr", "Quelles aides du CNC existent pour la musique ?"),
    ("Et qu'en est-il des musées ?", "fr", "Quelles aides du CNC existent pour les musées ?"),
    ("What about museums?", "en", "Which aids exist for digital creation in museums?"),
    ("And in  Africa...", "en", "Which aids exist for digital creation in  Africa?"),
    ("What about it?", "en", None),
    ("and for music\nplease", "en", None),
])
def test_topic_switches_read_as_before(message: str, lang: str, expected: str | None) -> None:
    previous = {"fr": "Quelles aides du CNC existent pour la création numérique ?",
                "en": "Which aids exist for digital creation in France?"}[lang]
    assert switch_topic(message, previous, lang) == expected


def test_an_arabic_pronoun_at_the_end_still_leans_on_context() -> None:
    assert needs_context("ومن يديرها ؟ ", "ar") and needs_context("من يموله", "ar")
