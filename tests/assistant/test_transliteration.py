"""Arabic spellings of the Latin names the corpus's Arabic text keeps (real index, real model)."""

from __future__ import annotations

import pytest

from assistant.sentences import latin_names
from assistant.transliteration import NameBridge, arabic_skeleton, latin_skeletons


@pytest.mark.parametrize("arabic, latin", [
    ("ألبرتين", "albertine"),
    ("كولتوريتيك", "culturetheque"),
    ("هادوبي", "hadopi"),
    ("فولي", "folies"),  # the French silent s is not spelt in Arabic
])
def test_an_arabic_spelling_and_its_latin_name_share_a_skeleton(arabic, latin):
    assert arabic_skeleton(arabic) in latin_skeletons(latin)


def test_the_bridge_joins_words_keeps_ambiguity_out_and_needs_an_unknown_first_word():
    bridge = NameBridge(["culturecheznous", "micro folies", "villa", "mondes", "mondo", "monde", "mundi"])

    def unknown(word: str) -> bool:
        return False
    assert bridge.names(["منصة", "كولتور", "شي", "نو"], unknown) == [(["كولتور", "شي", "نو"], ["culturecheznous"])]
    assert bridge.names(["ميكرو", "فولي"], unknown) == [(["ميكرو", "فولي"], ["micro folies"])]
    # Two consonants ("villa": fl) say too little; a skeleton four Latin words share says nothing.
    assert bridge.names(["فيلا"], unknown) == []
    assert bridge.names(["موند"], unknown) == []
    # A word the corpus uses in Arabic is read as Arabic.
    assert bridge.names(["كولتور", "شي", "نو"], lambda word: True) == []


def test_common_arabic_words_and_letters_no_name_has_are_not_read_as_names():
    bridge = NameBridge(["institut", "chateau d"])

    def unknown(word: str) -> bool:
        return False
    # "نسيت" (I forgot) has the consonants of "institut"; it is an everyday Arabic word.
    assert bridge.names(["نسيت"], unknown) == [(["نسيت"], ["institut"])]
    assert bridge.names(["نسيت"], unknown, common=lambda word: word == "نسيت") == []
    # "استعيدها" (I get it back) matches "chateau d" only by dropping its ع and ه.
    assert bridge.names(["استعيدها"], unknown) == []


def test_the_names_of_an_arabic_sentence_are_its_capitalised_latin_words():
    sentence = "تتيح Villa Albertine و Micro-Folies و iTunes – Haute Autorité pour la diffusion des œuvres"
    assert latin_names(sentence) == {"villa", "albertine", "villa albertine", "micro", "folies", "micro folies",
                                     "itunes", "haute", "autorite", "haute autorite"}


@pytest.mark.parametrize("question, name", [
    ("ما هي فيلا ألبرتين؟", "Villa Albertine"),
    ("ماذا تجمع منصة كولتور شي نو؟", "#Culturecheznous"),
    ("ما هي ميكرو فولي وأين تنتشر؟", "Micro-Folies"),
])
def test_an_arabic_question_spelling_a_name_in_arabic_letters_is_answered_from_it(assistant, question, name):
    response = assistant.answer(question)
    assert not response.abstained
    assert any(name in (c.translation or c.text) for c in response.citations)


def test_an_everyday_arabic_word_spelling_a_name_by_chance_stays_arabic(assistant):
    # "السيارات" (the cars) has the consonants of "Charte"; "تنص" (stipulates) those of "iTunes".
    assert assistant._query("أين يمكنني شراء السيارات المستعملة؟", "ar").transliterated == []
    assert assistant._query("ماذا تنص المادة 16 من الاتفاقية؟", "ar").transliterated == []


def test_a_name_the_corpus_lacks_finds_nothing_and_is_still_declined(assistant):
    q = assistant._query("ما نتيجة آخر مباراة بين ريال مدريد وبرشلونة؟", "ar")
    assert q.transliterated == []
    assert assistant.answer("ما نتيجة آخر مباراة بين ريال مدريد وبرشلونة؟").abstained
