"""Conversations, answers, citations and feedback: SQLite under ``data_dir/app.db`` by default, PostgreSQL
when ``DATABASE_URL`` is set (what replicas behind a load balancer share).

One code path for both engines: SQLAlchemy 2 Core runs the same SQL (``ON CONFLICT`` upserts, which
SQLite has had since 3.24) and pools the connections (``DATABASE_POOL_SIZE`` per process). The schema is
one list of migrations; a ``schema_version`` row records how many have run, and they run in a
transaction that one process at a time takes (SQLite's write lock, PostgreSQL's advisory lock), so
replicas starting together migrate once.

An exchange (question, answer, citations) is one transaction, committed before the answer is returned:
an acknowledged exchange is on disk. SQLite runs in WAL mode with ``synchronous=FULL`` (the commit
waits for the log's fsync; a power cut cannot lose it), readers go on while one writer writes, and
``busy_timeout`` makes a second writer wait instead of failing. PostgreSQL commits durably by default;
two replicas adding to one conversation take its row lock in turn, so the turns keep their order.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, create_engine, event, inspect, text
from sqlalchemy.engine import URL, Engine, RowMapping, make_url
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from assistant.schemas import ChatResponse
from vectorstore.text import fold

# What callers catch: any failure to open, read or write the database, whichever the engine.
StoreError = SQLAlchemyError
# The database cannot be reached or answered now (down, restarting, failing over, pool exhausted): the
# client may try again. Anything else is a bug.
StoreUnavailable = (OperationalError, InterfaceError, PoolTimeout)
STORE_UNAVAILABLE = "the conversations database is unavailable: try again in a moment"


def reason(exc: BaseException) -> str:
    """An error's first line, the driver's own message where there is one (for one-line errors)."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__

# Each entry runs once, in order; append, never edit a released one. A string is SQL (statements split
# on ";", ``{float}`` the engine's 64-bit float: SQLite's REAL, PostgreSQL's DOUBLE PRECISION, as
# PostgreSQL's REAL has 24 bits, seconds apart at today's epoch); a function is a step in Python.
Migration = str | Callable[[Connection], None]


def _fold_existing(db: Connection) -> None:
    """Fill the folded search columns for rows written before they existed."""
    for row in db.execute(text("SELECT id, title FROM conversations")).all():
        db.execute(text("UPDATE conversations SET title_folded = :f WHERE id = :id"),
                   {"f": fold(row.title), "id": row.id})
    for row in db.execute(text("SELECT id, content FROM messages")).all():
        db.execute(text("UPDATE messages SET content_folded = :f WHERE id = :id"),
                   {"f": fold(row.content), "id": row.id})


