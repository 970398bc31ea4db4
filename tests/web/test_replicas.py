"""Two replicas behind one load balancer, as a deployment runs them: two `assistant serve` processes on
two ports, sharing a real PostgreSQL (``DATABASE_URL``) and a real Chroma server (``CHROMA_HOST``), and
one build folder (the index's passages and catalogues, read-only while serving).

Any replica serves any request: a conversation started on one continues on the other (the stored
history is read from the database, the owner cookie is valid on both), feedback given on one is read
and exported on the other, and a replica killed mid-burst loses nothing the replicas acknowledged.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS, REPO, make_settings
from tests.processes import free_port, new_database, serving

pytestmark = [pytest.mark.server, pytest.mark.postgres, pytest.mark.slow]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def deployment(postgres: str, tmp_path_factory: pytest.TempPathFactory):
    from assistant.sentences import derived
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import get_embeddings
    from vectorstore.index import current_build

    folder = tmp_path_factory.mktemp("replicas")
    chroma_port = free_port()
    chroma = [str(BIN / "chroma"), "run", "--path", str(folder / "chroma"), "--host", "127.0.0.1",
              "--port", str(chroma_port)]
    with serving(chroma, f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", folder / "chroma.log", 60, cwd=folder):
        settings = make_settings(folder / "data", chroma_host="127.0.0.1", chroma_port=chroma_port)
        run_ingest(CORPUS, settings.data_dir, get_embeddings(settings.embedding_model, settings.embedding_backend),
                   settings.chroma(), vector_seed=current_build(REPO / "data"), derived=[derived()])  # as `assistant ingest`
        database = new_database(postgres)
        env = {**os.environ, "DATA_DIR": str(settings.data_dir), "CORPUS_DIR": str(CORPUS),
               "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_port), "DATABASE_URL": database,
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
        ports = free_port(), free_port()
        replicas = {}
        with serving([str(BIN / "assistant"), "serve", "--port", str(ports[0])], f"http://127.0.0.1:{ports[0]}/healthz",
                     folder / "a.log", 180, env=env) as a, \
             serving([str(BIN / "assistant"), "serve", "--port", str(ports[1])], f"http://127.0.0.1:{ports[1]}/healthz",
                     folder / "b.log", 180, env=env) as b:
            replicas = {"a": (a, f"http://127.0.0.1:{ports[0]}"), "b": (b, f"http://127.0.0.1:{ports[1]}")}
            yield {"replicas": replicas, "database": database}


def _client(url: str, owner: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=url, cookies={"owner": owner} if owner else None, timeout=60)


def test_a_conversation_started_on_one_replica_continues_on_the_other(deployment) -> None:
    (_, a_url), (_, b_url) = deployment["replicas"]["a"], deployment["replicas"]["b"]
    with _client(a_url) as a:
        first = a.post("/api/chat", json={"message": "Qu'est-ce que le Festival Novembre Numérique ?"})
        assert first.status_code == 200 and not first.json()["abstained"]
        owner, cid = a.cookies["owner"], first.json()["conversation_id"]
    with _client(b_url, owner) as b:  # the same browser, sent to the other replica
        second = b.post("/api/chat", json={"message": "Qui l'organise ?", "conversation_id": cid})
        assert second.status_code == 200, second.text
        # B read the first turn from the database: the follow-up was understood with it
        assert "novembre" in second.json()["standalone_question"].lower()
        listed = b.get("/api/conversations").json()["conversations"]
        assert [c["id"] for c in listed] == [cid]
    with _client(a_url, owner) as a:
        messages = a.get(f"/api/conversations/{cid}").json()["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"] * 2
        assert messages[2]["content"] == "Qui l'organise ?"
    with _client(b_url) as stranger:  # another browser: may read by link, never add or delete
        assert stranger.post("/api/chat", json={"message": "Et ensuite ?", "conversation_id": cid}).status_code == 403
        assert stranger.delete(f"/api/conversations/{cid}").status_code == 403


def test_feedback_given_on_one_replica_is_read_and_exported_on_the_other(deployment) -> None:
    from evals.feedback import read_feedback

    (_, a_url), (_, b_url) = deployment["replicas"]["a"], deployment["replicas"]["b"]
    with _client(b_url) as b:
        answer = b.post("/api/chat", json={"message": "Qu'est-ce que Culturethèque ?"}).json()
        owner = b.cookies["owner"]
    with _client(a_url, owner) as a:
        voted = a.post("/api/feedback", json={"message_id": answer["message_id"], "vote": "down",
                                              "reasons": ["wrong_source"], "comment": "vu sur A"})
        assert voted.status_code == 201, voted.text
    with _client(b_url, owner) as b:
        [message] = [m for m in b.get(f"/api/conversations/{answer['conversation_id']}").json()["messages"]
                     if m["id"] == answer["message_id"]]
        assert message["feedback"]["vote"] == "down" and message["feedback"]["comment"] == "vu sur A"
    rows = [r for r in read_feedback(deployment["database"]) if r.message_id == answer["message_id"]]
    assert [(r.vote, r.reasons, r.question) for r in rows] == [("down", ["wrong_source"], "Qu'est-ce que Culturethèque ?")]


def test_a_replica_killed_mid_burst_loses_nothing_acknowledged(deployment) -> None:
    """Last in this module: it kills replica a. Clients send chats to both replicas; one is killed (SIGKILL) while answering. Every answer a
    client received (200) is in the database, whichever replica gave it; the other replica answers every
    request sent to it, during and after."""
    from web.store import Store

    replicas = deployment["replicas"]
    acknowledged: list[tuple[str, str, str]] = []  # (replica, conversation_id, message_id)
    refused: dict[str, int] = {"a": 0, "b": 0}
    lock, a_answered = threading.Lock(), threading.Event()
    questions = ["Qu'est-ce que le Pass Culture ?", "What is Creative Europe?", "ما هو مهرجان نوفمبر الرقمي؟",
                 "Quelles aides pour le jeu vidéo ?"]

    def client(worker: int) -> None:
        for i in range(8):
            name = "ab"[(worker + i) % 2]
            try:
                with _client(replicas[name][1]) as c:
                    r = c.post("/api/chat", json={"message": questions[(worker + i) % len(questions)]})
            except httpx.TransportError:
                with lock:
                    refused[name] += 1
                continue
            with lock:
                if r.status_code == 200:
                    acknowledged.append((name, r.json()["conversation_id"], r.json()["message_id"]))
                    if name == "a" and sum(1 for x in acknowledged if x[0] == "a") >= 4:
                        a_answered.set()
                else:
                    refused[name] += 1

    threads = [threading.Thread(target=client, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    assert a_answered.wait(120), "replica a answered nothing"
    replicas["a"][0].kill()  # mid-burst: no shutdown, no flush
    for t in threads:
        t.join(180)
    assert refused["b"] == 0, "the surviving replica refused requests"
    assert refused["a"] > 0, "the kill came after the burst: nothing was tested"
    served = {name for name, _, _ in acknowledged}
    assert served == {"a", "b"}

    store = Store(deployment["database"])
    try:
        for name, cid, mid in acknowledged:
            message = store.message(mid)
            assert message is not None and message.conversation_id == cid and message.role == "assistant", (name, mid)
            assert len(store.conversation(cid).messages) == 2
    finally:
        store.close()
    with _client(replicas["b"][1]) as b:  # and B goes on
        assert b.post("/api/chat", json={"message": "Qu'est-ce que Culturethèque ?"}).status_code == 200
