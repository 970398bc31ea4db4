"""ASGI middleware: security headers, a request-size limit and an optional per-client rate limit.

Plain ASGI rather than ``BaseHTTPMiddleware`` so that streamed answers pass through untouched.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Sequence
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# Swagger UI (/docs): vendored and started from a file, so no inline script and no other origin; its
# React views set style attributes, which only this page allows.
DOCS_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


async def _send_json(send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """CSP and the other security headers on every response; HSTS when the site is served over HTTPS."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        docs = scope["path"] == "/docs"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413 JSON: by Content-Length up front, else while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        detail = f"request body larger than {self.max_bytes} bytes"
        length = Headers(scope=scope).get("content-length")
        if length is not None and not length.isdigit():
            return await _send_json(send, 400, "invalid Content-Length header")
        if length is not None and int(length) > self.max_bytes:
            return await _send_json(send, 413, detail)

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(detail)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_json(send, 413, detail)


class _TooLarge(HTTPException):
    # An HTTPException, so that FastAPI's body parsing lets it through (to the app's JSON error handler)
    # instead of turning it into a 400.
    def __init__(self, detail: str) -> None:
        super().__init__(413, detail)


def client_address(scope: Scope, trusted: Sequence[IPNetwork]) -> str:
    """The address a request came from: the peer's, or, when the peer is one of the ``trusted`` proxies,
    the nearest address of ``X-Forwarded-For`` that is not itself a trusted proxy.

    Read from the right: a proxy appends the address it saw, so everything left of the last trusted hop
    is what the client chose to send and is never believed.
    """
    client = scope.get("client")
    peer = client[0] if client else "-"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded = ",".join(Headers(scope=scope).getlist("x-forwarded-for"))
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _ip(hop) else peer  # a malformed hop from the trusted side: count it on the proxy
        peer = hop
    return peer


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip.version == net.version and ip in net for net in trusted)


def _rate_key(address: str) -> str:
    # One IPv6 client holds a whole /64: counting each address apart would let it rotate through them.
    ip = _ip(address)
    if ip is not None and ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return address


def answers(scope: Scope) -> bool:
    """Whether a request makes the assistant search, answer or write: every POST, the JSON API (but
    ``/healthz``) and the aid finder with a profile (``/aids?q=``)."""
    path = scope["path"]
    if scope["method"] not in ("GET", "HEAD"):
        return True
    if path.startswith("/api/"):
        return True
    return path.rstrip("/") == "/aids" and any(
        k == "q" and v.strip() for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")))


class RateLimit:
    """At most ``per_minute`` answering requests (see :func:`answers`) per client address in any sliding
    minute (429 + Retry-After). The address is the peer's, or the one forwarded by a trusted proxy."""

    def __init__(self, app: ASGIApp, per_minute: int, trusted_proxies: Sequence[str] = ()) -> None:
        self.app = app
        self.per_minute = per_minute
        self.trusted = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
        self.hits: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def retry_after(self, client: str, now: float) -> float:
        """0 if the request may go ahead (and count it), else seconds until it may."""
        with self.lock:
            window = self.hits.setdefault(client, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= self.per_minute:
                return window[0] + 60 - now
            window.append(now)
            if len(self.hits) > 10_000:  # forget idle clients so the table cannot grow without bound
                for key in [k for k, v in self.hits.items() if not v or v[-1] <= now - 60]:
                    del self.hits[key]
            return 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.per_minute <= 0 or not answers(scope):
            return await self.app(scope, receive, send)
        wait = self.retry_after(_rate_key(client_address(scope, self.trusted)), time.monotonic())
        if wait > 0:
            headers = {"Retry-After": str(max(1, math.ceil(wait)))}
            detail = "too many requests; slow down"
            if scope["path"].startswith("/api/"):
                return await _send_json(send, 429, detail, headers)
            from web.app import error_response  # the app's error page, in the page's language

            return await error_response(Request(scope), 429, detail, headers)(scope, receive, send)
        await self.app(scope, receive, send)


def csrf_token(owner: str) -> str:
    """The token a form posted by the browser holding ``owner`` must carry (field ``csrf``).

    Derived from the cookie, so it needs no server state and survives restarts and workers: a page of
    another site can neither read the HttpOnly cookie nor, so, compute the token.
    """
    return hashlib.sha256(b"csrf:" + owner.encode()).hexdigest()[:32]


def _unsafe(scope: Scope) -> bool:
    return scope["method"] not in ("GET", "HEAD", "OPTIONS")


def _is_json(scope: Scope) -> bool:
    # A form of another site can only send form types or text/plain; JSON needs a CORS preflight, which
    # this app never grants. So a JSON request without a cookie is a script of its own, not a victim.
    return Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower() == "application/json"


class OwnerCookie:
    """Give each browser a random owner token (``request.state.owner``), set as a cookie if it had none.

    The token only scopes the list of "your conversations"; a conversation itself is reached by its id.

    A cookie is only ever minted on a safe request (a page load) or a JSON one: a form posted from
    another site arrives without the cookie (SameSite=Lax), and answering it with a new one would replace
    the victim's, and with it every conversation they own. Such a post, and any post that a browser
    marks as coming from another site or origin (``Sec-Fetch-Site``, which also covers another port of
    the same host), is refused with 403. Form routes check :func:`csrf_token` besides (``web.pages``).
    """

    NAME = "owner"
    _VALID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

    def __init__(self, app: ASGIApp, secure: bool = False) -> None:
        self.app = app
        self.attributes = "Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        token = Request(scope).cookies.get(self.NAME, "")
        fresh = not self._VALID.fullmatch(token)
        if _unsafe(scope):
            refusal = self._refusal(scope, fresh)
            if refusal:
                return await _forbidden(scope, receive, send, refusal)
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["owner"] = token

        async def send_with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("set-cookie", f"{self.NAME}={token}; {self.attributes}")
            await send(message)

        await self.app(scope, receive, send_with_cookie if fresh else send)

    @staticmethod
    def _refusal(scope: Scope, fresh: bool) -> str | None:
        site = Headers(scope=scope).get("sec-fetch-site", "")
        if site in ("cross-site", "same-site"):
            return "this request came from another site; post from this site's own pages"
        if fresh and not _is_json(scope):
            return "this form was sent without this site's cookie: reload the page and send it again"
        return None


async def _forbidden(scope: Scope, receive: Receive, send: Send, detail: str) -> None:
    if scope["path"].startswith("/api/"):
        return await _send_json(send, 403, detail)
    from web.app import error_response  # the app's error page, in the page's language

    await error_response(Request(scope), 403, detail)(scope, receive, send)
