"""The aid finder's relevance (``assistant/aidmatch.py``): reading a profile through the language packs,
relevant cards or none on the real index, what a card says it is worth, and the calibration's pieces."""

import numpy as np
import pytest

from assistant.aids import describe
from evals.calibrate import choose_aid_threshold, profile_score


@pytest.mark.parametrize("lang, profile, facet, value", [
    ("fr", "je dirige une salle de concert", "sectors", "music"),
    ("fr", "je dirige une salle de concert", "beneficiaries", "venues-institutions"),
    ("fr", "Jeune pousse qui développe un logiciel de billetterie", "beneficiaries", "start-ups"),
    ("fr", "Autrice-illustratrice jeunesse", "beneficiaries", "authors-artists"),
    ("en", "I'm a video game studio", "sectors", "video-games"),
    ("en", "I'm a video game studio", "beneficiaries", "companies-producers"),
    ("en", "looking for a residency", "kinds", "residency"),
    ("ar", "أنا ناشر كتب وأريد رقمنة كتالوجي", "sectors", "books-press"),
    ("ar", "أنا ناشر كتب وأريد رقمنة كتالوجي", "beneficiaries", "publishers"),
    ("ar", "مترجمة أدبية تبحث عن جائزة", "kinds", "competition"),
])
def test_a_profile_names_facet_values_through_its_language_pack(assistant, lang, profile, facet, value):
    assert value in assistant.matcher.read(profile, lang).values(facet)


def test_the_longest_phrase_met_speaks_for_a_value(assistant):
    # "jeune pousse" is a start-up: the "jeune" inside it does not make the asker a young person
    named = assistant.matcher.read("Jeune pousse qui cherche un financement", "fr").values("beneficiaries")
    assert "start-ups" in named and "young-people" not in named


def test_words_asking_for_money_name_a_kind_not_a_topic(assistant):
    profile = assistant.matcher.read("funding for a dance company", "en")
    assert "grant" in profile.values("kinds")
    assert not {"fund", "funding"} & profile.tokens and "danc" in profile.tokens


def test_words_no_card_holds_leave_the_share_of_the_others_alone(assistant):
    # "SMAC" is in no card: the share of the profile's other words a card holds is the same with it
    cards = assistant.aids.cards
    plain = assistant.matcher.score(assistant.matcher.read("salle de concert qui filme ses concerts", "fr", encode=False), cards, [])
    extra = assistant.matcher.score(assistant.matcher.read("salle de concert SMAC qui filme ses concerts", "fr", encode=False), cards, [])
    text = {s.card["id"]: s.signals["text"] for s in plain}
    assert max(text.values()) > 0
    assert all(s.signals["text"] == text[s.card["id"]] for s in extra)
    assert extra[0].signals["unknown"] > plain[0].signals["unknown"]


@pytest.mark.parametrize("profile, lang", [
    ("tractor subsidy for dairy farmers", "en"),
    ("j'ai un restaurant à Marseille, quelles aides pour refaire la cuisine ?", "fr"),
    ("أنا سباك وأحتاج إلى قرض لشراء شاحنة", "ar"),
])
def test_a_profile_outside_the_documents_field_gets_none_and_is_told_so(assistant, profile, lang):
    found = assistant.search_aids(profile, {}, lang)
    assert found["aids"] == [] and found["out_of_scope"] and found["nearest"] == []


@pytest.mark.parametrize("profile, lang, sector", [
    ("Je suis libraire et mon loyer commercial augmente, existe-t-il une aide pour le payer ?", "fr", "books-press"),
    ("I'm a novelist and I want a loan to buy a farmhouse as a writing retreat", "en", "books-press"),
])
def test_a_cultural_profile_no_card_fits_gets_none_and_the_nearest_sectors(assistant, profile, lang, sector):
    found = assistant.search_aids(profile, {}, lang)
    assert found["aids"] == [] and not found["out_of_scope"]
    assert sector in found["nearest"] and "all-cci" not in found["nearest"]


