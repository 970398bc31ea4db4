"""The conversations store: migrations, exchanges, feedback, concurrent writers. Every test of a
``store`` runs twice: on SQLite (a file in a temporary folder) and on a real PostgreSQL server (a
database of its own on the session's server), with the same expectations."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from assistant.schemas import ChatResponse, Citation, Suggestion
from tests.processes import new_database
from web.store import MIGRATIONS, Store, feedback_rows, is_id, new_id


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        s = Store(tmp_path / "app.db")
    else:
        s = Store(new_database(request.getfixturevalue("postgres")))
    yield s
    s.close()


def response(answer: str = "Réponse [1]", abstained: bool = False) -> ChatResponse:
    return ChatResponse(
        answer=answer, abstained=abstained, language="fr", standalone_question="q", answerer="extractive",
        citations=[Citation(n=1, passage_id="abcdef0123456789", document="roadmap", title="T", section="S",
                            text="texte", language="fr", url="/passages/abcdef0123456789")],
        suggestions=[Suggestion(section="S", passage_id="abcdef0123456789", url="/passages/abcdef0123456789")],
    )


def test_ids_are_128_random_bits_in_hex() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(is_id(i) and len(i) == 32 for i in ids)
    assert not is_id("../" + "a" * 29) and not is_id("A" * 32)


def test_migrations_run_once(store: Store) -> None:
    assert store.schema_version() == len(MIGRATIONS)
    cid = new_id()
    store.add_exchange(cid, "o", "Q", response())
    again = Store(store.url.render_as_string(hide_password=False))  # reopening runs nothing again
    assert again.schema_version() == len(MIGRATIONS) and len(again.conversation(cid).messages) == 2
    again.close()
    with store.engine.connect() as db:
        for table in ("conversations", "messages", "citations", "feedback", "schema_version"):
            db.execute(text(f"SELECT COUNT(*) FROM {table}"))  # each exists


@pytest.mark.postgres
def test_replicas_starting_together_on_a_new_database_migrate_it_once(postgres) -> None:
    """Six processes' worth of stores opening one empty PostgreSQL database at the same moment: one
    migrates (under the advisory lock), the others wait and find it done; none fails."""
    url = new_database(postgres)
    barrier, errors, stores = threading.Barrier(6), [], []

    def open_store() -> None:
        barrier.wait()
        try:
            stores.append(Store(url))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(stores) == 6
    assert {s.schema_version() for s in stores} == {len(MIGRATIONS)}
    with stores[0].engine.connect() as db:
        assert db.execute(text("SELECT COUNT(*) FROM schema_version")).scalar_one() == 1
    for s in stores:
        s.close()


def test_sqlite_runs_in_wal_and_waits_for_the_disk(tmp_path: Path) -> None:
    store = Store(tmp_path / "app.db")
    with store.engine.connect() as db:
        assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert db.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: a commit is on disk
        assert db.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_sqlite_file_of_the_previous_release_is_migrated_without_loss(tmp_path: Path) -> None:
    """A file written before ``schema_version`` existed (its count in PRAGMA user_version, no folded
    columns) keeps every row, and its conversations are found by search."""
    path = tmp_path / "app.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0].format(float="REAL") + "; PRAGMA user_version=1;")
    old.execute("INSERT INTO conversations VALUES ('c' || hex(randomblob(15)), 'o', 'Épopée numérique', 1.0)")
    cid = old.execute("SELECT id FROM conversations").fetchone()[0]
    old.execute("INSERT INTO messages (id, conversation_id, seq, role, content, created) VALUES (?, ?, 1, 'user', ?, 1.0)",
                (new_id(), cid, "Où trouver les aides à la musique ?"))
    old.commit()
    old.close()
    store = Store(path)
    assert store.schema_version() == len(MIGRATIONS)
    assert [c.id for c in store.conversations("o", q="epopee")] == [cid]
    assert [c.id for c in store.conversations("o", q="AIDES a la MUSIQUE")] == [cid]
    assert store.conversation(cid).messages[0].content == "Où trouver les aides à la musique ?"


def test_search_and_rename_fold_case_and_accents(store: Store) -> None:
    cid = new_id()
    store.add_exchange(cid, "o", "Qu'est-ce que la Fête de la musique ?", response("Réponse 100% [1]"))
    other = new_id()
    store.add_exchange(other, "o", "Autre chose", response())
    assert [c.id for c in store.conversations("o", q="FETE de la")] == [cid]
    assert [c.id for c in store.conversations("o", q="100%")] == [cid]  # % is a character, not a wildcard
    assert store.conversations("o", q="1_0") == [] and store.conversations("p", q="fete") == []
    store.rename(cid, "Été festif")
    assert [c.id for c in store.conversations("o", q="ete fes")] == [cid]
    assert store.conversation(cid).title == "Été festif"
    with pytest.raises(KeyError):
        store.rename(new_id(), "x")


def test_delete_cascades_to_messages_citations_and_feedback(store: Store) -> None:
    cid = new_id()
    _, answer = store.add_exchange(cid, "o", "Q", response())
    store.add_feedback(answer, "up", [])
    kept = new_id()
    store.add_exchange(kept, "o", "Q", response())
    store.delete(cid)
    with store.engine.connect() as db:
        counts = [db.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                  for t in ("conversations", "messages", "citations", "feedback")]
    assert counts == [1, 2, 1, 0]  # what is left is the other conversation's
    assert store.conversation(cid) is None and store.message(answer) is None
    with pytest.raises(KeyError):
        store.delete(cid)


def test_exchange_round_trip(store: Store) -> None:
    cid = new_id()
    q_id, a_id = store.add_exchange(cid, "owner-a", "Première question\nsur deux lignes", response())
    store.add_exchange(cid, "owner-a", "Deuxième", response("Non [1]", abstained=True))
    conv = store.conversation(cid)
    assert conv is not None and conv.title == "Première question" and conv.owner == "owner-a"
    assert [m.role for m in conv.messages] == ["user", "assistant", "user", "assistant"]
    assert conv.messages[0].id == q_id and conv.messages[1].id == a_id
    assert conv.messages[1].citations == [(1, "abcdef0123456789")]
    assert conv.messages[1].extras["suggestions"][0]["section"] == "S"
    assert conv.messages[3].abstained and conv.messages[1].answerer == "extractive"
    assert store.conversation(new_id()) is None
    assert [c.id for c in store.conversations("owner-a")] == [cid]
    assert store.conversations("owner-b") == []
    assert store.owner_of_message(a_id) == "owner-a"


def test_feedback_rows_carry_the_context(store: Store) -> None:
    cid = new_id()
    store.add_exchange(cid, "o", "Q1", response("A1 [1]"))
    _, a2 = store.add_exchange(cid, "o", "Q2", response("A2 [1]"))
    store.add_feedback(a2, "down", ["wrong_source"], "non")
    [row] = store.feedback_rows("down")
    assert row["question"] == "Q2" and row["answer"] == "A2 [1]" and row["passage_ids"] == ["abcdef0123456789"]
    assert row["history"] == [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1 [1]"}]
    assert row["language"] == "fr" and row["vote"] == "down" and row["reasons"] == ["wrong_source"]
    assert store.feedback_rows("up") == [] and len(store.feedback_rows(None)) == 1
    with pytest.raises(KeyError):
        store.add_feedback(new_id(), "up", [])
    store.add_feedback(a2, "up", ["other"], "finalement oui")  # a second vote replaces the first
    assert store.feedback_rows("down") == [] and store.feedback_rows("up")[0]["comment"] == "finalement oui"
    assert store.message(a2).feedback == {"vote": "up", "reasons": ["other"], "comment": "finalement oui"}


def test_feedback_rows_reads_the_sqlite_file_under_data_dir(tmp_path: Path) -> None:
    store = Store.in_data_dir(tmp_path)
    _, answer = store.add_exchange(new_id(), "o", "Q", response())
    store.add_feedback(answer, "down", [])
    assert feedback_rows(tmp_path) == store.feedback_rows("down")  # the function evals uses
    assert feedback_rows(tmp_path / "empty") == []


def test_concurrent_writers_do_not_lose_exchanges(store: Store) -> None:
    cid = new_id()
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            for j in range(10):
                store.add_exchange(cid if j % 2 else new_id(), f"o{i}", f"q{i}-{j}", response())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    conv = store.conversation(cid)
    assert len(conv.messages) == 8 * 5 * 2
    assert [m.role for m in conv.messages] == ["user", "assistant"] * 40


def test_pooled_connections_see_each_others_writes_and_survive_a_failed_write(store: Store) -> None:
    """Connections are pooled and reused across threads: a reader's must never hold an old snapshot, and
    a write that fails half-way must leave nothing behind and the connection usable."""
    cid = new_id()
    store.add_exchange(cid, "o", "Q1", response())
    seen: list[int] = []
    reader = threading.Thread(target=lambda: seen.append(len(store.conversation(cid).messages)))
    reader.start(), reader.join()
    store.add_exchange(cid, "o", "Q2", response())
    reader = threading.Thread(target=lambda: seen.append(len(store.conversation(cid).messages)))
    reader.start(), reader.join()
    assert seen == [2, 4]

    broken = response()
    broken.citations.append(broken.citations[0])  # the same n twice: the citations insert fails
    with pytest.raises(IntegrityError):
        store.add_exchange(cid, "o", "Q3", broken)
    assert len(store.conversation(cid).messages) == 4  # rolled back whole
    store.add_exchange(cid, "o", "Q4", response())
    assert [m.content for m in store.conversation(cid).messages][-2] == "Q4"


def test_stored_history_keeps_the_latest_turns_within_bounds(store: Store, web_settings) -> None:
    from web.chat import stored_history

    cid = new_id()
    for i in range(5):
        store.add_exchange(cid, "o", f"question {i}", response(f"réponse {i} [1]"))
    conv = store.conversation(cid)
    turns = stored_history(conv, web_settings.model_copy(update={"max_history_turns": 3}))
    assert [t.content for t in turns] == ["réponse 3 [1]", "question 4", "réponse 4 [1]"]
    turns = stored_history(conv, web_settings.model_copy(update={"max_history_chars": 30}))
    assert [t.content for t in turns] == ["question 4", "réponse 4 [1]"]
