"""The JSON API against the real assistant over the real index."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from web import create_app
from web.store import Store

from .support import parse_events, settings_with

NOVEMBRE = "Qu'est-ce que le Festival Novembre Numérique ?"


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["passages"] > 200


# --- search ---------------------------------------------------------------------------------------------


def test_search_returns_passages_with_urls(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "Novembre Numérique", "k": 3})
    assert r.status_code == 200
    results = r.json()["results"]
    assert 1 <= len(results) <= 3
    first = results[0]
    assert {"passage_id", "document", "title", "section", "text", "score", "url"} <= first.keys()
    assert first["url"] == f"/passages/{first['passage_id']}"
    assert "Novembre Numérique" in " ".join(x["text"] for x in results)


def test_search_k_bound_follows_settings(web_settings, assistant, store: Store) -> None:
    app = create_app(settings_with(web_settings, max_k=5), assistant=assistant, store=store)
    with TestClient(app) as c:
        assert c.get("/api/search", params={"q": "culture", "k": 5}).status_code == 200
        assert c.get("/api/search", params={"q": "culture", "k": 6}).status_code == 422


# --- chat -----------------------------------------------------------------------------------------------


def test_chat_answers_with_citations_and_a_conversation(client: TestClient, store: Store) -> None:
    r = client.post("/api/chat", json={"message": NOVEMBRE})
    assert r.status_code == 200
    body = r.json()
    assert len(body["conversation_id"]) == 32 and len(body["message_id"]) == 32
    assert not body["abstained"] and body["language"] == "fr"
    assert body["citations"], body
    cited = body["citations"][0]
    assert "Novembre Numérique" in cited["text"]
    assert cited["url"] == f"/passages/{cited['passage_id']}"
    assert "[1]" in body["answer"]
    stored = store.conversation(body["conversation_id"])
    assert stored is not None and [m.role for m in stored.messages] == ["user", "assistant"]
    assert stored.messages[1].citations[0] == (1, cited["passage_id"])
    assert stored.messages[1].answerer == body["answerer"]


def test_chat_continues_a_conversation_with_its_history(client: TestClient, store: Store) -> None:
    first = client.post("/api/chat", json={"message": NOVEMBRE}).json()
    r = client.post("/api/chat", json={"message": "Qui l'organise ?", "conversation_id": first["conversation_id"]})
    assert r.status_code == 200
    assert r.json()["conversation_id"] == first["conversation_id"]
    assert len(store.conversation(first["conversation_id"]).messages) == 4


def test_chat_in_arabic_answers_in_arabic(client: TestClient) -> None:
    body = client.post("/api/chat", json={"message": "ما هو مهرجان نوفمبر الرقمي؟"}).json()
    assert body["language"] == "ar"
    assert body["citations"]


def test_chat_cannot_add_to_another_browsers_conversation(web_settings, assistant, store: Store,
                                                          client: TestClient) -> None:
    cid = client.post("/api/chat", json={"message": NOVEMBRE}).json()["conversation_id"]
    with TestClient(create_app(web_settings, assistant=assistant, store=store)) as other:
        assert other.get(f"/api/conversations/{cid}").status_code == 200  # the link can be shared…
        r = other.post("/api/chat", json={"message": "Qui l'organise ?", "conversation_id": cid})
        assert r.status_code == 403  # …but only its browser adds to it


def test_rate_limit_answers_429_with_retry_after(web_settings, assistant, store: Store) -> None:
    app = create_app(settings_with(web_settings, rate_limit_per_minute=2), assistant=assistant, store=store)
    with TestClient(app) as c:
        assert c.get("/api/search", params={"q": "culture"}).status_code == 200
        assert c.get("/api/search", params={"q": "culture"}).status_code == 200
        r = c.get("/api/search", params={"q": "culture"})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200  # only /api is limited


# --- streaming ------------------------------------------------------------------------------------------


def test_stream_sends_tokens_then_citations_then_done(client: TestClient, store: Store) -> None:
    with client.stream("POST", "/api/chat/stream", json={"message": NOVEMBRE}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = parse_events(r.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "token" and names[-2:] == ["citations", "done"]
    assert set(names) == {"token", "citations", "done"}
    final = events[-2][1]
    assert "".join(data for name, data in events if name == "token") == final["answer"]
    assert final["citations"] and final["conversation_id"] and final["message_id"]
    assert store.message(final["message_id"]).content == final["answer"]


def test_stream_validates_before_streaming(client: TestClient) -> None:
    assert client.post("/api/chat/stream", json={"message": " "}).status_code == 422
    assert client.post("/api/chat/stream", json={"message": "?!"}).status_code == 422
    assert client.post("/api/chat/stream", json={"message": "culture", "conversation_id": "f" * 32}).status_code == 404


# --- conversations --------------------------------------------------------------------------------------


def test_conversation_json_and_errors(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"message": NOVEMBRE}).json()
    r = client.get(f"/api/conversations/{answer['conversation_id']}")
    assert r.status_code == 200
    body = r.json()
    assert body["owned"] is True and body["title"] == NOVEMBRE
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][1]["citations"][0]["passage_id"] == answer["citations"][0]["passage_id"]
    assert client.get("/api/conversations/" + "a" * 32).status_code == 404
    assert client.get("/api/conversations/not-an-id").status_code == 422
    assert client.get("/api/conversations/" + "A" * 32).status_code == 422


def test_conversation_list_is_scoped_by_cookie(web_settings, assistant, store: Store, client: TestClient) -> None:
    mine = client.post("/api/chat", json={"message": NOVEMBRE}).json()["conversation_id"]
    listed = client.get("/api/conversations").json()["conversations"]
    assert [c["id"] for c in listed] == [mine]
    with TestClient(create_app(web_settings, assistant=assistant, store=store)) as other:
        assert other.get("/api/conversations").json()["conversations"] == []


def test_export_markdown_lists_sources(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"message": NOVEMBRE}).json()
    r = client.get(f"/api/conversations/{answer['conversation_id']}/export.md")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/markdown")
    text = r.text
    assert text.startswith(f"# {NOVEMBRE}")
    # the reader's language (French by default here), and links that work away from the site
    assert "## Question" in text and "### Réponse" in text and "#### Sources" in text and "commencée le" in text
    pid = answer['citations'][0]['passage_id']
    assert f"(http://testserver/passages/{pid}#p-{pid})" in text
    assert "> Le Festival Novembre Numérique" in text
    english = client.get(f"/api/conversations/{answer['conversation_id']}/export.md", params={"lang": "en"}).text
    assert "### Answer" in english and "started" in english
    arabic = client.get(f"/api/conversations/{answer['conversation_id']}/export.md", params={"lang": "ar"}).text
    assert "### الإجابة" in arabic and "#### المصادر" in arabic
    assert client.get("/api/conversations/" + "b" * 32 + "/export.md").status_code == 404


# --- feedback -------------------------------------------------------------------------------------------


def test_feedback_is_stored_with_question_answer_and_passages(client: TestClient, store: Store) -> None:
    answer = client.post("/api/chat", json={"message": NOVEMBRE}).json()
    r = client.post("/api/feedback", json={"message_id": answer["message_id"], "vote": "down",
                                           "reasons": ["wrong_source", "missing_source"], "comment": "<b>meh</b>"})
    assert r.status_code == 201
    [row] = store.feedback_rows("down")
    assert row["question"] == NOVEMBRE and row["answer"] == answer["answer"]
    assert row["passage_ids"] == [c["passage_id"] for c in answer["citations"]]
    assert row["reasons"] == ["wrong_source", "missing_source"] and row["comment"] == "<b>meh</b>"
    # a second vote replaces the first
    client.post("/api/feedback", json={"message_id": answer["message_id"], "vote": "up"})
    assert store.feedback_rows("down") == [] and len(store.feedback_rows("up")) == 1


@pytest.mark.parametrize("payload, status", [
    ({"message_id": "c" * 32, "vote": "up"}, 404),
    ({"message_id": "nope", "vote": "up"}, 422),
    ({"vote": "up"}, 422),
    ({"message_id": "c" * 32, "vote": "meh"}, 422),
    ({"message_id": "c" * 32, "vote": "down", "reasons": ["rude"]}, 422),
    ({"message_id": "c" * 32, "vote": "down", "comment": "x" * 2001}, 422),
])
def test_feedback_rejects_bad_input(client: TestClient, payload: dict, status: int) -> None:
    assert client.post("/api/feedback", json=payload).status_code == status


def test_feedback_on_a_question_or_from_another_browser(web_settings, assistant, store: Store,
                                                       client: TestClient) -> None:
    answer = client.post("/api/chat", json={"message": NOVEMBRE}).json()
    conv = store.conversation(answer["conversation_id"])
    question_id = conv.messages[0].id
    assert client.post("/api/feedback", json={"message_id": question_id, "vote": "up"}).status_code == 404
    with TestClient(create_app(web_settings, assistant=assistant, store=store)) as other:
        r = other.post("/api/feedback", json={"message_id": answer["message_id"], "vote": "up"})
        assert r.status_code == 403


# --- funding aids ---------------------------------------------------------------------------------------


def test_aids_list_with_facets(client: TestClient) -> None:
    body = client.get("/api/aids").json()
    assert len(body["aids"]) > 20
    assert set(body["facets"]) == {"sector", "beneficiary", "kind", "operator", "stage"}
    card = body["aids"][0]
    assert {"id", "name", "operator", "kind", "sectors", "beneficiaries", "stages", "summary", "citations",
            "why"} <= card.keys()


@pytest.mark.parametrize("facet, field", [("sector", "sectors"), ("beneficiary", "beneficiaries"),
                                          ("kind", "kind"), ("operator", "operator"), ("stage", "stages")])
def test_aid_filters_are_exact_facet_values(client: TestClient, facet: str, field: str) -> None:
    facets = client.get("/api/aids").json()["facets"][facet]
    for value, count in list(facets.items())[:4]:
        aids = client.get("/api/aids", params={facet: value}).json()["aids"]
        assert len(aids) == count
        for a in aids:
            assert value in (a[field] if isinstance(a[field], list) else [a[field]])


def test_aid_filters_combine_and_unknown_values_give_nothing(client: TestClient) -> None:
    both = client.get("/api/aids", params={"sector": "video-games", "kind": "grant"}).json()["aids"]
    assert all("video-games" in a["sectors"] and a["kind"] == "grant" for a in both)
    sector_only = client.get("/api/aids", params={"sector": "video-games"}).json()["aids"]
    assert len(both) <= len(sector_only)
    r = client.get("/api/aids", params={"sector": "underwater-basket-weaving"})
    assert r.status_code == 200 and r.json()["aids"] == []


@pytest.mark.parametrize("params", [{"sector": ""}, {"sector": "x" * 101}, {"kind": "grant\x00"},
                                    {"lang": "de"}, {"q": "x" * 2001}])
def test_aid_malformed_parameters_are_4xx(client: TestClient, params: dict) -> None:
    assert client.get("/api/aids", params=params).status_code == 422


def test_aid_profile_search_ranks_cards(client: TestClient) -> None:
    aids = client.get("/api/aids", params={"q": "je développe un jeu vidéo", "lang": "fr"}).json()["aids"]
    assert aids and any("video-games" in a["sectors"] for a in aids[:5])


def test_aid_by_id_and_csv(client: TestClient) -> None:
    first = client.get("/api/aids").json()["aids"][0]
    r = client.get(f"/api/aids/{first['id']}")
    assert r.status_code == 200 and r.json()["name"] == first["name"]
    assert client.get("/api/aids/no-such-aid").status_code == 404
    assert client.get("/api/aids/Not_An_Id!").status_code == 422
    r = client.get("/api/aids.csv", params={"sector": "video-games", "lang": "en"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("id,name,operator,kind")
    count = len(client.get("/api/aids", params={"sector": "video-games"}).json()["aids"])
    assert len(list(csv.reader(io.StringIO(r.text)))) == count + 1


def test_openapi_lists_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/search", "/api/chat", "/api/chat/stream", "/api/conversations/{conversation_id}",
                 "/api/feedback", "/api/aids", "/api/aids/{aid_id}", "/healthz"):
        assert path in paths