@pytest.mark.parametrize("profile, lang, expected", [
    ("je dirige une salle de concert, quelles aides pour diffuser nos concerts en ligne ?", "fr",
     "cnm-aide-diffusions-alternatives"),
    ("I'm a video game studio, what support can I get?", "en", "cnc-soutien-jeu-video"),
    ("Je suis éditrice d'une revue et je veux numériser nos anciens numéros", "fr",
     "cnl-numerisation-retrospective-revues"),
])
def test_a_profile_gets_the_cards_that_fit_it_first_with_why(assistant, profile, lang, expected):
    cards = assistant.search_aids(profile, {}, lang, limit=5)["aids"]
    assert expected in [c["id"] for c in cards[:3]]
    scores = [c["score"] for c in cards]
    assert scores == sorted(scores, reverse=True) and min(scores) >= assistant.matcher.model.threshold
    top = cards[0]
    assert any("=" in w for w in top["why"]) or any(w.startswith("word:") for w in top["why"])


def test_unrelated_cards_are_left_out_not_merely_ranked_lower(assistant):
    # the video-game profile does not bring the cards for heritage digitisation or the Pass Culture
    ids = {c["id"] for c in assistant.search_aids("I'm a video game studio, what support can I get?", {}, "en")["aids"]}
    assert "cnc-soutien-jeu-video" in ids
    assert not ids & {"pia4-aap-numerisation-patrimoine-architecture", "pass-culture", "europeana"}


def test_filters_still_bind_a_profile_search(assistant):
    profile = "je dirige une salle de concert, on veut diffuser nos concerts en ligne"
    cards = assistant.search_aids(profile, {"kind": "grant"}, "fr")["aids"]
    assert "cnm-aide-diffusions-alternatives" in [c["id"] for c in cards]
    assert all(c["kind"] == "grant" and c["why"].count("kind=grant") == 1 for c in cards)
    # the music filter leaves the CNM card; the video-game one leaves nothing that fits a concert hall
    assert "cnm-aide-diffusions-alternatives" in [c["id"] for c in assistant.search_aids(profile, {"sector": "music"}, "fr")["aids"]]
    assert assistant.search_aids(profile, {"sector": "video-games"}, "fr")["aids"] == []
    # filters no card carries: nothing, and no sectors to suggest
    empty = assistant.search_aids(profile, {"sector": "no-such-sector"}, "fr")
    assert empty["aids"] == [] and empty["nearest"] == []


def test_a_profile_of_request_words_alone_matches_no_card_by_its_words(assistant):
    profile = assistant.matcher.read("funding", "en")
    assert profile.tokens == frozenset() and "grant" in profile.values("kinds")
    scored = assistant.matcher.score(profile, assistant.aids.cards, [])
    assert all(s.signals["text"] == 0.0 and not s.met for s in scored)


@pytest.mark.parametrize("question, lang, gets_aids", [
    ("Quelles aides pour numériser une revue ?", "fr", True),
    ("What is the Alliance française network?", "en", False),  # "network" names a resource, not an aid asked for
    ("Quel est le programme de la Villa Albertine ?", "fr", False),
])
def test_a_chat_answer_brings_aid_cards_only_when_the_question_asks_for_support(assistant, question, lang, gets_aids):
    response = assistant.answer(question, lang=lang)
    assert bool(response.aids) is gets_aids


def test_a_profile_in_the_chat_gets_the_cards_alone_a_how_question_the_sentences_first(assistant):
    profile = assistant.answer("I run a concert hall and want to stream our concerts, what can I get?")
    assert not profile.abstained and "cnm-aide-diffusions-alternatives" in [a["id"] for a in profile.aids]
    body = [line for line in profile.answer.splitlines()[1:] if line.strip()]
    # every line under the lead-in is a card's, "name (operator): …": no stray sentence before them
    assert body and all(any(line.lstrip("- ").startswith(a["name"]) for a in profile.aids) for line in body)
    asked = assistant.answer("Comment candidater à l'appel à projets Services numériques innovants ?")
    assert not asked.abstained


