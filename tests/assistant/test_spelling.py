"""Typing errors corrected before a question is understood, against the real corpus's words (the
session's index): a slip becomes the word meant; a real word the corpus never uses, a word of another
language, a clitic form, a short word or a name nobody can tell stays as typed."""

from __future__ import annotations

import pytest

from assistant.spelling import Speller
from evals.typos import misspell


@pytest.mark.parametrize("typed, meant", [
    ("Quels sont les trois axes de la feulle de route ?", "Quels sont les trois axes de la feuille de route ?"),
    ("give me a quick sumary of axis III objective 2", "give me a quick summary of axis III objective 2"),
    ("What is the cooperaton protocol with Korea?", "What is the cooperation protocol with Korea?"),
    ("Qu'est-ce que le Pass Culutre ?", "Qu'est-ce que le Pass Culture ?"),  # a capital stays a capital
    ("ما هي المحااور الثلاثة لخارطة الطريق؟", "ما هي المحاور الثلاثة لخارطة الطريق؟"),  # "ل" + "خارطة" stays
    # a slip common enough that wordfreq has seen it (Zipf 1.6), one edit from a corpus word far more common (5.0)
    ("whats the diffrence between Novembre Numérique and Digital Crossroads?",
     "whats the difference between Novembre Numérique and Digital Crossroads?"),
])
def test_a_slip_becomes_the_word_meant_and_the_question_is_answered_as_meant(assistant, typed: str, meant: str) -> None:
    frame = assistant.understand(typed, [])
    assert frame.message == meant and frame.question == meant
    assert frame.notes["spelling"]
    assert assistant.understand(meant, []).intent == frame.intent


@pytest.mark.parametrize("question", [
    "What's the weather in Paris tomorrow?",  # real words the corpus never uses: what makes it off-topic
    "tractor subsidy for dairy farmers",
    "What are the objectifs under axe I of the feuille de route?",  # French words in an English question
    "Résume la page « Cultural and creative industries: a priority mission internationally »",
    "Qu'est-ce que Kahoot ?",  # a name nobody can tell from a slip
    "Quels axes ?",  # short words are too ambiguous to correct
    "Quelle est la place de la sobriete numerique ?",  # unaccented, as the corpus's word is known folded
    "Quid des autrices ?",  # a real word (wordfreq knows it), not a slip of "autres"
    "Quelles aides pour les startups du metavers ?",  # 8 letters: one edit at most, "métiers" is two
    "How do I recieve a grant?",  # a common slip, but no word of the corpus is one edit from it
    "What about the dairy sector?",  # a real word common enough (Zipf 4.1): never a slip
    "Does the roadmap say anything about influencer marketing?",  # rare (2.95) but "influence" (4.78) is not
    # common enough beside it to call it a slip (SLIP_MARGIN)
])
def test_what_is_not_a_slip_stays_as_typed(assistant, question: str) -> None:
    frame = assistant.understand(question, [])
    assert frame.message == question and "spelling" not in frame.notes


def test_an_off_topic_question_stays_declined_and_a_misspelled_one_is_answered(assistant) -> None:
    assert assistant.answer("What's the weather in Paris tomorrow?").abstained
    answer = assistant.answer("Qu'est-ce que le Festival Novembre Numériqeu ?")
    assert not answer.abstained and "Novembre Numérique" in answer.answer
    assert answer.standalone_question == "Qu'est-ce que le Festival Novembre Numérique ?"  # shown to the asker


def test_nearest_then_most_frequent_then_alphabetical() -> None:
    speller = Speller({"en": {"aides": 5, "aider": 9, "grants": 3}}, {"en": ["summary"]})
    # spellings that fold alike add up, in any order, and the most frequent one is shown
    for order in ({"Étude": 2, "etude": 3, "études": 1}, {"études": 1, "etude": 3, "Étude": 2}):
        assert Speller({"fr": order}, {})._known["fr"]["etude"] == ("etude", 5)
    assert speller.correct("aidez", "en")[0] == "aider"  # one edit from both: the more frequent
    assert speller.correct("summray", "en")[0] == "summary"  # a cue word of the pack is known (two letters swapped: one edit)
    assert speller.correct("grantss", "en")[0] == "grants"
    assert speller.correct("GRANTSS", "en")[0] == "GRANTS" and speller.correct("Grantss", "en")[0] == "Grants"
    assert speller.correct("zzzzzzz", "en") == ("zzzzzzz", [])
    assert speller.correct("anything", "de") == ("anything", [])  # no words for that language: left alone


def test_the_evals_slip_is_one_edit_in_the_longest_word_and_the_same_every_run() -> None:
    question = "Quels sont les trois axes de la feuille de route ?"
    slipped = misspell(question, "fr-001")
    assert slipped == misspell(question, "fr-001") and slipped != question
    changed = [(a, b) for a, b in zip(question.split(), slipped.split()) if a != b]
    assert len(changed) == 1 and changed[0][0] == "feuille"
    assert misspell("What is Creative Europe?", "x") == "What is Creative Europe?"  # names and short words only
