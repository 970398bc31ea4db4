"""Down-voted answers in the web app's SQLite store become candidate gold lines a person must complete."""

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.schemas import ChatResponse, Citation
from evals import gold
from evals.cli import cli
from evals.errors import FeedbackError, GoldError
from evals.feedback import candidates, read_feedback
from web.store import Store, new_id


def _exchange(store: Store, conversation: str, question: str, answer: str, *, vote: str, reasons: list[str],
              comment: str = "", abstained: bool = False, language: str = "fr") -> None:
    citations = [] if abstained else [Citation(n=1, passage_id="p1", document="roadmap", title="t", section="s",
                                                text="texte", language="fr", url="/passages/p1")]
    response = ChatResponse(answer=answer, abstained=abstained, language=language, standalone_question=question,
                            citations=citations)
    _, answer_id = store.add_exchange(conversation, "owner", question, response)
    store.add_feedback(answer_id, vote, reasons, comment)


def make_db(path: Path | str) -> Path | str:
    store = Store(path)
    c1, c2 = new_id(), new_id()
    _exchange(store, c1, "Quelles aides pour numériser une revue ?", "Les documents ne répondent pas…", vote="down",
              reasons=["should_have_answered"], comment="il y a une aide du CNL", abstained=True)
    _exchange(store, new_id(), "Quel temps fera-t-il demain à Lyon ?", "Le CNC soutient… [1]", vote="down",
              reasons=["should_not_have_answered"])
    _exchange(store, new_id(), "What is Creative Europe?", "Creative Europe is… [1]", vote="up", reasons=[], language="en")
    _exchange(store, new_id(), "quelles aides pour numeriser une revue ?", "…", vote="down", reasons=[])
    _exchange(store, c2, "Quelles aides pour le jeu vidéo ?", "Le CNC… [1]", vote="up", reasons=[])
    _exchange(store, c2, "Et pour le spectacle vivant ?", "… [1]", vote="down", reasons=["wrong_source"],
              comment="mauvaise source")
    _exchange(store, new_id(), "Qu'est-ce que le Festival Novembre Numérique ?", "… [1]", vote="down", reasons=[])
    return path


def test_candidates_from_down_votes(tmp_path: Path) -> None:
    rows = read_feedback(make_db(tmp_path / "app.db"))
    assert [r.vote for r in rows] == ["down", "down", "up", "down", "up", "down", "down"]
    lines = candidates(rows, known_questions={"Qu'est-ce que le Festival Novembre Numérique ?"})
    assert [line["question"] for line in lines] == [
        "Quelles aides pour numériser une revue ?",  # its accent-less duplicate is dropped
        "Quel temps fera-t-il demain à Lyon ?",
        "Et pour le spectacle vivant ?",  # up-votes and the question already in the gold are left out
    ]
    first, weather, theatre = lines
    assert first["answerable"] is True and weather["answerable"] is False and theatre["answerable"] is True
    assert all(line["needs_review"] is True and line["evidence"] == [] and line["split"] == "dev" for line in lines)
    assert theatre["history"] == [{"role": "user", "content": "Quelles aides pour le jeu vidéo ?"},
                                  {"role": "assistant", "content": "Le CNC… [1]"}]
    assert theatre["language"] == "fr" and theatre["feedback"]["reasons"] == ["wrong_source"]
    assert theatre["feedback"]["cited_passages"] == ["p1"]
    assert first["feedback"]["abstained"] is True and first["feedback"]["comment"] == "il y a une aide du CNL"
    assert first["id"].startswith("fb-")


def test_cli_writes_lines_that_the_gold_loader_refuses_until_reviewed(tmp_path: Path, clean_settings: Path) -> None:
    db = make_db(tmp_path / "app.db")
    out = tmp_path / "candidates.jsonl"
    result = CliRunner().invoke(cli, ["feedback-export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3  # the Festival question is already in the project's gold
    with pytest.raises(GoldError, match=r"candidates.jsonl:1: .*needs_review"):
        gold.load_qa(out)


def test_cli_reads_the_store_under_data_dir_by_default(clean_settings: Path) -> None:
    make_db(clean_settings / "app.db")
    result = CliRunner().invoke(cli, ["feedback-export"])
    assert result.exit_code == 0
    assert len([line for line in result.stdout.splitlines() if line.startswith("{")]) == 3


@pytest.mark.postgres
def test_cli_reads_the_store_at_database_url(postgres, clean_settings: Path, monkeypatch) -> None:
    from tests.processes import new_database

    url = make_db(new_database(postgres))
    for args, env in ((["feedback-export", "--db", url], None), (["feedback-export"], url)):
        if env:
            from assistant.settings import get_settings

            monkeypatch.setenv("DATABASE_URL", env)
            get_settings.cache_clear()
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        assert len(lines) == 3 and "Et pour le spectacle vivant ?" in {line["question"] for line in lines}
    result = CliRunner().invoke(cli, ["feedback-export", "--db", "mysql://x@localhost/y"])
    assert result.exit_code == 1 and "unsupported database" in result.output


def test_missing_or_foreign_store(tmp_path: Path, clean_settings: Path) -> None:
    result = CliRunner().invoke(cli, ["feedback-export", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no feedback database" in result.output
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE feedback (x TEXT)")  # someone else's table of that name
    con.commit()
    con.close()
    with pytest.raises(FeedbackError, match="cannot read feedback"):
        read_feedback(other)