MIGRATIONS: list[Migration] = [
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        created {float} NOT NULL
    );
    CREATE INDEX conversations_owner ON conversations (owner, created);
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        language TEXT NOT NULL DEFAULT '',
        answerer TEXT NOT NULL DEFAULT '',
        abstained INTEGER NOT NULL DEFAULT 0,
        created {float} NOT NULL,
        extras TEXT NOT NULL DEFAULT '{{}}',  -- suggestions and aid cards, so a reloaded answer looks the same
        UNIQUE (conversation_id, seq)
    );
    CREATE TABLE citations (
        message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        n INTEGER NOT NULL,
        passage_id TEXT NOT NULL,
        PRIMARY KEY (message_id, n)
    );
    CREATE TABLE feedback (
        message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
        vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
        reasons TEXT NOT NULL DEFAULT '[]',
        comment TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        passage_ids TEXT NOT NULL DEFAULT '[]',
        created {float} NOT NULL
    );
    """,
    # Search folds case and accents as the assistant does ("reponse" finds "Réponse"): the folded text
    # is stored beside the text, so both engines search it with a plain LIKE.
    """
    ALTER TABLE conversations ADD COLUMN title_folded TEXT NOT NULL DEFAULT '';
    ALTER TABLE messages ADD COLUMN content_folded TEXT NOT NULL DEFAULT ''
    """,
    _fold_existing,
]

FLOAT = {"sqlite": "REAL", "postgresql": "DOUBLE PRECISION"}
_MIGRATION_LOCK = 0x6361_6368  # PostgreSQL advisory lock key held while migrating ("cach")

ID_PATTERN = r"^[0-9a-f]{32}$"
_ID = re.compile(ID_PATTERN)


def new_id() -> str:
    """128 random bits as 32 hex characters: conversation and message ids."""
    return secrets.token_hex(16)


def is_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


@dataclass
class Message:
    id: str
    conversation_id: str
    role: str
    content: str
    language: str
    answerer: str
    abstained: bool
    created: float
    citations: list[tuple[int, str]] = field(default_factory=list)  # (n, passage_id)
    extras: dict[str, Any] = field(default_factory=dict)
    feedback: dict[str, Any] | None = None


@dataclass
class Conversation:
    id: str
    owner: str
    title: str
    created: float
    messages: list[Message] = field(default_factory=list)
    updated: float = 0.0  # the last exchange's time (``created`` before the first)


POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg")


def database_url(target: Path | str) -> URL:
    """A SQLite file (a path) or a database URL; ``postgresql://`` is read with psycopg 3."""
    if isinstance(target, Path):
        return URL.create("sqlite", database=str(target))
    try:
        url = make_url(target)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError: not a URL at all
        raise ValueError(f"not a database URL: {exc}") from None
    if url.drivername in POSTGRES_SCHEMES:
        return url.set(drivername="postgresql+psycopg")
    if url.drivername == "sqlite" and url.database not in (None, "", ":memory:"):
        return url
    raise ValueError(f"unsupported database {url.render_as_string(hide_password=True)!r}: "
                     "use postgresql://user:password@host:port/database or sqlite:///path/to/file.db")


