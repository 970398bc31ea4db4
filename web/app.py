"""The application factory: wires settings, the assistant and the conversation store into FastAPI.

Nothing happens at import time. ``create_app`` receives its dependencies (tests pass their own); what
it is not given it builds on startup, from the settings.

Errors are translated in one place: JSON ``{"detail": ...}`` for the API (``/api/...``, ``/healthz``),
a small HTML page for the browser pages. A bad request is always a 4xx, never a 5xx.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from assistant.errors import AssistantError, InvalidQueryError, NotFoundError
from assistant.service import Assistant
from assistant.settings import Settings, get_settings
from web import api, pages
from web.middleware import BodyLimit, OwnerCookie, RateLimit, SecurityHeaders
from web.store import STORE_UNAVAILABLE, Store, StoreUnavailable, reason
from web.templating import render

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
# How `assistant serve` runs uvicorn. Its own proxy handling is off: it would believe X-Forwarded-For
# from any loopback peer, so a client there could rotate it past the rate limit; the app reads the
# header itself, from TRUSTED_PROXIES only (middleware.client_address). A connection that sends no
# request for 5 s is closed.
SERVER_OPTIONS: dict[str, Any] = {"proxy_headers": False, "timeout_keep_alive": 5}


def create_app(settings: Settings | None = None, assistant: Assistant | None = None,
               store: Store | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Opening the index loads the embedding model: seconds, so in a worker thread, once.
        app.state.assistant = assistant or await anyio.to_thread.run_sync(Assistant.from_settings, settings)
        app.state.store = store or Store.for_settings(settings)
        # The aid cards' vectors (first use: the encoder reads every card in each language, seconds) are
        # made now, beside the first requests, rather than by the first question that asks for an aid.
        warm = getattr(app.state.assistant, "warm_aids", None)
        if warm is not None:
            threading.Thread(target=warm, name="warm-aids", daemon=True).start()
        yield
        if store is None:  # its own: the pool's connections closed, not left to the server's timeout
            app.state.store.close()

    app = FastAPI(
        title="Culture & digital assistant",
        description="Cited answers about French and European cultural-policy documents.",
        lifespan=lifespan,
        # Starlette's own slash redirect writes the request's Host into Location; ours (_slash_twin) is a
        # path of the app's.
        redirect_slashes=False,
        # /docs is ours (web/pages.py): Swagger UI vendored under /static, started from a file, so that
        # its CSP allows no inline script and no CDN; FastAPI's own loads both.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(AssistantError, _assistant_error)  # type: ignore[arg-type]
    for unavailable in StoreUnavailable:
        app.add_exception_handler(unavailable, _store_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _server_error)

    # Outermost last: headers on every response, then the owner cookie, the size limit, the rate limit.
    app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute, trusted_proxies=settings.trusted_proxies)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(OwnerCookie, secure=settings.https_only)
    app.add_middleware(SecurityHeaders, hsts=settings.https_only)
    return app


def is_api(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/healthz" or path.startswith("/docs") or path == "/openapi.json"


def error_response(request: Request, status: int, detail: object, headers: dict[str, str] | None = None) -> Response:
    if is_api(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    key = "not_found" if status == 404 else "server_error" if status >= 500 else "bad_request"
    message = detail if isinstance(detail, str) else ""
    response = render(request, "error.html", {"status": status, "title_key": key, "message": message},
                      status_code=status)
    if headers:
        response.headers.update(headers)
    return response


def _slash_twin(request: Request) -> str | None:
    """For a path no route matched, the app's own literal path that differs from it by a trailing slash
    ("/aids/" → "/aids"), with the query: a relative Location that cannot leave the site."""
    if "route" in request.scope:
        return None
    path = request.scope["path"]
    twin = path[:-1] if path.endswith("/") else f"{path}/"
    for route in (*pages.router.routes, *api.router.routes):
        if isinstance(route, APIRoute) and not route.param_convertors and route.path == twin \
                and request.method in route.methods:
            query = request.scope.get("query_string", b"").decode("latin-1")
            return f"{route.path}?{query}" if query else route.path
    return None


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404 and (twin := _slash_twin(request)):
        return RedirectResponse(twin, status_code=307)
    return error_response(request, exc.status_code, exc.detail, exc.headers)  # type: ignore[arg-type]


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    # Keep where and why; drop the echoed input, which can be long and is the client's own anyway.
    errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
    return error_response(request, 422, jsonable_encoder(errors))


async def _assistant_error(request: Request, exc: AssistantError) -> Response:
    status = 404 if isinstance(exc, NotFoundError) else 422 if isinstance(exc, InvalidQueryError) else 400
    return error_response(request, status, str(exc))


async def _store_error(request: Request, exc: Exception) -> Response:
    """The database is down, restarting or failing over: the client may try again. (Any other database
    error is a bug: a 500 with its traceback in the log.)"""
    log.warning("conversations database unavailable on %s %s: %s", request.method, request.url.path, reason(exc))
    return error_response(request, 503, STORE_UNAVAILABLE, {"Retry-After": "5"})


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "internal error")
