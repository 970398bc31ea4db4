"""ASGI middleware: security headers, a request-size limit and an optional per-client rate limit.

Plain ASGI rather than ``BaseHTTPMiddleware`` so that streamed answers pass through untouched.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
from collections import deque

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
# Swagger UI (/docs) is FastAPI's page: it loads its script from a CDN and starts it inline.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
            "frame-ancestors 'none'")


async def _send_json(send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        docs = scope["path"] in ("/docs", "/redoc", "/docs/oauth2-redirect")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
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


class RateLimit:
    """At most ``per_minute`` API requests per client address in any sliding minute (429 + Retry-After)."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.per_minute = per_minute
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
        if scope["type"] != "http" or self.per_minute <= 0 or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        client = scope.get("client")
        wait = self.retry_after(client[0] if client else "-", time.monotonic())
        if wait > 0:
            return await _send_json(send, 429, "too many requests; slow down",
                                    {"Retry-After": str(max(1, math.ceil(wait)))})
        await self.app(scope, receive, send)


class OwnerCookie:
    """Give each browser a random owner token (``request.state.owner``), set as a cookie if it had none.

    The token only scopes the list of "your conversations"; a conversation itself is reached by its id.
    """

    NAME = "owner"
    _VALID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        token = Request(scope).cookies.get(self.NAME, "")
        fresh = not self._VALID.fullmatch(token)
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["owner"] = token

        async def send_with_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(
                    "set-cookie", f"{self.NAME}={token}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie if fresh else send)
