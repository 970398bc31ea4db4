"""Jinja2 with autoescape always on, the filters that turn answers into safe markup, and page rendering.

Text from questions, answers and passages only ever reaches a page through ``escape``: the filters
build markup around escaped text and never let a string through as HTML.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi.routing import APIRoute
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from web import i18n
from web.middleware import csrf_token

TEMPLATES = Path(__file__).with_name("templates")
_MARKER = re.compile(r"\[(\d{1,3})\]")

env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _isotime(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _shorttime(epoch: float) -> str:
    """A conversation's date as a list shows it: the day, and the time for today's (UTC)."""
    day = time.strftime("%Y-%m-%d", time.gmtime(epoch))
    return time.strftime("%H:%M", time.gmtime(epoch)) if day == time.strftime("%Y-%m-%d", time.gmtime()) else day


def _fill(template: str, **values: object) -> Markup:
    """A translated sentence with its blanks filled, each value isolated for bidi (``<bdi>``): a French
    title inside an Arabic sentence keeps its own direction and its quote marks where they belong."""
    return Markup(escape(template)).format(**{k: Markup("<bdi>{}</bdi>").format(v) for k, v in values.items()})


env.filters["fill"] = _fill
env.filters["isotime"] = _isotime
env.filters["shorttime"] = _shorttime


def _citation_link(n: int, target: str, lang: str) -> Markup:
    """``target``: a passage id, or ``<id>?s=<sentence indexes>`` when the answer quotes those sentences."""
    pid, _, marks = target.partition("?s=")
    extra = f"&s={marks}" if marks else ""
    return Markup(
        '<a class="cite" href="/passages/{pid}?tr={lang}{extra}#p-{pid}" data-citation="{n}" data-passage-id="{pid}" '
        'hx-get="/passages/{pid}?tr={lang}{extra}" hx-target="#passage-body" hx-swap="innerHTML">[{n}]</a>'
    ).format(pid=pid, n=n, lang=lang, extra=extra)


def _inline(text: str, citations: dict[int, str], lang: str) -> Markup:
    out: list[Markup | str] = []
    last = 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if n not in citations:
            continue
        out.append(escape(text[last : m.start()]))
        out.append(_citation_link(n, citations[n], lang))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def answer_html(text: str, citations: dict[int, str], lang: str) -> Markup:
    """Paragraphs and ``- `` lists of an answer, with each known ``[n]`` marker as a citation link."""
    blocks: list[Markup] = []
    items: list[Markup] = []
    for line in text.splitlines():
        if line.startswith("- "):
            items.append(Markup("<li>{}</li>").format(_inline(line[2:], citations, lang)))
            continue
        if items:
            blocks.append(Markup("<ul>{}</ul>").format(Markup("").join(items)))
            items = []
        if line.strip():
            blocks.append(Markup("<p>{}</p>").format(_inline(line, citations, lang)))
    if items:
        blocks.append(Markup("<ul>{}</ul>").format(Markup("").join(items)))
    return Markup("").join(blocks)


env.filters["answer_html"] = answer_html
env.globals["dir_of"] = i18n.direction
env.globals["LANG_NAMES"] = i18n.NAMES
env.globals["LANGS"] = i18n.LANGS


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           fragment: bool = False) -> HTMLResponse:
    """A page (or, with ``fragment``, a partial) in the request's interface language."""
    lang, chosen = i18n.choose(request)
    ctx = {
        "request": request,
        "lang": lang,
        "dir": i18n.direction(lang),
        "ui": i18n.Translator(lang),
        "lang_url": lambda code: _relative(request, lang=code),
        "csrf": csrf_token(request.state.owner) if hasattr(request.state, "owner") else "",
        **(context or {}),
    }
    response = HTMLResponse(env.get_template(name).render(ctx), status_code=status_code)
    if chosen:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True,
                            secure=_https_only(request))
    # Pages and htmx fragments share URLs: caches must keep them apart.
    response.headers["Vary"] = "HX-Request, Accept-Language, Cookie"
    if not fragment:
        response.headers["Cache-Control"] = "no-store"
    return response


def _https_only(request: Request) -> bool:
    settings = getattr(getattr(request.scope.get("app"), "state", None), "settings", None)
    return bool(getattr(settings, "https_only", False))


def _relative(request: Request, **params: str) -> str:
    query = request.url.include_query_params(**params).query
    return f"{own_path(request)}?{query}"


def own_path(request: Request) -> str:
    """The page's path as the app spells it: its route's path with the parameters quoted, or "/" where no
    page of the app matched (a 404, a static file). Never the request's own path: "//evil.example/x",
    "/%2F%2Fevil.example" or "/\\evil.example" would be a link off the site."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return "/"
    path = route.path_format
    for name, value in request.path_params.items():
        path = path.replace(f"{{{name}}}", quote(str(value), safe=""))
    return path


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
