"""The owner cookie cannot be replaced by a post from another site, and every form post carries the
token of its page (issue 23: a cross-site form post cost the victim all their conversations)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from web import create_app
from web.store import Store

from .support import form_token, settings_with

NOVEMBRE = "Qu'est-ce que le Festival Novembre Numérique ?"


def _victim(client: TestClient) -> tuple[str, str]:
    """A browser with a conversation of its own: (its owner cookie, the conversation id)."""
    answer = client.post("/chat", data={"message": NOVEMBRE, **form_token(client)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    return client.cookies["owner"], answer.headers["location"][3:35]


@pytest.mark.parametrize("path", ["/chat", "/m/{mid}/feedback"])
def test_a_form_posted_without_the_cookie_is_refused_and_sets_none(client: TestClient, store: Store,
                                                                   path: str) -> None:
    # SameSite=Lax: a cross-site form post arrives without the cookie; a new one in the answer would
    # replace the victim's.
    owner, cid = _victim(client)
    mid = store.conversation(cid).messages[-1].id
    before = len(store.conversations(owner))
    client.cookies.clear()
    r = client.post(path.format(mid=mid), data={"message": "Planted question", "vote": "up"}, follow_redirects=False)
    assert r.status_code == 403 and "reload the page" in r.text
    assert "set-cookie" not in r.headers or "owner=" not in r.headers["set-cookie"]
    assert len(store.conversations(owner)) == before
    assert not any(c.title == "Planted question" for o in ("",) for c in store.conversations(o))


def test_a_post_of_any_kind_without_the_cookie_sets_none(client: TestClient) -> None:
    for path, kwargs in [("/api/feedback", {"content": "x", "headers": {"Content-Type": "text/plain"}}),
                         ("/api/chat", {"data": {"message": NOVEMBRE}}),
                         ("/nothing-here", {"data": {"a": "b"}})]:
        r = client.post(path, **kwargs)
        assert r.status_code == 403, (path, r.status_code)
        assert "owner=" not in r.headers.get("set-cookie", ""), path


def test_a_form_posted_with_the_cookie_but_not_the_pages_token_is_refused(client: TestClient, store: Store) -> None:
    # Another origin of the same site (another port) posts with the cookie: it cannot know the token.
    owner, cid = _victim(client)
    count = len(store.conversation(cid).messages)
    for data in ({"message": "Planted", "conversation_id": cid}, {"message": "Planted", "csrf": "0" * 32}):
        r = client.post("/chat", data=data, follow_redirects=False)
        assert r.status_code == 403 and "reload the page" in r.text
    mid = store.conversation(cid).messages[-1].id
    assert client.post(f"/m/{mid}/feedback", data={"vote": "down"}).status_code == 403
    assert len(store.conversation(cid).messages) == count and not store.feedback_rows()
    assert client.cookies["owner"] == owner


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_post_a_browser_marks_as_from_elsewhere_is_refused(client: TestClient, site: str) -> None:
    token = form_token(client)
    headers = {"Sec-Fetch-Site": site}
    assert client.post("/chat", data={"message": NOVEMBRE, **token}, headers=headers).status_code == 403
    r = client.post("/api/chat", json={"message": NOVEMBRE}, headers=headers)
    assert r.status_code == 403 and "another site" in r.json()["detail"]
    ok = client.post("/api/chat", json={"message": NOVEMBRE}, headers={"Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 200


def test_a_json_client_without_a_cookie_still_gets_one(client: TestClient) -> None:
    # A form of another site cannot send JSON (that needs a CORS preflight this app never grants).
    r = client.post("/api/chat", json={"message": NOVEMBRE})
    assert r.status_code == 200 and "owner=" in r.headers["set-cookie"]
    again = client.post("/api/chat", json={"message": "Qui l'organise ?", "conversation_id": r.json()["conversation_id"]})
    assert again.status_code == 200


def test_every_form_of_the_pages_carries_the_token(client: TestClient) -> None:
    _, cid = _victim(client)
    token = form_token(client)["csrf"]
    for html in (client.get("/").text, client.get(f"/c/{cid}").text):
        forms = re.findall(r'<form[^>]*method="post".*?</form>', html, re.S)
        assert forms and all(f'name="csrf" value="{token}"' in f for f in forms), forms


def test_https_only_adds_secure_cookies_and_hsts(web_settings, assistant, store: Store) -> None:
    with TestClient(create_app(web_settings, assistant=assistant, store=store)) as c:
        plain = c.get("/")
    assert "Secure" not in plain.headers["set-cookie"] and "strict-transport-security" not in plain.headers
    app = create_app(settings_with(web_settings, https_only=True), assistant=assistant, store=store)
    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/", params={"lang": "en"})
        cookies = r.headers.get_list("set-cookie")
        assert len(cookies) == 2 and all("; Secure" in c or "; secure" in c for c in cookies), cookies
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
