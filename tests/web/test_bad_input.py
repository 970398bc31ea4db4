"""Bad input, never a 5xx: the one table of every hostile or broken request the app must survive.

Each row is a request, the status it must get and a check on what the client reads back. Every 4xx of
the API is JSON ``{"detail": ...}`` with a message a person can read (never a traceback); the browser
pages (``/passages/…``, ``/c/…``, ``/static/…``) answer their errors as a small HTML page instead, by
design (``web.app.error_response``). After every row the server must still be healthy.

Two transports, chosen per row:

- ``asgi``: FastAPI's TestClient, in process. Enough when the request is well-formed HTTP and only its
  content is bad (types, lengths, ids): the app sees exactly what a server would give it.
- ``http``: a real uvicorn server on a free loopback port, spoken to over a raw socket. Used where the
  transport itself matters and a client library would get in the way: invalid JSON and escaped lone
  surrogates sent as exact bytes, bodies larger than the limit (announced by Content-Length, or chunked
  with none, the server answering before it has read them all) and traversal paths, which httpx would
  normalise (``/passages/../..`` becomes ``/etc/…``) before they ever reached the server.

The existing API tests (tests/web/test_api.py) check behaviour; this table is the single list of bad
inputs. Limits come from settings: rows with ``settings=`` run against an app built with other limits.
"""

from __future__ import annotations

import html

import json
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.client import HTTPResponse
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from assistant.settings import Settings
from web import create_app
from web.store import Store

from .server import running
from .support import settings_with

NOVEMBRE = "Qu'est-ce que le Festival Novembre Numérique ?"
INVISIBLE = "\u202e\u202d\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"
SCRIPT = '<script>alert("x")</script> Novembre Numérique <img src=x onerror=alert(1)>'
_ABSENT = object()


@dataclass
class Reply:
    status: int
    content_type: str
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Env:
    """One app over the session's assistant, reachable both in process and over a real socket."""

    client: TestClient
    url: str
    store: Store


Then = Callable[[Env, Reply], None]


@dataclass
class Case:
    method: str
    path: str
    status: int
    expect: str | Then  # a 4xx: what its message must say; a 2xx: a check of what happened
    json: Any = _ABSENT
    params: dict[str, Any] | None = None
    content: bytes | None = None  # raw body bytes, sent as they are
    chunked: bool = False  # send ``content`` chunked, without Content-Length
    headers: dict[str, str] = field(default_factory=dict)
    via: Literal["asgi", "http"] = "asgi"
    settings: dict[str, Any] = field(default_factory=dict)


# --- checks of the accepted rows --------------------------------------------------------------------------


def _question(env: Env, reply: Reply) -> tuple[str, dict[str, Any]]:
    """The stored question of the conversation the reply started, and that conversation as the API gives it."""
    cid = reply.json()["conversation_id"]
    conversation = env.store.conversation(cid)
    assert conversation is not None and conversation.messages[0].role == "user"
    r = env.client.get(f"/api/conversations/{cid}")
    assert r.status_code == 200
    return conversation.messages[0].content, r.json()


def question_is(expected: str) -> Then:
    def check(env: Env, reply: Reply) -> None:
        stored, body = _question(env, reply)
        assert stored == expected
        assert body["messages"][0]["content"] == expected and body["title"] == expected
    return check


def invisibles_removed(env: Env, reply: Reply) -> None:
    stored, body = _question(env, reply)
    assert stored == "Novembre Numérique ?"
    for text in (stored, body["title"], body["messages"][0]["content"], json.dumps(reply.json(), ensure_ascii=False)):
        assert not set(text) & set(INVISIBLE), ascii(text)


