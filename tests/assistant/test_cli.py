"""The `assistant` command line over the real index: JSON on stdout, one-line errors, exit codes."""

import json

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from assistant.cli import main, section_tail
from assistant.settings import get_settings


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


# --- the machine refuses: a full disk, a read-only folder, a permission (issue 23) ---------------------------

def _one_line_error(result, *words: str) -> None:
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    assert all(word in result.stderr for word in words), result.stderr


def _tiny_corpus(folder, text: str):
    folder.mkdir(exist_ok=True)
    (folder / "note.txt").write_text(text, encoding="utf-8")  # no manifest: every .txt file is read
    return folder


def test_ingest_on_a_full_disk_is_one_line_and_keeps_the_live_index(tmp_path, monkeypatch):
    from tests.disk_faults import refuse

    corpus = _tiny_corpus(tmp_path / "corpus", "Le CNC soutient le jeu vidéo depuis 2003.\n")
    data = tmp_path / "data"
    args = ["--data-dir", str(data), "--corpus-dir", str(corpus), "ingest", "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    live = (data / "CURRENT").read_text(encoding="utf-8")
    _tiny_corpus(corpus, "Le CNL aide les revues et les librairies.\n")
    refuse(monkeypatch, data / "indexes")  # the disk fills up while the new build is written
    _one_line_error(CliRunner().invoke(main, args), "No space left on device: ", str(data / "indexes"))
    assert (data / "CURRENT").read_text(encoding="utf-8") == live


def test_ingest_into_a_read_only_data_folder_is_one_line(built_index, monkeypatch):
    import errno

    from tests.disk_faults import refuse

    refuse(monkeypatch, built_index.data_dir, errno.EROFS)
    _one_line_error(_run(built_index, "ingest", "-q"), "Read-only file system: ", str(built_index.data_dir))


def test_a_data_folder_that_cannot_be_read_is_one_line(built_index, monkeypatch):
    import errno

    from tests.disk_faults import refuse

    refuse(monkeypatch, built_index.data_dir, errno.EACCES, reads=True)
    for args in (["ask", "Qu'est-ce que le CNC ?"], ["search", "CNC"], ["aids", "--sector", "music"], ["ingest", "-q"]):
        _one_line_error(_run(built_index, *args), "Permission denied: ", str(built_index.data_dir))


def test_serve_with_a_conversations_database_it_cannot_write_is_one_line(built_index, tmp_path):
    # the index as built, beside an app.db that is not a database (or that a mount made read-only)
    data = tmp_path / "data"
    data.mkdir()
    for item in built_index.data_dir.iterdir():
        if item.name not in ("app.db", "app.db-wal", "app.db-shm"):
            (data / item.name).symlink_to(item)
    (data / "app.db").write_bytes(b"not a database at all, " * 100)
    result = CliRunner().invoke(main, ["--data-dir", str(data), "serve", "--port", "1"])
    _one_line_error(result, "conversations database", str(data / "app.db"))


def test_serve_with_a_database_url_it_cannot_reach_or_read_is_one_line(built_index, monkeypatch):
    from tests.processes import free_port

    port = free_port()  # nothing listens there
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:s3cret@127.0.0.1:{port}/assistant")
    result = CliRunner().invoke(main, ["--data-dir", str(built_index.data_dir), "serve", "--port", "1"])
    _one_line_error(result, "conversations database DATABASE_URL cannot be written", "connection", str(port))
    assert "s3cret" not in result.output
    for url in ("mysql://app@localhost/assistant", "sqlite:///:memory:", "sqlite://"):  # in memory: lost at exit
        get_settings.cache_clear()
        monkeypatch.setenv("DATABASE_URL", url)
        result = CliRunner().invoke(main, ["--data-dir", str(built_index.data_dir), "serve", "--port", "1"])
        assert result.exit_code == 2 and "Traceback" not in result.output, url  # a usage error, as for any setting
        assert "Error: invalid DATABASE_URL" in result.stderr and "postgresql://" in result.stderr


def test_a_read_only_data_folder_still_answers(built_index, monkeypatch):
    import errno

    from tests.disk_faults import refuse

    refuse(monkeypatch, built_index.data_dir, errno.EROFS)
    result = _run(built_index, "ask", "--json", "Qu'est-ce que le Festival Novembre Numérique ?")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["citations"]


def test_an_os_error_is_said_with_its_files():
    import errno

    from assistant.cli import os_error_line

    assert os_error_line(OSError(errno.ENOSPC, "No space left on device", "data/x", None)) == \
        "No space left on device: data/x"
    assert os_error_line(OSError(errno.EXDEV, "Invalid cross-device link", "a", None, "b")) == "Invalid cross-device link: a → b"


def test_a_message_over_several_lines_is_shown_on_one(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.yaml").write_text("documents:\n  - id: note\n    file: note.txt\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), "--corpus-dir", str(corpus), "ingest", "-q"])
    _one_line_error(result, "invalid manifest", "Field required")
