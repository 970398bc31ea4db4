"""The HTML pages: chat, conversations, passages, aids, errors, and the forms that work without JavaScript."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from web.store import Store, new_id

from .support import form_token

NOVEMBRE = "Qu'est-ce que le Festival Novembre Numérique ?"
HTMX = {"HX-Request": "true"}


def test_home_has_the_question_box_suggestions_and_roadmap_contents(client: TestClient, assistant) -> None:
    r = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert r.status_code == 200
    html = r.text
    assert '<html lang="en" dir="ltr">' in html
    assert 'name="message"' in html and 'aria-live="polite"' in html
    assert 'data-role="suggestion"' in html and "What is the Novembre Numérique festival?" in html
    axis = assistant.toc()[0]
    assert f'href="/passages/{axis["passage_id"]}"' in html
    assert f'href="/passages/{axis["children"][0]["passage_id"]}"' in html
    assert 'data-role="passage"' in html
    assert "<script>" not in html and " on" + "click=" not in html  # no inline script


@pytest.mark.parametrize("how, lang, direction", [
    ({"headers": {"Accept-Language": "ar,en;q=0.5"}}, "ar", "rtl"),
    ({"headers": {"Accept-Language": "de-DE,fr;q=0.3"}}, "fr", "ltr"),
    ({"params": {"lang": "en"}}, "en", "ltr"),
    ({}, "fr", "ltr"),
])
def test_interface_language(client: TestClient, how: dict, lang: str, direction: str) -> None:
    html = client.get("/", **how).text
    assert f'<html lang="{lang}" dir="{direction}">' in html


def test_language_choice_is_remembered(client: TestClient) -> None:
    client.get("/", params={"lang": "ar"})
    html = client.get("/", headers={"Accept-Language": "en"}).text
    assert '<html lang="ar" dir="rtl">' in html
    assert "مساعد الثقافة والرقمنة" in html


def test_form_without_javascript_answers_and_redirects_to_the_conversation(client: TestClient,
                                                                           store: Store) -> None:
    r = client.post("/chat", data={"message": NOVEMBRE, **form_token(client)}, follow_redirects=False)
    assert r.status_code == 303
    match = re.fullmatch(r"/c/([0-9a-f]{32})#m-([0-9a-f]{32})", r.headers["location"])
    assert match
    page = client.get(f"/c/{match.group(1)}").text
    assert 'data-role="answer"' in page and 'data-citation="1"' in page
    assert f'value="{match.group(1)}"' in page  # the next question continues this conversation
    assert f'href="/c/{match.group(1)}#latest"' in page  # listed in the sidebar, opening at its latest exchange


def test_conversation_page_renders_citation_links_and_rtl(client: TestClient) -> None:
    fr = client.post("/api/chat", json={"message": NOVEMBRE}).json()
    html = client.get(f"/c/{fr['conversation_id']}").text
    pid = fr["citations"][0]["passage_id"]
    # a citation opened in a new tab lands on the passage, in the answer's language
    assert re.search(rf'<a class="cite" href="/passages/{pid}\?tr=fr(&amp;s=[0-9.]+)?#p-{pid}" data-citation="1"', html)
    assert f'href="/passages/{pid}?tr=fr#p-{pid}" data-source="1"' in html
    assert 'aria-busy="false"' in html
    ar = client.post("/api/chat", json={"message": "ما هو مهرجان نوفمبر الرقمي؟"}).json()
    html = client.get(f"/c/{ar['conversation_id']}").text
    pid = ar["citations"][0]["passage_id"]
    assert f'href="/passages/{pid}?tr=ar#p-{pid}"' in html
    assert re.search(r'data-role="answer"[^>]*lang="ar" dir="rtl"', html)
    assert re.search(r'data-role="question"[^>]*lang="ar" dir="rtl"', html)


def test_sources_are_named_in_the_readers_language(client: TestClient) -> None:
    # an Arabic answer quoting the French roadmap: the heading's translation and the roadmap's Arabic name
    ar = client.post("/api/chat", json={"message": "ما هو مهرجان نوفمبر الرقمي؟"}).json()
    html = client.get(f"/c/{ar['conversation_id']}").text
    sources = html[html.index('class="sources"'):]
    sources = sources[:sources.index("</section>")]
    assert re.search(r'data-source="1"[^>]*lang="ar" dir="rtl"', sources)
    assert '<span class="source-doc" lang="ar" dir="rtl">خارطة الطريق</span>' in sources
    assert "Feuille de route nationale" not in sources


def test_html_in_questions_is_escaped(client: TestClient) -> None:
    payload = '<img src=x onerror=alert(1)> Novembre Numérique <script>alert(2)</script>'
    answer = client.post("/api/chat", json={"message": payload}).json()
    html = client.get(f"/c/{answer['conversation_id']}").text
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_message_fragment_and_unknown_ids(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"message": NOVEMBRE}).json()
    cid, mid = answer["conversation_id"], answer["message_id"]
    r = client.get(f"/c/{cid}/messages/{mid}", headers=HTMX)
    assert r.status_code == 200 and r.text.lstrip().startswith("<article")
    assert 'data-role="feedback"' in r.text
    assert client.get(f"/c/{cid}/messages/{'0' * 32}").status_code == 404
    assert client.get(f"/c/{'0' * 32}").status_code == 404
    r = client.get("/c/not-an-id")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")


def test_sidebar_fragment(client: TestClient) -> None:
    client.post("/api/chat", json={"message": NOVEMBRE})
    r = client.get("/c", headers=HTMX)
    assert r.status_code == 200 and 'data-role="conversations"' in r.text and NOVEMBRE.replace("'", "&#39;") in r.text
    assert client.get("/c", follow_redirects=False).status_code == 303


def test_feedback_form_with_and_without_htmx(client: TestClient, store: Store) -> None:
    answer = client.post("/api/chat", json={"message": NOVEMBRE}).json()
    mid = answer["message_id"]
    token = form_token(client)
    r = client.post(f"/m/{mid}/feedback", data={"vote": "down", "reasons": ["wrong_language", "missing_source"],
                                               "comment": "pas la bonne langue", **token}, headers=HTMX)
    assert r.status_code == 200 and 'data-role="feedback-status"' in r.text
    [row] = store.feedback_rows()
    assert row["reasons"] == ["wrong_language", "missing_source"] and row["comment"] == "pas la bonne langue"
    r = client.post(f"/m/{mid}/feedback", data={"vote": "up", **token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(f"#m-{mid}")
    assert client.post(f"/m/{mid}/feedback", data={"vote": "sideways", **token}).status_code == 422


# --- passages -------------------------------------------------------------------------------------------


def test_passage_page_highlights_the_passage_in_its_section(client: TestClient, assistant) -> None:
    hit = client.get("/api/search", params={"q": "Festival Novembre Numérique", "k": 1}).json()["results"][0]
    r = client.get(f"/passages/{hit['passage_id']}")
    assert r.status_code == 200
    html = r.text
    assert f'id="p-{hit["passage_id"]}" data-role="highlight" aria-current="true"' in html
    assert "<mark>" in html and "2022-01-21" in html
    section = assistant.section_passages(hit["passage_id"])
    assert len(section) > 1
    for other in section:
        assert f'id="p-{other.passage_id}"' in html


def test_passage_page_shows_the_translation_beside_the_original(client: TestClient, assistant) -> None:
    hit = client.get("/api/search", params={"q": "Festival Novembre Numérique", "k": 1}).json()["results"][0]
    passage = assistant.passage(hit["passage_id"])
    assert "en" in passage.translations
    html = client.get(f"/passages/{hit['passage_id']}", params={"tr": "en"}).text
    assert 'data-role="translation"' in html
    # the whole section reads in the reader's language, not only the cited paragraph
    translated = [q for q in assistant.section_passages(hit["passage_id"]) if "en" in q.translations]
    assert len(translated) > 1 and html.count('data-role="translation"') == len(translated)
    for q in translated:
        assert q.translations["en"].text.replace("'", "&#39;").replace('"', "&#34;")[:40] in html
    assert client.get(f"/passages/{hit['passage_id']}", params={"tr": "xx"}).text.count('data-role="translation"') == 0
    panel = client.get(f"/passages/{hit['passage_id']}", params={"tr": "en"}, headers=HTMX).text
    assert 'data-role="original"' in panel and 'data-role="translation"' in panel
    assert 'data-role="section"' in panel and 'data-role="date"' in panel
    assert f'href="/passages/{hit["passage_id"]}?tr=en#p-{hit["passage_id"]}"' in panel


def test_heading_page_shows_everything_under_it(client: TestClient, assistant) -> None:
    objective = assistant.toc()[0]["children"][0]
    html = client.get(f"/passages/{objective['passage_id']}").text
    assert html.count('class="para ') > 3


@pytest.mark.parametrize("path", [
    "/passages/0000000000000000", "/passages/not-hex", "/passages/..%2F..%2Fetc%2Fpasswd",
    "/passages/%2e%2e", "/passages/" + "a" * 65,
])
def test_unknown_or_malformed_passage_is_404(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")


# --- aids -----------------------------------------------------------------------------------------------


def test_aids_page_filters_and_fragment(client: TestClient) -> None:
    r = client.get("/aids", params={"sector": "video-games", "q": "", "kind": ""})
    assert r.status_code == 200
    api = client.get("/api/aids", params={"sector": "video-games"}).json()["aids"]
    assert r.text.count('data-role="aid"') == len(api)
    assert '<option value="video-games" selected>' in r.text
    fragment = client.get("/aids", params={"sector": "video-games"}, headers=HTMX).text
    assert "<html" not in fragment and fragment.count('data-role="aid"') == len(api)
    arabic = client.get("/aids", params={"lang": "ar"}).text
    assert '<html lang="ar" dir="rtl">' in arabic and "ألعاب الفيديو" in arabic
    assert client.get("/aids", params={"sector": "x" * 200}).status_code == 422


# --- headers and errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/aids", "/healthz", "/api/aids", "/static/app.js", "/nowhere"])
def test_security_headers_everywhere(client: TestClient, path: str) -> None:
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_unknown_api_route_is_json_and_unknown_page_is_html(client: TestClient) -> None:
    api = client.get("/api/nothing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    page = client.get("/nothing")
    assert page.status_code == 404 and "<html" in page.text


@pytest.mark.parametrize("lang, said", [("fr", "Cette page n'existe pas"), ("en", "This page does not exist"),
                                        ("ar", "هذه الصفحة غير موجودة")])
def test_an_error_page_speaks_the_page_language_and_keeps_the_servers_words_apart(client: TestClient, lang: str,
                                                                                  said: str) -> None:
    page = client.get("/c/" + "0" * 32, params={"lang": lang})
    assert page.status_code == 404
    html = page.text.replace("&#39;", "'")
    assert said in html
    body = re.sub(r'<details class="error-detail">.*?</details>', "", html, flags=re.S)
    assert "unknown conversation" not in body  # the English detail only inside its marked-English block
    assert re.search(r'<p lang="en" dir="ltr"><code>unknown conversation</code>', html)


def test_owner_cookie_is_set_once(client: TestClient) -> None:
    r = client.get("/")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("owner=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "owner=" not in client.get("/").headers.get("set-cookie", "")


def test_vendored_front_end_files_are_served(client: TestClient) -> None:
    for path in ("/static/vendor/htmx.min.js", "/static/vendor/htmx-ext-sse.min.js", "/static/app.js",
                 "/static/app.css"):
        assert client.get(path).status_code == 200


def test_an_unanswerable_question_offers_the_closest_sections(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"message": "Quelle est la recette de la ratatouille niçoise ?"}).json()
    assert answer["abstained"] and answer["suggestions"]
    html = client.get(f"/c/{answer['conversation_id']}").text
    assert 'data-role="closest"' in html
    pid = answer["suggestions"][0]["passage_id"]
    assert f'href="/passages/{pid}?tr=fr#p-{pid}"' in html


def test_a_funding_question_shows_aid_cards(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"message": "Quelles aides existent pour le jeu vidéo ?"}).json()
    assert answer["aids"]
    html = client.get(f"/c/{answer['conversation_id']}").text
    assert 'data-role="answer-aids"' in html
    assert answer["aids"][0]["name"].replace("'", "&#39;") in html


def test_docs_page_is_served_from_vendored_files_under_a_policy_without_inline_script(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "http" not in csp  # no CDN, no other origin
    assert "<script>" not in r.text and "cdn" not in r.text  # every script is a file of ours
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
        assert client.get(src).status_code == 200, src
    assert client.get("/openapi.json").json()["paths"]["/api/chat"]
    assert client.get("/redoc").status_code == 404


def test_a_conversation_citing_a_passage_gone_from_the_index_still_renders(client: TestClient, store: Store) -> None:
    from assistant.schemas import ChatResponse, Citation

    from web.store import new_id

    gone = Citation(n=1, passage_id="00000000deadbeef", document="roadmap", title="T", section="S", text="t",
                    language="fr", url="/passages/00000000deadbeef")
    cid = new_id()
    client.get("/")  # the browser gets its owner cookie
    owner = client.cookies["owner"]
    store.add_exchange(cid, owner, "Ancienne question", ChatResponse(
        answer="Ancienne réponse [1]", abstained=False, language="fr", standalone_question="q", citations=[gone]))
    r = client.get(f"/c/{cid}")
    assert r.status_code == 200 and "00000000deadbeef" in r.text
    assert client.get(f"/api/conversations/{cid}/export.md").text.count("(plus dans l'index)") == 1


def test_a_citation_marks_the_sentence_the_answer_quotes_not_the_whole_paragraph(client: TestClient, store: Store,
                                                                               assistant) -> None:
    from assistant.schemas import ChatResponse, Citation

    passage = next(p for p in assistant.index.ordered if len(p.sentences_in(p.language)) >= 3
                   and p.language == "fr" and "en" in p.translations)
    quoted = passage.sentences_in("fr")[1]
    cid = new_id()
    client.get("/")
    store.add_exchange(cid, client.cookies["owner"], "Question ?", ChatResponse(
        answer=f"{quoted} [1]", abstained=False, language="fr", standalone_question="Question ?",
        citations=[Citation(n=1, passage_id=passage.passage_id, document=passage.document, title=passage.title,
                            section=passage.section, text=passage.text, language="fr",
                            url=f"/passages/{passage.passage_id}")]))
    html = client.get(f"/c/{cid}").text
    link = re.search(r'<a class="cite" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert f"s=1#" in link
    for page in (client.get(link.split("#")[0]).text, client.get(link.split("#")[0], headers=HTMX).text):
        marks = re.findall(r'<mark data-role="cited-sentence">(.*?)</mark>', page)
        assert len(marks) == 1 and marks[0].replace("&#39;", "'").replace("&#34;", '"') == quoted
    en = client.get(link.split("#")[0].replace("tr=fr", "tr=en"), headers=HTMX).text
    assert passage.sentences_in("en")[1].replace("'", "&#39;").replace('"', "&#34;") in \
        re.findall(r'<mark data-role="cited-sentence">(.*?)</mark>', en)  # and its aligned translation


def test_with_a_profile_the_filters_offer_only_what_the_fitting_cards_carry(client: TestClient, assistant) -> None:
    profile = "studio de jeu vidéo, on cherche un financement"
    fitting = assistant.search_aids(profile, {}, "fr")["aids"]
    assert fitting
    html = client.get("/aids", params={"q": profile, "lang": "fr"}).text
    kinds = re.search(r'<select id="facet-kind".*?</select>', html, re.S).group()
    offered = {v for v in re.findall(r'<option value="([^"]+)"', kinds)}
    assert offered == {c["kind"] for c in fitting}  # no choice that would empty the list
    # a value chosen that no fitting card carries stays in its select (to undo), counted 0
    html = client.get("/aids", params={"q": profile, "kind": "bursary", "lang": "fr"}).text
    kinds = re.search(r'<select id="facet-kind".*?</select>', html, re.S).group()
    assert re.search(r'<option value="bursary" selected>[^<]*\(0\)', kinds)