class Store:
    def __init__(self, target: Path | str, pool_size: int = 5) -> None:
        """``target``: a SQLite file, or a ``postgresql://`` / ``sqlite:///`` URL."""
        self.url = database_url(target)
        self.engine_name = self.url.get_backend_name()
        if self.engine_name == "sqlite":
            if self.url.database:
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size,
                                        connect_args={"timeout": 10, "check_same_thread": False})
            _sqlite_behaviour(self.engine)
        else:
            # pre_ping: a connection the server dropped (a restart, a failover) is replaced, not handed out.
            # READ COMMITTED whatever the server's default: the migration lock and the conversation's row
            # lock rely on seeing what the transaction that held them committed.
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                                        isolation_level="READ COMMITTED")
        self._for_update = " FOR UPDATE" if self.engine_name == "postgresql" else ""
        try:
            self._migrate()
        except BaseException:
            self.engine.dispose()
            raise

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> "Store":
        return cls(data_dir / "app.db")

    @classmethod
    def for_settings(cls, settings: Any) -> "Store":
        """PostgreSQL when ``DATABASE_URL`` is set, else SQLite under ``DATA_DIR``."""
        if settings.database_url:
            return cls(settings.database_url, settings.database_pool_size)
        return cls(Path(settings.data_dir) / "app.db", settings.database_pool_size)

    @property
    def where(self) -> str:
        """The database, for messages (a URL without its password)."""
        if self.engine_name == "sqlite":
            return self.url.database or ""
        return self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as db:
            yield db  # rolled back when returned to the pool: a kept connection never holds an old snapshot

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(write=True) as db, db.begin():
            yield db

    def _migrate(self) -> None:
        with self._read() as db:  # up to date: nothing written, no lock (a role that may not create tables is enough)
            if inspect(db).has_table("schema_version") and \
                    db.execute(text("SELECT version FROM schema_version")).scalar() == len(MIGRATIONS):
                return
        with self._transaction() as db:
            if self.engine_name == "postgresql":
                db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            db.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
            row = db.execute(text("SELECT version FROM schema_version")).first()
            if row is None:
                # A SQLite file from before this table counted its migrations in PRAGMA user_version.
                version = db.execute(text("PRAGMA user_version")).scalar_one() if self.engine_name == "sqlite" else 0
                db.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})
            else:
                version = row.version
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                if callable(step):
                    step(db)
                else:
                    for statement in filter(str.strip, step.format(float=FLOAT[self.engine_name]).split(";")):
                        db.execute(text(statement))
                db.execute(text("UPDATE schema_version SET version = :v"), {"v": number})

    def check_writable(self) -> None:
        """Raise ``StoreError`` unless a write transaction can be taken (then rolled back)."""
        with self.engine.connect().execution_options(write=True) as db:
            db.execute(text("UPDATE schema_version SET version = version"))
            db.rollback()

    def schema_version(self) -> int:
        with self._read() as db:
            return int(db.execute(text("SELECT version FROM schema_version")).scalar_one())

    # --- conversations -----------------------------------------------------------------------------

    def conversation(self, conversation_id: str) -> Conversation | None:
        with self._read() as db:
            row = db.execute(text("SELECT * FROM conversations WHERE id = :id"), {"id": conversation_id}).mappings().first()
            if row is None:
                return None
            conv = Conversation(row["id"], row["owner"], row["title"], row["created"])
            messages = db.execute(text("SELECT * FROM messages WHERE conversation_id = :id ORDER BY seq"),
                                  {"id": conversation_id}).mappings().all()
            ids = [m["id"] for m in messages]
            cites: dict[str, list[tuple[int, str]]] = {}
            votes: dict[str, dict[str, Any]] = {}
            if ids:
                for c in db.execute(_IN_CITATIONS, {"ids": ids}).mappings():
                    cites.setdefault(c["message_id"], []).append((c["n"], c["passage_id"]))
                for f in db.execute(_IN_FEEDBACK, {"ids": ids}).mappings():
                    votes[f["message_id"]] = _feedback_dict(f)
            conv.messages = [_message(m, cites.get(m["id"], []), votes.get(m["id"])) for m in messages]
            return conv

    def conversations(self, owner: str, limit: int = 50, q: str = "") -> list[Conversation]:
        """The owner's conversations, most recently active first (without their messages); with ``q``,
        those whose title or any message holds it (case and accents aside)."""
        where, args = "c.owner = :owner", {"owner": owner, "limit": limit}
        if q.strip():
            args["pattern"] = "%" + fold(q.strip()).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where += (" AND (c.title_folded LIKE :pattern ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages s"
                      " WHERE s.conversation_id = c.id AND s.content_folded LIKE :pattern ESCAPE '\\'))")
        with self._read() as db:
            rows = db.execute(text(
                f"""SELECT c.id, c.owner, c.title, c.created, COALESCE(MAX(m.created), c.created) AS active
                    FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
                    WHERE {where} GROUP BY c.id, c.owner, c.title, c.created ORDER BY active DESC LIMIT :limit"""),
                args).mappings().all()
        return [Conversation(r["id"], r["owner"], r["title"], r["created"], updated=r["active"]) for r in rows]

    def rename(self, conversation_id: str, title: str) -> None:
        """Give a conversation a title of its owner's choosing (cut like the automatic ones)."""
        with self._transaction() as db:
            found = db.execute(text("UPDATE conversations SET title = :t, title_folded = :f WHERE id = :id"),
                               {"t": _title(title), "f": fold(_title(title)), "id": conversation_id})
            if not found.rowcount:
                raise KeyError(conversation_id)

    def delete(self, conversation_id: str) -> None:
        """Delete a conversation and, by cascade, its messages, citations and feedback: gone from the database."""
        with self._transaction() as db:
            found = db.execute(text("DELETE FROM conversations WHERE id = :id"), {"id": conversation_id})
            if not found.rowcount:
                raise KeyError(conversation_id)

    def add_exchange(self, conversation_id: str, owner: str, question: str, response: ChatResponse) -> tuple[str, str]:
        """Store a question and its answer (creating the conversation on its first exchange).

        Returns the ids of the user message and the assistant message; KeyError if the conversation was
        deleted while the question was being answered.
        """
        now = time.time()
        user_id, answer_id = new_id(), new_id()
        extras = {"suggestions": [s.model_dump() for s in response.suggestions], "aids": response.aids}
        if fold(response.standalone_question or question) != fold(question):
            extras["searched"] = response.standalone_question  # a follow-up, as the assistant read it
        with self._transaction() as db:
            db.execute(text("INSERT INTO conversations (id, owner, title, title_folded, created)"
                            " VALUES (:id, :owner, :title, :folded, :now) ON CONFLICT (id) DO NOTHING"),
                       {"id": conversation_id, "owner": owner, "title": _title(question),
                        "folded": fold(_title(question)), "now": now})
            # Two replicas adding to one conversation: the second waits for the first's commit (PostgreSQL
            # row lock; SQLite's one writer), then numbers its turns after it. Deleted meanwhile: gone.
            if db.execute(text("SELECT id FROM conversations WHERE id = :id" + self._for_update),
                          {"id": conversation_id}).first() is None:
                raise KeyError(conversation_id)
            seq = db.execute(text("SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = :id"),
                             {"id": conversation_id}).scalar_one()
            db.execute(text(
                "INSERT INTO messages (id, conversation_id, seq, role, content, content_folded, language, created)"
                " VALUES (:id, :cid, :seq, 'user', :content, :folded, :lang, :now)"),
                {"id": user_id, "cid": conversation_id, "seq": seq + 1, "content": question, "folded": fold(question),
                 "lang": response.language, "now": now})
            db.execute(text(
                "INSERT INTO messages (id, conversation_id, seq, role, content, content_folded, language, answerer,"
                " abstained, created, extras) VALUES (:id, :cid, :seq, 'assistant', :content, :folded, :lang,"
                " :answerer, :abstained, :now, :extras)"),
                {"id": answer_id, "cid": conversation_id, "seq": seq + 2, "content": response.answer,
                 "folded": fold(response.answer), "lang": response.language, "answerer": response.answerer,
                 "abstained": int(response.abstained), "now": now, "extras": json.dumps(extras, ensure_ascii=False)})
            if response.citations:
                db.execute(text("INSERT INTO citations (message_id, n, passage_id) VALUES (:m, :n, :p)"),
                           [{"m": answer_id, "n": c.n, "p": c.passage_id} for c in response.citations])
        return user_id, answer_id

    def message(self, message_id: str) -> Message | None:
        with self._read() as db:
            row = db.execute(text("SELECT * FROM messages WHERE id = :id"), {"id": message_id}).mappings().first()
            if row is None:
                return None
            cites = [(c["n"], c["passage_id"]) for c in db.execute(_IN_CITATIONS, {"ids": [message_id]}).mappings()]
            fb = db.execute(_IN_FEEDBACK, {"ids": [message_id]}).mappings().first()
            return _message(row, cites, _feedback_dict(fb) if fb else None)

    def owner_of_message(self, message_id: str) -> str | None:
        with self._read() as db:
            return db.execute(text(
                "SELECT c.owner FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = :id"),
                {"id": message_id}).scalar_one_or_none()

    # --- feedback ----------------------------------------------------------------------------------

    def add_feedback(self, message_id: str, vote: str, reasons: list[str], comment: str = "") -> None:
        """Record (or replace) the vote on an assistant message, with the question and passages it answered."""
        with self._transaction() as db:
            answer = db.execute(text("SELECT * FROM messages WHERE id = :id AND role = 'assistant'"),
                                {"id": message_id}).mappings().first()
            if answer is None:
                raise KeyError(message_id)
            question = db.execute(text(
                "SELECT content FROM messages WHERE conversation_id = :cid AND seq < :seq AND role = 'user'"
                " ORDER BY seq DESC LIMIT 1"), {"cid": answer["conversation_id"], "seq": answer["seq"]}).scalar()
            passages = [c["passage_id"] for c in db.execute(_IN_CITATIONS, {"ids": [message_id]}).mappings()]
            db.execute(text(
                "INSERT INTO feedback (message_id, vote, reasons, comment, question, answer, passage_ids, created)"
                " VALUES (:m, :vote, :reasons, :comment, :question, :answer, :passages, :now)"
                " ON CONFLICT (message_id) DO UPDATE SET vote = excluded.vote, reasons = excluded.reasons,"
                " comment = excluded.comment, question = excluded.question, answer = excluded.answer,"
                " passage_ids = excluded.passage_ids, created = excluded.created"),
                {"m": message_id, "vote": vote, "reasons": json.dumps(reasons), "comment": comment,
                 "question": question or "", "answer": answer["content"], "passages": json.dumps(passages),
                 "now": time.time()})

    def feedback_rows(self, vote: str | None = "down") -> list[dict[str, Any]]:
        """Feedback joined with its context, oldest first; ``vote=None`` returns every vote.

        Each row: message_id, conversation_id, vote, reasons (list), comment, question, answer, language,
        answerer, abstained (bool), passage_ids (list, in citation order), history (the turns before the
        question, as [{"role", "content"}]), created (epoch seconds).
        """
        sql = ("SELECT f.*, m.conversation_id, m.language, m.answerer, m.abstained, m.seq FROM feedback f"
               " JOIN messages m ON m.id = f.message_id")
        with self._read() as db:
            rows = db.execute(text(sql + (" WHERE f.vote = :vote" if vote else "") + " ORDER BY f.created"),
                              {"vote": vote} if vote else {}).mappings().all()
            out = []
            for r in rows:
                turns = db.execute(text(
                    "SELECT role, content FROM messages WHERE conversation_id = :cid AND seq < :seq ORDER BY seq"),
                    {"cid": r["conversation_id"], "seq": r["seq"]}).mappings().all()
                history = [{"role": t["role"], "content": t["content"]} for t in turns[:-1]]
                out.append({
                    "message_id": r["message_id"], "conversation_id": r["conversation_id"], "vote": r["vote"],
                    "reasons": json.loads(r["reasons"]), "comment": r["comment"], "question": r["question"],
                    "answer": r["answer"], "language": r["language"], "answerer": r["answerer"],
                    "abstained": bool(r["abstained"]), "passage_ids": json.loads(r["passage_ids"]),
                    "history": history, "created": r["created"],
                })
            return out


