from hypothesis import given, settings, strategies as st

from ingest.parse import MAX_CHARS, parse_page, parse_roadmap
from tests.conftest import CORPUS

ROADMAP = (CORPUS / "roadmap-convention-2005-numerique-fr.txt").read_text(encoding="utf-8")


def _roadmap():
    passages, _ = parse_roadmap(ROADMAP, "roadmap", "Feuille de route", "fr")
    return passages


def test_bullets_are_recorded_as_list_items_and_paragraphs_are_not():
    page = "Title of the page\n\nSome heading\n\nThe EU has concluded protocols.\n\n- In 2007, one protocol.\n\n" \
           "- In 2010, another protocol.\n\nA closing paragraph that is long enough to be a paragraph.\n"
    passages, _ = parse_page(page, "doc", "Doc", "en")
    assert [(p.text, p.listed) for p in passages if p.kind != "heading"][-4:] == [
        ("The EU has concluded protocols.", False), ("In 2007, one protocol.", True),
        ("In 2010, another protocol.", True), ("A closing paragraph that is long enough to be a paragraph.", False)]
    # a short lead-in ending with a colon is joined to the first item: that passage leads, it is no item
    page = "Title of the page\n\nSome heading\n\nThe programme supports artists abroad.\n\nCountries:\n\n" \
           "- France and Morocco.\n\n- Tunisia.\n"
    passages, _ = parse_page(page, "doc", "Doc", "en")
    assert [(p.text, p.listed) for p in passages if p.kind != "heading"][-3:] == [
        ("The programme supports artists abroad.", False), ("Countries: France and Morocco.", False),
        ("Tunisia.", True)]
    roadmap = _roadmap()
    assert any(p.listed for p in roadmap) and not any(p.listed for p in roadmap if p.kind in ("heading", "measure"))


def test_roadmap_sections_follow_axis_objective_sub_objective():
    chimeres = next(p for p in _roadmap() if p.text.startswith("Le programme Chimères"))
    assert chimeres.kind == "good_practice"
    assert chimeres.section == (
        "I. Soutenir la création et protéger les créateurs dans l'environnement numérique"
        " › 1. Soutenir les filières créatives › a. Aider la création dans l'environnement numérique"
    )
    assert chimeres.measure.startswith("Soutenir l'émergence de nouveaux usages numériques")


def test_kinds_cover_headings_measures_and_good_practices():
    kinds = {p.kind for p in _roadmap()}
    assert {"heading", "intro", "measure", "good_practice"} <= kinds


def test_passages_are_never_longer_than_the_limit_and_spans_point_into_the_source():
    for p in _roadmap():
        assert len(p.text) <= MAX_CHARS
        assert 0 <= p.start < p.end <= len(ROADMAP)
        # the first words of the passage are found in its span of the source
        assert p.text.split()[0].strip("*-") in ROADMAP[p.start:p.end]


def test_paragraph_broken_by_the_footnote_is_joined():
    joined = [p for p in _roadmap() if "moteurs de recherche pour bloquer" in p.text]
    assert len(joined) == 1 and joined[0].text.startswith("Elle pourra également")


def test_list_items_after_a_colon_stay_good_practices_of_their_measure():
    items = [p for p in _roadmap() if p.text.startswith("Un appel à projets transformation numérique")]
    assert items and items[0].kind == "good_practice"


def test_passage_ids_are_stable_and_unique():
    a, b = _roadmap(), _roadmap()
    assert [p.passage_id for p in a] == [p.passage_id for p in b]
    assert len({p.passage_id for p in a}) == len(a)


def test_page_headings_and_navigation_residue():
    src = "Navigation path\n\nInternational cultural cooperation\n\nA first paragraph that is long enough to be text.\n\nThe EU:\n• shares goals with many partners around the world.\n"
    passages, skipped = parse_page(src, "doc", "t", "en")
    assert [p.kind for p in passages] == ["heading", "paragraph", "paragraph"]
    assert passages[2].text.startswith("The EU: shares goals")
    assert any("Navigation path" in s for s in skipped)


def test_scraped_file_links_and_run_on_bullets_do_not_reach_the_passages():
    # As the European Commission's page came: a link's label kept, a line break before a bullet lost.
    src = ("Developing a strategy\n\nSince 2007, players have called for a more strategic approach.\n"
           "Summary report of the group pdf - 32 KB [32 KB] Deutsch (de) français (fr)\n\nThe EU:\n"
           "• has produced its first report pdf - 630 KB [630 KB] français (fr) • funds an expert facility.\n"
           "- In 2011, Agreement on Cultural Cooperation pdf - 47 KB [47 KB] español (es)   is concluded.\n")
    passages, _ = parse_page(src, "doc", "t", "en")
    texts = [p.text for p in passages]
    assert texts[2:] == ["Summary report of the group", "The EU: has produced its first report",
                         "funds an expert facility.", "In 2011, Agreement on Cultural Cooperation is concluded."]
    assert [p.section for p in passages][1:] == ["Developing a strategy"] * 5  # a link line is no heading
    assert src[passages[4].start:passages[4].end] == "• funds an expert facility."


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=1500), max_size=8))
def test_splitter_never_loses_text_or_exceeds_the_limit(paragraphs):
    src = "\n\n".join(paragraphs)
    passages, _ = parse_page(src, "doc", "t", "en")
    for p in passages:
        assert len(p.text) <= MAX_CHARS or len(p.text.split(". ")) == 1
        assert p.text == p.text.strip()
