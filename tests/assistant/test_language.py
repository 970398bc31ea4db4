import pytest

from assistant.followup import needs_context, standalone
from assistant.glossary import Glossary
from assistant.language import detect_language
from assistant.schemas import Turn
from ingest.glossary import load_glossary
from tests.conftest import CORPUS
from vectorstore.text import tokenize


@pytest.mark.parametrize("text, lang", [
    ("Qu'est-ce que le Festival Novembre Numérique ?", "fr"),
    ("Novembre Numérique ?", "fr"),
    ("Which grants exist for video games?", "en"),
    ("Who funds it?", "en"),
    ("ما هو مهرجان نوفمبر الرقمي؟", "ar"),
    ("هل يدعم CNC ألعاب الفيديو؟", "ar"),
    # A short Arabic question around a long Latin name is still Arabic...
    ("ما هي Micro-Folies؟", "ar"),
    ("ما هو European Film Factory؟", "ar"),
    # ...but a French sentence quoting one Arabic word is not.
    ("Que veut dire le mot « ثقافة » dans la traduction arabe ?", "fr"),
])
def test_language_detection(text, lang):
    assert detect_language(text) == lang
    assert detect_language(text) == detect_language(text)  # deterministic


def test_ambiguous_short_questions_fall_back_to_the_default():
    assert detect_language("CNC ?", default="en") == "en"
    assert detect_language("CNC ?", default="fr") == "fr"


def test_glossary_matches_stems_and_acronyms_but_not_common_words():
    g = Glossary(load_glossary(CORPUS / "glossary.yaml"))
    assert "jeu vidéo" in g.expand("Which grants exist for video games?", "en", target="fr")
    assert any("Centre national du cinéma" in t for t in g.expand("Les aides du CNC", "fr"))
    assert g.expand("what if we go there", "en") == []


def test_standalone_questions():
    history = [Turn(role="user", content="Quelles aides pour le cinéma ?"), Turn(role="assistant", content="…")]
    assert needs_context("Et pour la musique ?", "fr")
    assert not needs_context("Quelles aides existent pour numériser une revue imprimée ?", "fr")
    question, context = standalone("Et pour la musique ?", history, "fr")
    assert "cinéma" in question and context == "Quelles aides pour le cinéma ?"
    assert standalone("Et pour la musique ?", [], "fr") == ("Et pour la musique ?", "")


def test_glossary_term_tokens_cover_every_language_and_acronym():
    g = Glossary(load_glossary(CORPUS / "glossary.yaml"))
    terms = g.match("Les aides du CNC", "fr")
    tokens = g.tokens(terms, "fr")
    assert "cnc" in tokens and {"cinem", "imag"} & tokens  # the acronym and the French name's stems
    assert g.tokens([], "fr") == set()


def test_a_term_named_by_acronym_is_found_spelled_out_and_the_other_way():
    g = Glossary(load_glossary(CORPUS / "glossary.yaml"))
    spelled = frozenset(tokenize("L'inscription au Syndicat national du jeu vidéo requiert la charte", "fr"))
    assert "snjv" in g.named_in(g.match("Faut-il signer quelque chose pour rejoindre le SNJV ?", "fr"), "fr", spelled)
    short = frozenset(tokenize("Le CNM soutient la musique enregistrée", "fr"))
    named = g.named_in(g.match("Que fait le Centre national de la musique ?", "fr"), "fr", short)
    assert {"centr", "national", "musiqu"} <= named
    # A text that names the term neither way stands for nothing; nor do its synonyms in other words.
    assert g.named_in(g.match("Le SNJV ?", "fr"), "fr", frozenset(tokenize("Le jeu vidéo en France", "fr"))) == set()
