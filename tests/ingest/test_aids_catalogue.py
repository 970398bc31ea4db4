"""The aid catalogue against the corpus: every aid the documents name has a card, every good practice
of the roadmap is either cited by a card or recorded as not an aid (with a reason), and every card's
quote occurs in the passage it cites (ingest refuses it otherwise)."""

import yaml

from ingest.aids import build_catalogue, load_cards
from ingest.corpus import parse_corpus
from tests.conftest import CORPUS
from vectorstore.text import fold

# Aids, calls, competitions, residencies and programmes the documents name, as the text names them.
NAMED_IN_THE_DOCUMENTS = [
    "Fonds d'aide aux Expériences numériques", "DICRéAM", "Chimères", "numérisation rétrospective de revues",
    "bourses aux auteurs", "Alternatives vertes", "Solutions de billetterie innovantes", "i-Nov",
    "Choc de modernisation", "Plan Action", "IFdigital", "Digital Crossroads", "Digital Lab Africa",
    "Villa Albertine", "Services numériques innovants", "Pass Culture", "Ecran vivant", "Novembre Numérique",
    "Culturethèque", "European Film Factory", "MyFrenchFilmFestival", "Micro-Folies", "Culturecheznous",
    "Aide diffusions alternatives", "SGDL Grand Prize", "Cultural Seasons", "expert facility on cultural governance",
]


def _catalogue():
    parsed = parse_corpus(CORPUS)
    cards, refused = build_catalogue(CORPUS / "aids.yaml", parsed.passages)
    return parsed, cards, refused


def test_no_card_is_refused_and_every_quote_is_in_its_passage():
    parsed, cards, refused = _catalogue()
    assert refused == []
    by_id = {p.passage_id: p for p in parsed.passages}
    for card in cards:
        assert card["name"] and card["operator"] and card["kind"] and card["sectors"]
        for c in card["citations"]:
            assert fold(c["quote"]) in fold(by_id[c["passage_id"]].text)


def test_every_aid_the_documents_name_has_a_card():
    _, cards, _ = _catalogue()
    cited = " ".join(fold(c["name"] + " " + " ".join(x["quote"] for x in c["citations"])) for c in cards)
    missing = [name for name in NAMED_IN_THE_DOCUMENTS if fold(name) not in cited]
    assert not missing, f"aids named in the documents without a card: {missing}"


def test_every_good_practice_is_a_card_or_a_recorded_decision():
    parsed, cards, _ = _catalogue()
    decisions = yaml.safe_load((CORPUS / "aids.yaml").read_text(encoding="utf-8"))["not_aids"]
    assert all(d.get("reason") for d in decisions)
    cited = {c["passage_id"] for card in cards for c in card["citations"]}
    excluded = [fold(d["quote"]) for d in decisions]
    undecided = [p.text[:70] for p in parsed.passages
                 if p.document == "roadmap" and p.kind == "good_practice" and p.passage_id not in cited
                 and not any(q in fold(p.text) for q in excluded)]
    assert not undecided, f"good practices neither cited by a card nor recorded as not aids: {undecided}"


def test_a_card_whose_quote_is_not_in_the_corpus_is_refused(tmp_path):
    text = (CORPUS / "aids.yaml").read_text(encoding="utf-8")
    first = load_cards(CORPUS / "aids.yaml")[0].citations[0].quote
    (tmp_path / "aids.yaml").write_text(text.replace(first, first + " inventé de toutes pièces", 1), encoding="utf-8")
    parsed = parse_corpus(CORPUS)
    cards, refused = build_catalogue(tmp_path / "aids.yaml", parsed.passages)
    assert len(refused) == 1 and "quote not found" in refused[0]
    assert len(cards) == len(load_cards(CORPUS / "aids.yaml")) - 1
