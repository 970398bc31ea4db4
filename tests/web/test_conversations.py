"""Managing one's conversations: search, rename, delete (gone from the database), dates, opening at the
latest exchange; through the API and through the forms that work without JavaScript."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import text

from web import create_app
from web.store import Store

from .support import form_token

NOVEMBRE = "Qu'est-ce que le Festival Novembre Numérique ?"
PASS = "Qu'est-ce que le Pass Culture ?"


def _start(client: TestClient, question: str) -> str:
    return client.post("/api/chat", json={"message": question}).json()["conversation_id"]


def _rows(store: Store, table: str, conversation_id: str) -> int:
    inner = "SELECT id FROM messages WHERE conversation_id = :cid"
    sql = {"conversations": "SELECT COUNT(*) FROM conversations WHERE id = :cid",
           "messages": f"SELECT COUNT(*) FROM ({inner}) m"}.get(table, f"SELECT COUNT(*) FROM {table} WHERE message_id IN ({inner})")
    with store.engine.connect() as db:
        return db.execute(text(sql), {"cid": conversation_id}).scalar_one()


def test_the_list_has_dates_and_searches_titles_and_answers_without_case_or_accents(client: TestClient) -> None:
    festival, pass_culture = _start(client, NOVEMBRE), _start(client, PASS)
    listed = client.get("/api/conversations").json()["conversations"]
    assert [c["id"] for c in listed] == [pass_culture, festival]  # most recently active first
    assert all(c["updated"] >= c["created"] > 0 for c in listed)
    assert [c["id"] for c in client.get("/api/conversations", params={"q": "NOVEMBRE numérique"}).json()["conversations"]] == [festival]
    # a word only the answer holds ("Institut français" organises the festival) finds it too
    found = client.get("/api/conversations", params={"q": "institut francais"}).json()["conversations"]
    assert festival in [c["id"] for c in found] and pass_culture not in [c["id"] for c in found]
    assert client.get("/api/conversations", params={"q": "100%"}).json()["conversations"] == []  # % is a character
    assert client.get("/api/conversations", params={"q": "x" * 201}).status_code == 422


def test_rename_and_delete_through_the_api_for_the_owner_only(web_settings, assistant, store: Store,
                                                             client: TestClient) -> None:
    cid = _start(client, NOVEMBRE)
    client.post("/api/feedback", json={"message_id": store.conversation(cid).messages[1].id, "vote": "down"})
    with TestClient(create_app(web_settings, assistant=assistant, store=store)) as other:
        assert other.patch(f"/api/conversations/{cid}", json={"title": "pris"}).status_code == 403
        assert other.delete(f"/api/conversations/{cid}").status_code == 403
    r = client.patch(f"/api/conversations/{cid}", json={"title": "  Festival, à relire  "})
    assert r.status_code == 200 and r.json() == {"id": cid, "title": "Festival, à relire"}
    assert client.get("/api/conversations").json()["conversations"][0]["title"] == "Festival, à relire"
    for bad in ({"title": "   "}, {"title": ""}, {"title": "x" * 201}, {"name": "x"}, {}):
        r = client.patch(f"/api/conversations/{cid}", json=bad)
        assert r.status_code == 422 and "detail" in r.json()
    assert _rows(store, "feedback", cid) == 1
    assert client.delete(f"/api/conversations/{cid}").status_code == 204
    assert client.get(f"/api/conversations/{cid}").status_code == 404
    assert client.delete(f"/api/conversations/{cid}").status_code == 404
    assert client.patch(f"/api/conversations/{cid}", json={"title": "x"}).status_code == 404
    # gone from the database: the conversation, its messages, their citations and feedback
    assert [_rows(store, t, cid) for t in ("conversations", "messages", "citations", "feedback")] == [0, 0, 0, 0]


def test_forms_rename_delete_and_search_without_javascript(client: TestClient, store: Store) -> None:
    keep, gone = _start(client, PASS), _start(client, NOVEMBRE)
    token = form_token(client)
    r = client.post(f"/c/{keep}/rename", data={"title": "Mon pass", **token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/c/{keep}"
    assert store.conversation(keep).title == "Mon pass"
    assert client.post(f"/c/{keep}/rename", data={"title": "x"}).status_code == 403  # no form token
    page = client.get("/", params={"q": "pass"}).text
    assert f'data-conversation-id="{keep}"' in page and f'data-conversation-id="{gone}"' not in page
    assert client.get("/", params={"q": "zzzz"}).text.count('data-role="no-conversations"') == 1
    r = client.post(f"/c/{gone}/delete", data=token, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert store.conversation(gone) is None
    assert client.get(f"/c/{gone}").status_code == 404


def test_htmx_delete_of_the_conversation_shown_goes_to_a_new_chat(client: TestClient, store: Store) -> None:
    shown, other = _start(client, NOVEMBRE), _start(client, PASS)
    token = form_token(client)
    htmx = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/c/{other}"}
    r = client.post(f"/c/{shown}/delete", data=token, headers=htmx)
    assert r.status_code == 200 and f'data-conversation-id="{other}"' in r.text and shown not in r.text
    htmx["HX-Current-URL"] = f"http://testserver/c/{other}#latest"
    r = client.post(f"/c/{other}/delete", data=token, headers=htmx)
    assert r.headers.get("HX-Redirect") == "/"


def test_a_conversation_opens_at_its_latest_exchange(client: TestClient) -> None:
    cid = _start(client, NOVEMBRE)
    client.post("/api/chat", json={"message": "Qui l'organise ?", "conversation_id": cid})
    page = client.get(f"/c/{cid}").text
    assert f'href="/c/{cid}#latest"' in page
    # the anchor sits just before the last question, after the first exchange
    latest = page.index('id="latest"')
    questions = [m.start() for m in re.finditer(r'data-role="question"', page)]
    assert len(questions) == 2 and questions[0] < latest < questions[1]
