"""The rate limit covers every route that answers, and counts the client a trusted proxy names (issue 23)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.settings import Settings
from web import create_app
from web.middleware import client_address
from web.store import Store

from .server import running
from .support import form_token, settings_with

NOVEMBRE = "Qu'est-ce que le Festival Novembre Numérique ?"


def limited(web_settings: Settings, assistant, store: Store, per_minute: int = 1, **overrides) -> object:
    settings = settings_with(web_settings, rate_limit_per_minute=per_minute, **overrides)
    return create_app(settings, assistant=assistant, store=store)


def _ask_form(c: TestClient) -> httpx.Response:
    return c.post("/chat", data={"message": NOVEMBRE, **form_token(c)}, follow_redirects=False)


ROUTES = {
    "chat-form": _ask_form,
    "aids-profile": lambda c: c.get("/aids", params={"q": "je suis éditeur de jeux vidéo"}),
    "api-chat": lambda c: c.post("/api/chat", json={"message": NOVEMBRE}),
    "api-search": lambda c: c.get("/api/search", params={"q": "culture"}),
    "api-aids": lambda c: c.get("/api/aids", params={"q": "musique"}),
}


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_that_answers_is_limited(web_settings, assistant, store: Store, route: str) -> None:
    with TestClient(limited(web_settings, assistant, store), client=("203.0.113.5", 4000)) as c:
        first = ROUTES[route](c)
        assert first.status_code < 400, first.text[:500]
        second = ROUTES[route](c)
        assert second.status_code == 429, second.text[:500]
        assert int(second.headers["retry-after"]) >= 1
        assert "too many requests" in second.text


def test_pages_that_only_read_are_not_limited(web_settings, assistant, store: Store) -> None:
    with TestClient(limited(web_settings, assistant, store), client=("203.0.113.5", 4000)) as c:
        for _ in range(3):
            for path in ("/", "/aids", "/aids?q=", "/healthz", "/static/app.css"):
                assert c.get(path).status_code == 200, path


def test_forwarded_for_from_an_untrusted_peer_is_ignored(web_settings, assistant, store: Store) -> None:
    with TestClient(limited(web_settings, assistant, store), client=("203.0.113.5", 4000)) as c:
        assert c.get("/api/search", params={"q": "culture"}, headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
        r = c.get("/api/search", params={"q": "culture"}, headers={"X-Forwarded-For": "2.2.2.2"})
        assert r.status_code == 429


def test_a_trusted_proxy_names_the_client(web_settings, assistant, store: Store) -> None:
    app = limited(web_settings, assistant, store, trusted_proxies=["10.0.0.0/8"])
    with TestClient(app, client=("10.0.0.2", 4000)) as c:
        def search(forwarded: str) -> int:
            return c.get("/api/search", params={"q": "culture"}, headers={"X-Forwarded-For": forwarded}).status_code

        assert search("198.51.100.1") == 200
        assert search("198.51.100.2") == 200  # another client behind the same proxy
        assert search("9.9.9.9, 198.51.100.1") == 429  # what the client itself wrote (left) is not believed
        assert search("198.51.100.1, 10.0.0.7") == 429  # a chain of trusted proxies: the first untrusted hop


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "expected"), [
    ("203.0.113.5", "1.1.1.1", [], "203.0.113.5"),
    ("203.0.113.5", "1.1.1.1", ["10.0.0.0/8"], "203.0.113.5"),
    ("10.0.0.2", "1.1.1.1", ["10.0.0.0/8"], "1.1.1.1"),
    ("10.0.0.2", "6.6.6.6, 1.1.1.1", ["10.0.0.0/8"], "1.1.1.1"),
    ("10.0.0.2", "1.1.1.1, 10.0.0.9", ["10.0.0.0/8"], "1.1.1.1"),
    ("10.0.0.2", "not-an-address", ["10.0.0.0/8"], "10.0.0.2"),
    ("10.0.0.2", "", ["10.0.0.0/8"], "10.0.0.2"),
    ("::1", "2001:db8::1", ["::1"], "2001:db8::1"),
])
def test_client_address(peer: str, forwarded: str, trusted: list[str], expected: str) -> None:
    import ipaddress

    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    scope = {"type": "http", "client": (peer, 1), "headers": headers}
    assert client_address(scope, [ipaddress.ip_network(t) for t in trusted]) == expected


def test_a_real_server_does_not_believe_forwarded_for_from_loopback(web_settings, assistant, store: Store) -> None:
    # uvicorn's own proxy handling trusts 127.0.0.1: a client there reset its count with each new header.
    with running(limited(web_settings, assistant, store)) as base:
        codes = [httpx.get(f"{base}/api/search", params={"q": "culture"},
                           headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(1, 4)]
    assert codes == [200, 429, 429]


def test_the_feedback_form_is_limited_too(web_settings, assistant, store: Store) -> None:
    from assistant.schemas import ChatResponse
    from web.store import new_id

    with TestClient(limited(web_settings, assistant, store), client=("203.0.113.5", 4000)) as c:
        token = form_token(c)  # a page load: the owner cookie and the form token, not counted
        _, message_id = store.add_exchange(new_id(), c.cookies["owner"], NOVEMBRE, ChatResponse(
            answer="Un festival.", abstained=False, language="fr", standalone_question=NOVEMBRE))

        def vote() -> httpx.Response:
            return c.post(f"/m/{message_id}/feedback", data={"vote": "up", **token}, follow_redirects=False)

        assert vote().status_code == 303
        assert vote().status_code == 429
