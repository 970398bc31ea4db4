"""A browser that leaves while the assistant is inside a chunk (issue 23's follow-up: "generator already
executing" if the request's cleanup closed the assistant's generator from one thread while a worker
thread was still inside it).

With FastAPI 0.165 and anyio 4 this does not happen: the thread that pulls a chunk is not abandoned when
the response is cancelled, so `started_stream` closes the generator once that chunk is over, from no
other thread at the same time. This test keeps it so across upgrades: the generator is closed (by
``close``, not by the garbage collector), nothing is logged as an error, and no further chunk is asked for.
"""

from __future__ import annotations

import logging
import threading
import time

import httpx

from assistant.schemas import ChatResponse
from web import create_app
from web.store import Store

from .server import running


class SlowAssistant:
    """Writes one token, then takes ``pause`` seconds over each of the next ones (an LLM that trickles)."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.produced = 0
        self.closed = threading.Event()
        self.errors: list[BaseException] = []

    def count(self) -> int:
        return 1

    def stream(self, message, history=None, lang=None):
        try:
            for i in range(50):
                self.produced += 1
                yield "token", f"mot{i} "
                time.sleep(self.pause)  # the browser leaves during this
            yield "final", ChatResponse(answer="fin", abstained=False, language="fr", standalone_question=message)
        except BaseException as exc:
            self.errors.append(exc)
            raise
        finally:
            self.closed.set()


def test_leaving_mid_chunk_closes_the_answer_cleanly(web_settings, store: Store, caplog) -> None:
    pause = 0.6
    fake = SlowAssistant(pause)
    caplog.set_level(logging.ERROR)
    uvicorn_log = logging.getLogger("uvicorn")  # it does not propagate to the root, where caplog listens
    uvicorn_log.addHandler(caplog.handler)
    try:
        with running(create_app(web_settings, assistant=fake, store=store)) as url:  # type: ignore[arg-type]
            with httpx.Client(base_url=url, timeout=10) as http:
                with http.stream("POST", "/api/chat/stream", json={"message": "une question"}) as r:
                    assert r.status_code == 200
                    assert next(r.iter_lines()).startswith("event: token")
            assert fake.closed.wait(5), "the assistant's generator was not closed"
            produced = fake.produced
            time.sleep(pause + 0.3)
            assert fake.produced == produced < 50, "the assistant went on after the browser left"
    finally:
        uvicorn_log.removeHandler(caplog.handler)
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not problems, [r.getMessage() + str(r.exc_info and r.exc_info[1]) for r in problems]
    assert [type(e) for e in fake.errors] == [GeneratorExit]  # closed by close(), once
    assert store.conversations("anyone") == []