def test_unreadable_cached_vectors_are_encoded_again(assistant, tmp_path):
    from assistant.aidmatch import AidMatcher

    first = AidMatcher(assistant.aids.cards, assistant.bank, assistant.matcher.encoder, ("en",),
                       assistant.vocabulary, assistant.matcher.model, cache=tmp_path)
    vectors = first.card_vectors("en")
    [cached] = list(tmp_path.glob("aid-vectors-*.npy"))
    cached.write_bytes(b"")  # a file cut short
    second = AidMatcher(assistant.aids.cards, assistant.bank, assistant.matcher.encoder, ("en",),
                        assistant.vocabulary, assistant.matcher.model, cache=tmp_path)
    again = second.card_vectors("en")
    assert again.keys() == vectors.keys()
    assert all(np.allclose(again[k], vectors[k], atol=1e-5) for k in vectors)
    assert cached.stat().st_size > 0 and not list(tmp_path.glob("*.tmp.npy"))


def test_an_aid_model_of_other_signals_gives_a_stand_in_and_a_warning(tmp_path, caplog):
    from assistant.aidmatch import FEATURES, AidModel

    path = tmp_path / "aidmatch.json"
    path.write_text('{"features": ["text"], "coef": [1.0], "intercept": 0, "threshold": 0.5}', encoding="utf-8")
    model = AidModel.load(path)
    assert len(model.coef) == len(FEATURES) and "calibrate --aids" in caplog.text
    assert AidModel.load(tmp_path / "missing.json").coef == model.coef


def test_a_card_shows_its_newest_document_and_that_documents_date():
    card = {"id": "x", "citations": [{"passage_id": "a", "document": "old", "quote": ""},
                                     {"passage_id": "b", "document": "new", "quote": ""}]}
    documents = {"old": {"id": "old", "title": "Old page", "date": "c. 2020"},
                 "new": {"id": "new", "title": "Roadmap", "date": "2022-01-21"}}
    described = describe(card, {}, documents)
    assert described["documents"][0]["title"] == "Roadmap" and described["date"] == "2022-01-21"


def test_a_card_says_which_document_describes_it_and_what_ties_it_to_a_time(assistant):
    cards = {c["id"]: c for c in assistant.search_aids(None, {})["aids"]}
    ecran = cards["onda-ecran-vivant"]
    assert ecran["date"] == "2022-01-21" and ecran["documents"][0]["id"] == "roadmap"
    assert "Covid-19" in ecran["time_bound"]
    # "dès 2003" says when the CNC's support began, not when it ends
    assert "2003" not in cards["cnc-soutien-jeu-video"]["time_bound"]


def test_describe_reads_a_year_and_an_episode_from_the_passage_but_not_a_start(assistant):
    passage = next(iter(assistant.index.passages.values()))
    card = {"id": "x", "citations": [{"passage_id": passage.passage_id, "document": passage.document,
                                      "quote": "un appel ouvert en 2021 face à la crise sanitaire, un programme "
                                               "lancé en 2016, dès 2003 ailleurs"}]}
    marks = describe(card, {}, {passage.document: {"id": passage.document, "date": "2022"}})["time_bound"]
    assert "2021" in marks and "crise sanitaire" in marks
    assert "2003" not in marks and "2016" not in marks  # when something began is no end
    card["citations"][0]["quote"] = "les codes 2021 de la profession"  # "des" inside a word is no "dès"
    assert "2021" in describe(card, {}, {})["time_bound"]


def test_a_profile_score_rewards_recall_and_an_honest_none():
    p = np.array([0.9, 0.8, 0.2])
    assert profile_score(p, np.array([True, False, False]), 0.85) == 1.0
    assert profile_score(p, np.array([False, False, True]), 0.85) == 0.0
    assert profile_score(p, np.array([False, False, False]), 0.95) == 1.0  # none fits, none returned
    assert profile_score(p, np.array([False, False, False]), 0.5) == 0.0
    # two kept for one expected: recall is whole, precision half; F2 leans to recall
    assert 0.8 < profile_score(p, np.array([True, False, False]), 0.5) < 1.0


def test_the_threshold_sits_inside_a_plateau_not_on_the_edge_of_a_step():
    # one profile whose card scores 0.9 against a wrong one at 0.3, one no card fits whose best is 0.5
    groups = {"a": (np.array([0.9, 0.3]), np.array([True, False])),
              "none": (np.array([0.5, 0.4]), np.array([False, False]))}
    t = choose_aid_threshold(groups)
    assert 0.55 < t < 0.85  # inside (0.5, 0.9), away from both steps
