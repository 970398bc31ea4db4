"""Conversations, answers, citations and feedback, kept in SQLite under ``data_dir/app.db``.

One connection per thread, opened on first use and kept (SQLite connections must not cross threads,
and FastAPI runs sync routes in a thread pool): reopening one per call costs more than the chat turn's
writes themselves (about 1.5 ms against 0.1 ms here, as a new connection parses the schema again).
WAL lets readers go on while one writer writes, and ``busy_timeout`` makes a second writer wait
instead of failing. The schema is a short list of migrations; ``PRAGMA user_version``
records how many have run.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.schemas import ChatResponse
from vectorstore.text import fold

# Each entry runs once, in order; append, never edit a released one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        created REAL NOT NULL
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
        created REAL NOT NULL,
        extras TEXT NOT NULL DEFAULT '{}',  -- suggestions and aid cards, so a reloaded answer looks the same
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
        created REAL NOT NULL
    );
    """,
]

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


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            self._migrate(db)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> "Store":
        return cls(data_dir / "app.db")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout=10000")
            db.execute("PRAGMA foreign_keys=ON")
            # search folds case and accents the way the assistant does ("reponse" finds "Réponse")
            db.create_function("fold", 1, lambda text: fold(text) if isinstance(text, str) else text, deterministic=True)
            # In WAL mode NORMAL is safe against application crashes (a power cut may lose the last
            # exchange): it spares every chat turn an fsync.
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        elif db.in_transaction:  # left open by a failure mid-rollback: never carry it into this call
            db.execute("ROLLBACK")
        yield db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version={number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def check_writable(self) -> None:
        """Raise ``sqlite3.Error`` unless a write transaction can be taken (then rolled back)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")

    def schema_version(self) -> int:
        with self._connect() as db:
            return int(db.execute("PRAGMA user_version").fetchone()[0])

    # --- conversations -----------------------------------------------------------------------------

    def conversation(self, conversation_id: str) -> Conversation | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None:
                return None
            conv = Conversation(row["id"], row["owner"], row["title"], row["created"])
            messages = db.execute(
                "SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq", (conversation_id,)
            ).fetchall()
            ids = [m["id"] for m in messages]
            marks = ",".join("?" * len(ids))
            cites: dict[str, list[tuple[int, str]]] = {}
            votes: dict[str, dict[str, Any]] = {}
            if ids:
                for c in db.execute(f"SELECT * FROM citations WHERE message_id IN ({marks}) ORDER BY n", ids):
                    cites.setdefault(c["message_id"], []).append((c["n"], c["passage_id"]))
                for f in db.execute(f"SELECT * FROM feedback WHERE message_id IN ({marks})", ids):
                    votes[f["message_id"]] = _feedback_dict(f)
            conv.messages = [_message(m, cites.get(m["id"], []), votes.get(m["id"])) for m in messages]
            return conv

    def conversations(self, owner: str, limit: int = 50, q: str = "") -> list[Conversation]:
        """The owner's conversations, most recently active first (without their messages); with ``q``,
        those whose title or any message holds it (case and accents aside)."""
        where, args = "c.owner = ?", [owner]
        if q.strip():
            pattern = "%" + fold(q.strip()).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where += (" AND (fold(c.title) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages s"
                      " WHERE s.conversation_id = c.id AND fold(s.content) LIKE ? ESCAPE '\\'))")
            args += [pattern, pattern]
        with self._connect() as db:
            rows = db.execute(
                f"""SELECT c.*, COALESCE(MAX(m.created), c.created) AS active FROM conversations c
                    LEFT JOIN messages m ON m.conversation_id = c.id
                    WHERE {where} GROUP BY c.id ORDER BY active DESC LIMIT ?""",
                (*args, limit),
            ).fetchall()
        return [Conversation(r["id"], r["owner"], r["title"], r["created"], updated=r["active"]) for r in rows]

    def rename(self, conversation_id: str, title: str) -> None:
        """Give a conversation a title of its owner's choosing (cut like the automatic ones)."""
        with self._transaction() as db:
            found = db.execute("UPDATE conversations SET title = ? WHERE id = ?", (_title(title), conversation_id))
            if not found.rowcount:
                raise KeyError(conversation_id)

    def delete(self, conversation_id: str) -> None:
        """Delete a conversation and, by cascade, its messages, citations and feedback: gone from the file."""
        with self._transaction() as db:
            found = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            if not found.rowcount:
                raise KeyError(conversation_id)

    def add_exchange(self, conversation_id: str, owner: str, question: str, response: ChatResponse) -> tuple[str, str]:
        """Store a question and its answer (creating the conversation on its first exchange).

        Returns the ids of the user message and the assistant message.
        """
        now = time.time()
        user_id, answer_id = new_id(), new_id()
        extras = {"suggestions": [s.model_dump() for s in response.suggestions], "aids": response.aids}
        if fold(response.standalone_question or question) != fold(question):
            extras["searched"] = response.standalone_question  # a follow-up, as the assistant read it
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO conversations (id, owner, title, created) VALUES (?, ?, ?, ?)",
                (conversation_id, owner, _title(question), now),
            )
            seq = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO messages (id, conversation_id, seq, role, content, language, created)"
                " VALUES (?, ?, ?, 'user', ?, ?, ?)",
                (user_id, conversation_id, seq + 1, question, response.language, now),
            )
            db.execute(
                "INSERT INTO messages (id, conversation_id, seq, role, content, language, answerer, abstained,"
                " created, extras) VALUES (?, ?, ?, 'assistant', ?, ?, ?, ?, ?, ?)",
                (answer_id, conversation_id, seq + 2, response.answer, response.language, response.answerer,
                 int(response.abstained), now, json.dumps(extras, ensure_ascii=False)),
            )
            db.executemany(
                "INSERT INTO citations (message_id, n, passage_id) VALUES (?, ?, ?)",
                [(answer_id, c.n, c.passage_id) for c in response.citations],
            )
        return user_id, answer_id

    def message(self, message_id: str) -> Message | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                return None
            cites = [(c["n"], c["passage_id"]) for c in
                     db.execute("SELECT * FROM citations WHERE message_id = ? ORDER BY n", (message_id,))]
            fb = db.execute("SELECT * FROM feedback WHERE message_id = ?", (message_id,)).fetchone()
            return _message(row, cites, _feedback_dict(fb) if fb else None)

    def owner_of_message(self, message_id: str) -> str | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT c.owner FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?",
                (message_id,),
            ).fetchone()
        return row[0] if row else None

    # --- feedback ----------------------------------------------------------------------------------

    def add_feedback(self, message_id: str, vote: str, reasons: list[str], comment: str = "") -> None:
        """Record (or replace) the vote on an assistant message, with the question and passages it answered."""
        with self._transaction() as db:
            answer = db.execute(
                "SELECT * FROM messages WHERE id = ? AND role = 'assistant'", (message_id,)
            ).fetchone()
            if answer is None:
                raise KeyError(message_id)
            question = db.execute(
                "SELECT content FROM messages WHERE conversation_id = ? AND seq < ? AND role = 'user'"
                " ORDER BY seq DESC LIMIT 1",
                (answer["conversation_id"], answer["seq"]),
            ).fetchone()
            passages = [r[0] for r in db.execute(
                "SELECT passage_id FROM citations WHERE message_id = ? ORDER BY n", (message_id,))]
            db.execute(
                "INSERT OR REPLACE INTO feedback (message_id, vote, reasons, comment, question, answer, passage_ids,"
                " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (message_id, vote, json.dumps(reasons), comment, question[0] if question else "", answer["content"],
                 json.dumps(passages), time.time()),
            )

    def feedback_rows(self, vote: str | None = "down") -> list[dict[str, Any]]:
        """Feedback joined with its context, oldest first; ``vote=None`` returns every vote.

        Each row: message_id, conversation_id, vote, reasons (list), comment, question, answer, language,
        answerer, abstained (bool), passage_ids (list, in citation order), history (the turns before the
        question, as [{"role", "content"}]), created (epoch seconds).
        """
        with self._connect() as db:
            sql = ("SELECT f.*, m.conversation_id, m.language, m.answerer, m.abstained, m.seq FROM feedback f"
                   " JOIN messages m ON m.id = f.message_id")
            rows = db.execute(sql + (" WHERE f.vote = ?" if vote else "") + " ORDER BY f.created",
                              (vote,) if vote else ()).fetchall()
            out = []
            for r in rows:
                turns = db.execute(
                    "SELECT role, content FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq",
                    (r["conversation_id"], r["seq"]),
                ).fetchall()
                history = [{"role": t["role"], "content": t["content"]} for t in turns[:-1]]
                out.append({
                    "message_id": r["message_id"], "conversation_id": r["conversation_id"], "vote": r["vote"],
                    "reasons": json.loads(r["reasons"]), "comment": r["comment"], "question": r["question"],
                    "answer": r["answer"], "language": r["language"], "answerer": r["answerer"],
                    "abstained": bool(r["abstained"]), "passage_ids": json.loads(r["passage_ids"]),
                    "history": history, "created": r["created"],
                })
            return out


def feedback_rows(data_dir: Path, vote: str | None = "down") -> list[dict[str, Any]]:
    """Feedback stored by the web app under ``data_dir`` (for ``evals feedback-export``); [] if none yet."""
    if not (data_dir / "app.db").is_file():
        return []
    return Store.in_data_dir(data_dir).feedback_rows(vote)


def _title(question: str) -> str:
    first = question.strip().splitlines()[0] if question.strip() else ""
    return first if len(first) <= 80 else first[:79].rstrip() + "…"


def _feedback_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {"vote": row["vote"], "reasons": json.loads(row["reasons"]), "comment": row["comment"]}


def _message(row: sqlite3.Row, citations: list[tuple[int, str]], feedback: dict[str, Any] | None) -> Message:
    extras = {"suggestions": [], "aids": [], **json.loads(row["extras"])}
    return Message(
        id=row["id"], conversation_id=row["conversation_id"], role=row["role"], content=row["content"],
        language=row["language"], answerer=row["answerer"], abstained=bool(row["abstained"]),
        created=row["created"], citations=citations, extras=extras, feedback=feedback,
    )
