"""Streaming behaviour that needs control over the assistant's pace or failures.

The assistant here is a stand-in passed through ``create_app``'s own seam: it writes slowly or fails
on purpose, which the real one cannot be made to do.
"""

from __future__ import annotations

import threading
import time

import httpx

from assistant.errors import InvalidQueryError
from assistant.schemas import ChatResponse
from web import create_app
from web.store import Store

from .server import running
from .support import parse_events


class ScriptedAssistant:
    def __init__(self, tokens: int = 500, fail_with: Exception | None = None) -> None:
        self.tokens = tokens
        self.fail_with = fail_with
        self.produced = 0
        self.closed = threading.Event()

    def count(self) -> int:
        return 1

    def stream(self, message, history=None, lang=None):
        try:
            for i in range(self.tokens):
                self.produced += 1
                yield "token", f"mot{i} "
                if self.fail_with is not None:
                    raise self.fail_with
                time.sleep(0.02)
            yield "final", ChatResponse(answer="fin", abstained=False, language="fr", standalone_question=message)
        finally:
            self.closed.set()


def test_closing_the_connection_stops_the_answer(web_settings, store: Store) -> None:
    fake = ScriptedAssistant()
    with running(create_app(web_settings, assistant=fake, store=store)) as url:  # type: ignore[arg-type]
        with httpx.Client(base_url=url, timeout=10) as http:
            with http.stream("POST", "/api/chat/stream", json={"message": "une question"}) as r:
                assert r.status_code == 200
                lines = r.iter_lines()
                assert next(lines).startswith("event: token")
        assert fake.closed.wait(5), "the assistant's generator was not closed"
        produced = fake.produced
        time.sleep(0.3)
        assert fake.produced == produced < fake.tokens
    assert store.conversations("anyone") == []


def test_a_failure_mid_stream_is_an_error_event(web_settings, store: Store) -> None:
    from fastapi.testclient import TestClient

    for exc, detail in [(RuntimeError("boom"), "internal error"), (InvalidQueryError("bad question"), "bad question")]:
        fake = ScriptedAssistant(tokens=3, fail_with=exc)
        with TestClient(create_app(web_settings, assistant=fake, store=store)) as c:  # type: ignore[arg-type]
            with c.stream("POST", "/api/chat/stream", json={"message": "une question"}) as r:
                assert r.status_code == 200
                events = parse_events(r.read().decode())
        assert [name for name, _ in events] == ["token", "error"]
        assert events[-1][1] == {"detail": detail}
        assert fake.closed.is_set()
