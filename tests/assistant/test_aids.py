"""The aid catalogue: facets, filters and profile search over the real index."""

import pytest

from assistant.errors import NotFoundError

FACETS = {"sector": "sectors", "beneficiary": "beneficiaries", "kind": "kind", "operator": "operator", "stage": "stages"}


def _has(card, facet, value):
    v = card[FACETS[facet]]
    return value in (v if isinstance(v, list) else [v])


def test_filtering_by_any_facet_value_returns_only_cards_carrying_it(assistant):
    everything = assistant.search_aids(None, {})
    assert len(everything["aids"]) >= 40
    for facet, counts in everything["facets"].items():
        for value, count in counts.items():
            got = assistant.search_aids(None, {facet: value})["aids"]
            assert len(got) == count and all(_has(c, facet, value) for c in got)


def test_filters_combine_and_unknown_values_give_an_empty_list(assistant):
    got = assistant.search_aids(None, {"sector": "music", "kind": "grant"})["aids"]
    assert got and all(_has(c, "sector", "music") and c["kind"] == "grant" for c in got)
    assert assistant.search_aids(None, {"sector": "no-such-sector"})["aids"] == []


@pytest.mark.parametrize("profile, expected_operator", [
    ("je suis éditrice et je veux numériser une revue", "CNL"),
    ("I run a music venue and want to stream concerts", "CNM"),
])
def test_profiles_are_ranked_with_the_multilingual_search(assistant, profile, expected_operator):
    top = assistant.search_aids(profile, {})["aids"][:5]
    assert any(c["operator"] == expected_operator for c in top)
    assert all(any(w.startswith(("sector=", "beneficiary=", "kind=", "word:")) for w in c["why"]) for c in top)


def test_every_card_cites_text_that_occurs_in_its_passage(assistant):
    from vectorstore.text import fold

    for card in assistant.search_aids(None, {})["aids"]:
        assert card["name"] and card["operator"] and card["kind"] and card["sectors"]
        for cit in card["citations"]:
            assert fold(cit["quote"]) in fold(assistant.passage(cit["passage_id"]).text)


def test_unknown_aid(assistant):
    with pytest.raises(NotFoundError):
        assistant.aid("no-such-aid")
