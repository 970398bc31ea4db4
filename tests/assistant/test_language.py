import pytest

from assistant.followup import Standalone, needs_context, standalone
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
    assert needs_context("Et pour la musique ?", "fr")
    assert not needs_context("Quelles aides existent pour numériser une revue imprimée ?", "fr")
    assert standalone("Et pour la musique ?", [], "fr") == Standalone("Et pour la musique ?", "Et pour la musique ?")
    # A message that leans on the earlier turn without replacing anything in it borrows it as context.
    leaning = standalone("Elle existe toujours ?", [Turn(role="user", content="C'est quoi l'Hadopi ?")], "fr")
    assert leaning.asked == "Elle existe toujours ?" and leaning.context == "C'est quoi l'Hadopi ?"
    assert "Hadopi" in leaning.question


def _turns(*questions: str) -> list[Turn]:
    return [turn for q in questions for turn in (Turn(role="user", content=q), Turn(role="assistant", content="…"))]


@pytest.mark.parametrize("previous, message, lang, expected", [
    ("Quelles aides pour le cinéma ?", "Et pour la musique ?", "fr", "Quelles aides pour la musique ?"),
    # The same preposition is replaced when the earlier question has it, else its last complement.
    ("Quelles aides existent en France pour les podcasts ?", "Et pour les musées ?", "fr",
     "Quelles aides existent en France pour les musées ?"),
    ("Quels quotas la directive SMA impose-t-elle aux plateformes de VOD ?", "Et pour les éditeurs établis en France ?",
     "fr", "Quels quotas la directive SMA impose-t-elle pour les éditeurs établis en France ?"),
    ("Quelles aides existent pour les podcasts ?", "Et qu'en est-il des musées ?", "fr",
     "Quelles aides existent pour les musées ?"),
    ("Which aids exist for podcast publishers?", "What about museums?", "en", "Which aids exist for museums?"),
    ("How many embassies in Africa have the mission?", "And in Asia?", "en", "How many embassies in Asia have the mission?"),
    ("ما هي البرامج المتاحة للفنانين في فرنسا؟", "وفي كندا؟", "ar", "ما هي البرامج المتاحة للفنانين في كندا؟"),
    ("هل هناك دعم للموسيقيين؟", "وماذا عن الرسامين؟", "ar", "هل هناك دعم للرسامين؟"),
])
def test_a_follow_up_that_changes_the_topic_replaces_the_earlier_complement(previous, message, lang, expected):
    asked = standalone(message, _turns(previous), lang)
    assert asked.question == asked.asked == expected and asked.context == ""


@pytest.mark.parametrize("previous, message, lang", [
    ("What was the EU-CARIFORUM cultural protocol?", "And the one with Korea?", "en"),  # nothing to replace
    ("Which aids exist for podcast publishers?", "What about them?", "en"),  # a pronoun, not a topic
    ("Which aids exist for podcast publishers?", "And who funds them?", "en"),  # a question of its own
    ("Pour qui est le Pass Culture ?", "Et pour les musées ?", "fr"),  # the opening word is no complement
])
def test_a_follow_up_that_does_not_only_change_the_topic_keeps_the_earlier_question_as_context(previous, message, lang):
    asked = standalone(message, _turns(previous), lang)
    assert asked.asked == message and asked.context == previous


def test_a_follow_up_of_a_follow_up_reads_the_whole_conversation():
    history = _turns("Quelles aides le CNC propose-t-il pour la création numérique ?", "Et pour la musique ?")
    assert standalone("Et pour le livre ?", history, "fr").asked == "Quelles aides le CNC propose-t-il pour le livre ?"


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
