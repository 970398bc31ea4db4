"""The `assistant` command line over the real index: JSON on stdout, one-line errors, exit codes."""

import json

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from assistant.cli import main, section_tail


def _run(settings, *args):
    return CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "--corpus-dir", str(settings.corpus_dir), *args])


def test_ask_json_cites_the_passage_about_novembre_numerique(built_index):
    result = _run(built_index, "ask", "--json", "Qu'est-ce que le Festival Novembre Numérique ?")
    assert result.exit_code == 0, result.output
    res = json.loads(result.stdout)
    assert not res["abstained"] and res["language"] == "fr"
    assert "Novembre Numérique" in res["citations"][0]["text"]
    assert res["citations"][0]["url"] == f"/passages/{res['citations'][0]['passage_id']}"


def test_search_json_and_text(built_index):
    result = _run(built_index, "search", "-k", "3", "--json", "aides du CNL pour les revues")
    assert result.exit_code == 0
    res = json.loads(result.stdout)
    assert res["lang"] == "fr" and len(res["results"]) == 3
    text = _run(built_index, "search", "-k", "2", "digital lab africa")
    assert text.exit_code == 0 and "Digital Lab Africa" in text.stdout


def test_aids_json_filters(built_index):
    result = _run(built_index, "aids", "--sector", "music", "--json")
    assert result.exit_code == 0
    cards = json.loads(result.stdout)["aids"]
    assert cards and all("music" in c["sectors"] for c in cards)


def test_errors_are_one_line_with_exit_code_1(built_index, tmp_path):
    for args in (["ask", "?!"], ["search", "le la les"]):
        result = _run(built_index, *args)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1 and "Traceback" not in result.output
    empty = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "ask", "CNC"])
    assert empty.exit_code == 1 and "assistant ingest" in empty.stderr


def test_usage_errors_exit_2(built_index):
    assert _run(built_index, "search", "-k", "abc", "CNC").exit_code == 2
    assert _run(built_index, "ask", "--lang", "de", "CNC").exit_code == 2


def test_an_unreadable_environment_variable_is_a_usage_error_naming_it(built_index, monkeypatch):
    from assistant.settings import get_settings

    monkeypatch.setenv("CHROMA_PORT", "eight thousand")
    get_settings.cache_clear()
    try:
        result = _run(built_index, "search", "CNC")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "invalid CHROMA_PORT: Input should be a valid integer" in result.stderr
    assert "Traceback" not in result.output


def test_chat_keeps_history_between_turns(built_index):
    result = CliRunner().invoke(
        main, ["--data-dir", str(built_index.data_dir), "chat"],
        input="Qu'est-ce que le Digital Lab Africa ?\nQui l'a créé ?\n\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("[1]") >= 2
    assert "Digital Lab Africa" in result.stderr  # the rewritten follow-up is shown on stderr


def test_a_long_section_is_shown_by_its_most_specific_whole_words():
    section = ("I. Soutenir la création et protéger les créateurs dans l'environnement numérique › 3. Renforcer les "
               "droits sociaux et économiques des créateurs dans l'environnement numérique")
    assert section_tail(section, 80) == "… droits sociaux et économiques des créateurs dans l'environnement numérique"
    assert section_tail("Axe I › 2. Cadre › b. Bonnes pratiques", 32) == "… 2. Cadre › b. Bonnes pratiques"
    assert section_tail("Axe I › 2. Cadre › b. Bonnes pratiques", 31) == "… b. Bonnes pratiques"
    assert section_tail("Axe I › 2. Cadre", 80) == "Axe I › 2. Cadre"


@given(st.lists(st.text(alphabet="abcdé' ", min_size=1, max_size=40).map(str.strip).filter(bool), min_size=1, max_size=4),
       st.integers(min_value=20, max_value=100))
def test_a_section_tail_fits_and_is_the_end_of_the_section(levels, width):
    section = " › ".join(levels)
    shown = section_tail(section, width)
    assert len(shown) <= width
    if shown != section:
        assert shown.startswith("… ") and section.endswith(shown[2:])
        start = len(section) - len(shown[2:])
        assert section[start - 1] == " " or " " not in section[-(width - 2):]  # cut between words