def shown_as_text(env: Env, reply: Reply) -> None:
    stored, body = _question(env, reply)
    assert stored == SCRIPT and body["messages"][0]["content"] == SCRIPT  # kept literally, not stripped
    page = env.client.get(f"/c/{body['id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def history_of(n: int, role: str = "user") -> list[dict[str, str]]:
    return [{"role": role, "content": "q"}] * n


def chunks_of(body: bytes, size: int = 16_384) -> Iterator[bytes]:
    return (body[i : i + size] for i in range(0, len(body), size))


# --- the table ----------------------------------------------------------------------------------------------

CHAT = "/api/chat"
BIG = 300_000  # over the default max_body_bytes (262,144)
TRAVERSALS = [  # (id, path, message): no route matches ("Not Found"), or the passage route refuses the id
    ("encoded-slashes", "/passages/..%2F..%2Fetc%2Fpasswd", "Not Found"),
    ("dot-segments", "/passages/../../etc/passwd", "Not Found"),
    ("encoded-dots-and-slashes", "/passages/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "Not Found"),
    ("double-encoded", "/passages/%252e%252e%252f%252e%252e%252fetc%252fpasswd", "unknown passage"),
    ("backslashes", "/passages/..%5c..%5cetc%5cpasswd", "unknown passage"),
    ("doubled-dots", "/passages/....//....//etc/passwd", "Not Found"),
    ("overlong-utf8", "/passages/%c0%ae%c0%ae%c0%afetc%c0%afpasswd", "unknown passage"),
    ("static-dot-segments", "/static/../../etc/passwd", "Not Found"),
    ("static-encoded-slashes", "/static/..%2F..%2Fweb%2Fapp.py", "Not Found"),
    ("static-encoded-dots", "/static/%2e%2e/%2e%2e/pyproject.toml", "Not Found"),
]

CASES = [
    # message: empty, blank, too long, NUL
    pytest.param(Case("POST", CHAT, 422, "message at least 1 character", json={"message": ""}), id="message-empty"),
    pytest.param(Case("POST", CHAT, 422, "message must not be blank", json={"message": " \n\t\u3000 "}),
                 id="message-blank"),
    pytest.param(Case("POST", CHAT, 422, "must not be blank", json={"message": INVISIBLE + "\x00\x07"}),
                 id="message-only-invisible-and-control"),
    pytest.param(Case("POST", CHAT, 422, "message is too long (100000 characters, at most 2000)",
                      json={"message": "culture " * 12_499 + "culture!"}), id="message-100k-chars"),
    pytest.param(Case("POST", CHAT, 422, "message must not be blank", json={"message": "\x00" * 50}),
                 id="message-only-nul"),
    pytest.param(Case("POST", CHAT, 200, question_is("Novembre Numérique ?"),
                      json={"message": "Novembre\x00 Numérique\x00 ?"}), id="message-nul-inside-cleaned"),
    # the question the assistant cannot search (issue 3)
    pytest.param(Case("POST", CHAT, 422, "the question has no letters", json={"message": "?!? 123 … 42 !!"}),
                 id="question-no-letters"),
    pytest.param(Case("POST", CHAT, 422, "only common words (stopwords)",
                      json={"message": "What is that, and where is it?"}), id="question-only-stopwords"),
    pytest.param(Case("POST", CHAT, 422, "message is too long (10000 characters, at most 2000)",
                      json={"message": "x" * 10_000}), id="question-10k-chars"),
    pytest.param(Case("POST", "/api/chat/stream", 422, "the question has no letters", json={"message": "?!?"}),
                 id="stream-question-no-letters"),
    pytest.param(Case("GET", "/api/search", 422, "the question has no letters", params={"q": "%%% 000"}),
                 id="search-no-letters"),
    pytest.param(Case("GET", "/api/search", 422, "only common words", params={"q": "the and of"}),
                 id="search-only-stopwords"),
    pytest.param(Case("GET", "/api/search", 422, "q at most 10000 characters", params={"q": "x" * 10_001}),
                 id="search-q-10k-chars"),
    # limits are settings
    pytest.param(Case("POST", CHAT, 422, "message is too long (43 characters, at most 40)",
                      json={"message": "Novembre Numérique, le festival numérique !"},
                      settings={"max_message_chars": 40}), id="custom-max-message-chars"),
    # wrong JSON types, missing fields, unknown fields
    pytest.param(Case("POST", CHAT, 422, "message valid string", json={"message": 42}), id="message-int"),
    pytest.param(Case("POST", CHAT, 422, "message valid string", json={"message": ["culture"]}),
                 id="message-list"),
    pytest.param(Case("POST", CHAT, 422, "message valid string", json={"message": None}), id="message-null"),
    pytest.param(Case("POST", CHAT, 422, "history valid list", json={"message": "culture", "history": "hi"}),
                 id="history-string"),
    pytest.param(Case("POST", CHAT, 422, "history.0 valid dictionary",
                      json={"message": "culture", "history": [42]}), id="history-turn-int"),
    pytest.param(Case("POST", CHAT, 422, "history.0.content field required",
                      json={"message": "culture", "history": [{"role": "user"}]}), id="history-turn-missing-content"),
    pytest.param(Case("POST", CHAT, 422, "body valid dictionary", json=["culture"]), id="body-is-a-list"),
    pytest.param(Case("POST", CHAT, 422, "message field required", json={}), id="message-missing"),
    pytest.param(Case("POST", CHAT, 422, "body field required"), id="body-missing"),
    pytest.param(Case("POST", CHAT, 422, "unexpected extra inputs are not permitted",
                      json={"message": "culture", "unexpected": True}), id="unknown-field"),
    pytest.param(Case("POST", "/api/feedback", 422, "message_id field required vote",
                      json={"vote": 1}), id="feedback-missing-and-wrong-type"),
    pytest.param(Case("GET", "/api/search", 422, "k valid integer", params={"q": "culture", "k": "ten"}),
                 id="k-string"),
    pytest.param(Case("GET", "/api/search", 422, "q field required", params={"k": 3}), id="search-q-missing"),
    # k out of range
    pytest.param(Case("GET", "/api/search", 422, "k greater than or equal to 1", params={"q": "culture", "k": 0}),
                 id="k-zero"),
    pytest.param(Case("GET", "/api/search", 422, "k greater than or equal to 1", params={"q": "culture", "k": -7}),
                 id="k-negative"),
    pytest.param(Case("GET", "/api/search", 422, "k must be between 1 and 50", params={"q": "culture", "k": 51}),
                 id="k-over-max"),
    pytest.param(Case("GET", "/api/search", 422, "k must be between 1 and 50",
                      params={"q": "culture", "k": 10**30}), id="k-huge"),
    pytest.param(Case("GET", "/api/search", 422, "k valid integer", params={"q": "culture", "k": "1e309"}),
                 id="k-overflowing-float"),
    # invalid JSON, as exact bytes over a real socket
    pytest.param(Case("POST", CHAT, 422, "JSON decode error", content=b"{not json", via="http"), id="json-invalid"),
    pytest.param(Case("POST", CHAT, 422, "JSON decode error", content=b'{"message": "culture', via="http"),
                 id="json-truncated"),
    pytest.param(Case("POST", CHAT, 422, "body field required", content=b"", via="http"), id="json-empty-body"),
    pytest.param(Case("POST", CHAT, 400, "error parsing the body", content=b'{"message": "caf\xe9 \xff"}',
                      via="http"), id="json-not-utf8"),
    pytest.param(Case("POST", CHAT, 400, "error parsing the body", content=b"[" * 100_000 + b"]" * 100_000,
                      via="http"), id="json-nested-100k-deep"),
    pytest.param(Case("POST", CHAT, 422, "body valid dictionary", content=b'{"message": "culture"}',
                      headers={"content-type": "text/plain", "cookie": "owner=" + "a" * 43}, via="http"),
                 id="json-wrong-content-type"),
    # what a form of another site can send (text/plain), without the cookie SameSite withholds
    pytest.param(Case("POST", CHAT, 403, "this form was sent without this site's cookie", content=b'{"message": "x"}',
                      headers={"content-type": "text/plain"}, via="http"), id="json-wrong-content-type-no-cookie"),
    # lone surrogates: valid JSON escapes of code points no UTF-8 text can hold
    pytest.param(Case("POST", CHAT, 422, "message valid string unicode",
                      content=b'{"message": "Novembre \\ud800 Num\\u00e9rique ?"}', via="http"),
                 id="surrogate-in-message"),
    pytest.param(Case("POST", CHAT, 422, "message valid string unicode", content=b'{"message": "\\udfff"}',
                      via="http"), id="surrogate-alone"),
    pytest.param(Case("POST", CHAT, 422, "history.0.content valid unicode lone surrogate",
                      content=b'{"message": "culture", "history": [{"role": "user", "content": "a\\udc00b"}]}',
                      via="http"), id="surrogate-in-history"),
    pytest.param(Case("POST", "/api/feedback", 422, "comment valid unicode lone surrogate",
                      content=b'{"message_id": "' + b"c" * 32 + b'", "vote": "up", "comment": "\\ud83d"}',
                      via="http"), id="surrogate-in-feedback-comment"),
    pytest.param(Case("GET", "/api/search?q=%ED%A0%80%ED%B0%80", 422, "the question has no letters", via="http"),
                 id="surrogate-utf8-bytes-in-query"),
    # history: too many turns, roles
    pytest.param(Case("POST", CHAT, 413, "request body larger than 262144 bytes",
                      json={"message": "culture", "history": history_of(20_000)}), id="history-20000-over-body-limit"),
    pytest.param(Case("POST", CHAT, 422, "history has too many turns (20000, at most 50)",
                      json={"message": "culture", "history": history_of(20_000)},
                      settings={"max_body_bytes": 2_000_000}), id="history-20000-turns"),
    pytest.param(Case("POST", CHAT, 422, "history turn 1 is too long (19916 characters, at most 8000)",
                      json={"message": "And for music?", "history": [
                          {"role": "user", "content": "Which aids exist for digital creation?"},
                          {"role": "user", "content": "and what about " + ".!" * 9950 + "x"}]}),
                 id="history-turn-over-its-own-limit"),
    pytest.param(Case("POST", "/api/chat/stream", 422, "history turn 0 is too long (8001 characters, at most 8000)",
                      json={"message": "Et pour la musique ?", "history": [{"role": "user", "content": "?" * 8001}]}),
                 id="history-turn-over-its-own-limit-stream"),
    pytest.param(Case("POST", CHAT, 422, "history.0.role 'user' or 'assistant'",
                      json={"message": "culture", "history": history_of(1, "system")}), id="history-system-role"),
    # conversation ids: unknown (well-formed) and malformed, GET and POST
    pytest.param(Case("POST", CHAT, 404, "unknown conversation",
                      json={"message": NOVEMBRE, "conversation_id": "0" * 32}), id="conversation-unknown-post"),
    pytest.param(Case("POST", CHAT, 422, "conversation_id pattern",
                      json={"message": NOVEMBRE, "conversation_id": "../../etc/passwd"}),
                 id="conversation-malformed-post"),
    pytest.param(Case("POST", CHAT, 422, "conversation_id valid string",
                      json={"message": NOVEMBRE, "conversation_id": 12345}), id="conversation-id-int-post"),
    pytest.param(Case("GET", "/api/conversations/" + "0" * 32, 404, "unknown conversation"),
                 id="conversation-unknown-get"),
    pytest.param(Case("GET", "/api/conversations/" + "A" * 32, 422, "conversation_id pattern"),
                 id="conversation-uppercase-get"),
    pytest.param(Case("GET", "/api/conversations/not-an-id%00", 422, "conversation_id pattern"),
                 id="conversation-malformed-get"),
    pytest.param(Case("GET", "/api/conversations/..%2F..%2Fapp.db/export.md", 404, "not found", via="http"),
                 id="conversation-traversal-get"),
    pytest.param(Case("GET", "/c/" + "0" * 32, 404, "unknown conversation"), id="conversation-page-unknown"),
    pytest.param(Case("GET", "/c/..%2F..%2Fetc%2Fpasswd", 404, "not found", via="http"),
                 id="conversation-page-traversal"),
    # path traversal in /passages/… (and the static files next to them)
    *[pytest.param(Case("GET", path, 404, message, via="http"), id=f"traversal-{name}")
      for name, path, message in TRAVERSALS],
    pytest.param(Case("GET", "/passages/" + "0" * 16, 404, "unknown passage"), id="passage-unknown"),
    pytest.param(Case("GET", "/passages/" + "x" * 5000, 404, "unknown passage"), id="passage-id-long"),
    # invisible and markup characters: accepted, cleaned or kept as text
    pytest.param(Case("POST", CHAT, 200, invisibles_removed,
                      json={"message": "Nov\u202eembre\u200b Numé\u2066rique\u2069\ufeff ?\u200f"}),
                 id="bidi-and-zero-width-cleaned"),
    pytest.param(Case("POST", CHAT, 200, shown_as_text, json={"message": SCRIPT}), id="html-script-shown-as-text"),
    # oversized bodies, with and without Content-Length
    pytest.param(Case("POST", CHAT, 413, "request body larger than 262144 bytes",
                      content=json.dumps({"message": "x" * BIG}).encode(), via="http"), id="body-over-limit"),
    pytest.param(Case("POST", CHAT, 413, "request body larger than 262144 bytes",
                      content=json.dumps({"message": "x" * BIG}).encode(), chunked=True, via="http"),
                 id="body-over-limit-chunked"),
    pytest.param(Case("POST", CHAT, 413, "request body larger than 1000 bytes",
                      json={"message": "culture " * 200}, settings={"max_body_bytes": 1000}),
                 id="custom-max-body-bytes"),
    # odd methods and facets
    pytest.param(Case("GET", CHAT, 405, "method not allowed"), id="wrong-method"),
    pytest.param(Case("GET", "/api/aids", 422, "sector pattern", params={"sector": "video\x00games"}),
                 id="aid-facet-nul"),
    pytest.param(Case("GET", "/api/aids/..%2F..%2Fetc%2Fpasswd", 404, "not found", via="http"),
                 id="aid-traversal"),
]


# --- running a row ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def envs(built_index: Settings, assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Env]]:
    """Apps by settings overrides, each started once for the module: in process and on a loopback port."""
    made: dict[tuple[tuple[str, Any], ...], Env] = {}
    with ExitStack() as stack:
        def get(**overrides: Any) -> Env:
            key = tuple(sorted(overrides.items()))
            if key not in made:
                store = Store(tmp_path_factory.mktemp("bad-input") / "app.db")
                app = create_app(settings_with(built_index, **overrides), assistant=assistant, store=store)
                client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
                url = stack.enter_context(running(app))
                made[key] = Env(client, url, store)
            return made[key]

        yield get


def send_asgi(env: Env, case: Case) -> Reply:
    kwargs: dict[str, Any] = {"params": case.params, "headers": case.headers or None}
    if case.json is not _ABSENT:
        kwargs["json"] = case.json
    if case.content is not None:
        kwargs["content"] = case.content
    r = env.client.request(case.method, case.path, **kwargs)
    return Reply(r.status_code, r.headers.get("content-type", ""), r.text)


def send_http(env: Env, case: Case) -> Reply:
    """The request as exact bytes on a socket; the path goes out untouched (no dot-segment removal)."""
    assert case.json is _ABSENT, "http rows send raw bytes"
    parts = urlsplit(env.url)
    path = case.path + ("?" + urlencode(case.params) if case.params else "")
    body = case.content
    headers = {"host": parts.netloc, "connection": "close"}
    if body is not None:
        headers["content-type"] = "application/json"
        if case.chunked:
            headers["transfer-encoding"] = "chunked"
        else:
            headers["content-length"] = str(len(body))
    headers.update({k.lower(): v for k, v in case.headers.items()})
    head = f"{case.method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(head.encode("ascii"))
        try:
            if body is not None and case.chunked:
                for chunk in chunks_of(body):
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sock.sendall(b"0\r\n\r\n")
            elif body:
                sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before reading it all, and closed: its answer is still there to read
        response = HTTPResponse(sock, method=case.method)
        response.begin()
        text = response.read().decode("utf-8", errors="replace")
        return Reply(response.status, response.getheader("content-type", ""), text)


def _words(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    return " ".join(f"{'.'.join(map(str, e.get('loc', [])))} {e.get('msg', '')}" for e in detail)


def check_error(case: Case, reply: Reply) -> None:
    assert "Traceback" not in reply.text and 'File "' not in reply.text, reply.text[:2000]
    assert "root:" not in reply.text and "create_app" not in reply.text, "a file's content leaked"
    assert isinstance(case.expect, str)
    api = case.path.startswith("/api/") or case.path == "/healthz"
    if not api:  # a browser page: the HTML error page in the page's language, the server's message apart
        assert reply.content_type.startswith("text/html"), reply.content_type
        text = html.unescape(reply.text).lower()
        assert f"({case.status})" in text and f"<code>{case.expect.lower()}" in text, reply.text
        return
    assert reply.content_type.startswith("application/json"), (reply.content_type, reply.text[:500])
    body = reply.json()
    assert set(body) == {"detail"} and body["detail"], body
    message = _words(body["detail"]).lower()
    if isinstance(body["detail"], str):  # our own message: the whole phrase
        assert case.expect.lower() in message, message[:1000]
    else:  # Pydantic's: where (loc) and the words that say why
        missing = [w for w in case.expect.lower().split() if w not in message]
        assert not missing, f"{missing} not in the error message: {message[:1000]}"
    if isinstance(body["detail"], list):  # validation errors: where and why, not the echoed input
        assert all(set(e) <= {"loc", "msg", "type"} and e["msg"] for e in body["detail"]), body


def healthy(env: Env, via: str) -> None:
    probe = Case("GET", "/healthz", 200, "")
    reply = send_http(env, probe) if via == "http" else send_asgi(env, probe)
    assert reply.status == 200, reply.text
    assert reply.json()["status"] == "ok" and reply.json()["passages"] > 0


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_a_clear_4xx_or_is_cleaned(envs: Callable[..., Env], case: Case) -> None:
    env = envs(**case.settings)
    reply = (send_http if case.via == "http" else send_asgi)(env, case)
    assert reply.status < 500, f"server error {reply.status}: {reply.text[:2000]}"
    assert reply.status == case.status, f"{reply.status} (expected {case.status}): {reply.text[:2000]}"
    if reply.status >= 400:
        check_error(case, reply)
    else:
        assert callable(case.expect)
        case.expect(env, reply)
    healthy(env, case.via)