_IN_CITATIONS = text("SELECT * FROM citations WHERE message_id IN :ids ORDER BY n").bindparams(
    bindparam("ids", expanding=True))
_IN_FEEDBACK = text("SELECT * FROM feedback WHERE message_id IN :ids").bindparams(bindparam("ids", expanding=True))


def _sqlite_behaviour(engine: Engine) -> None:
    """Transactions as SQLite means them: Python's sqlite3 module opens its own, later than asked, so it
    is told not to (``isolation_level=None``) and each transaction begins here: a write takes the write
    lock at once (``BEGIN IMMEDIATE``: a writer that must wait, waits up to ``busy_timeout`` instead of
    failing half-way), a read takes a snapshot (``BEGIN``)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        for pragma in ("busy_timeout=10000", "foreign_keys=ON", "journal_mode=WAL", "synchronous=FULL"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def feedback_rows(data_dir: Path, vote: str | None = "down") -> list[dict[str, Any]]:
    """Feedback stored by the web app under ``data_dir`` (for ``evals feedback-export``); [] if none yet."""
    if not (data_dir / "app.db").is_file():
        return []
    return Store.in_data_dir(data_dir).feedback_rows(vote)


def _title(question: str) -> str:
    first = question.strip().splitlines()[0] if question.strip() else ""
    return first if len(first) <= 80 else first[:79].rstrip() + "…"


def _feedback_dict(row: RowMapping) -> dict[str, Any]:
    return {"vote": row["vote"], "reasons": json.loads(row["reasons"]), "comment": row["comment"]}


def _message(row: RowMapping, citations: list[tuple[int, str]], feedback: dict[str, Any] | None) -> Message:
    extras = {"suggestions": [], "aids": [], **json.loads(row["extras"])}
    return Message(
        id=row["id"], conversation_id=row["conversation_id"], role=row["role"], content=row["content"],
        language=row["language"], answerer=row["answerer"], abstained=bool(row["abstained"]),
        created=row["created"], citations=citations, extras=extras, feedback=feedback,
    )
