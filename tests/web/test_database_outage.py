"""The conversations database going away under a running app (a PostgreSQL restart, a failover, a
dropped database): every route that needs it answers 503 with Retry-After and a JSON message, the
streamed chat ends with an error event, and routes that do not need it go on answering."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.processes import new_database
from web import create_app
from web.store import STORE_UNAVAILABLE, Store

pytestmark = pytest.mark.postgres


def test_a_database_that_goes_away_is_503_not_500(postgres, web_settings, assistant) -> None:
    url = new_database(postgres)
    store = Store(url)
    with TestClient(create_app(web_settings, assistant=assistant, store=store)) as client:
        first = client.post("/api/chat", json={"message": "Qu'est-ce que le Pass Culture ?"})
        assert first.status_code == 200
        with psycopg.connect(postgres, autocommit=True) as admin:  # every connection cut, the database gone
            admin.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        for method, path, body in (("POST", "/api/chat", {"message": "Qu'est-ce que le Pass Culture ?"}),
                                   ("GET", "/api/conversations", None),
                                   ("GET", f"/api/conversations/{first.json()['conversation_id']}", None)):
            r = client.request(method, path, json=body)
            assert r.status_code == 503 and r.headers["retry-after"] == "5", (path, r.status_code, r.text)
            assert r.json() == {"detail": STORE_UNAVAILABLE}
        with client.stream("POST", "/api/chat/stream", json={"message": "Qu'est-ce que le Pass Culture ?"}) as r:
            events = r.read().decode()
        assert r.status_code == 200 and "event: error" in events and STORE_UNAVAILABLE in events
        assert "event: citations" not in events
        assert client.get("/api/search", params={"q": "Pass Culture"}).status_code == 200
        assert client.get("/healthz").status_code == 200
    store.close()
