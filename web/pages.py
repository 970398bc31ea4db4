"""The browser pages: chat, conversations, passages, funding aids.

Each route answers a full page, or the partial it is made of when htmx asks (``HX-Request``).
The forms work without JavaScript too: they post here and are redirected back (post/redirect/get).
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from assistant.errors import NotFoundError
from assistant.service import Assistant
from web import chat, i18n
from web.api import save_feedback
from web.deps import AssistantDep, OwnerDep, SettingsDep, StoreDep
from web.middleware import csrf_token
from web.schemas import REASONS, ChatRequest, ConversationPatch, FeedbackRequest
from web.store import Conversation, Message, is_id
from web.templating import is_htmx, render
from vectorstore.text import fold

router = APIRouter(include_in_schema=False)

_PASSAGE_ID = re.compile(r"^[0-9a-f]{8,64}$")
_FACET_VALUE = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
FACETS = ("sector", "beneficiary", "kind", "operator", "stage")


# --- views: what templates receive ---------------------------------------------------------------------


def message_view(m: Message, assistant: Assistant) -> dict[str, Any]:
    sources = []
    links: dict[int, str] = {}
    answer = fold(m.content)
    for n, pid in m.citations:
        try:
            p = assistant.passage(pid)
            heading, heading_lang, title, title_lang = assistant.source_label(p, m.language)  # the reader's language
            sources.append({"n": n, "passage_id": pid, "title": title, "title_language": title_lang, "heading": heading,
                            "section": p.section, "language": heading_lang, "missing": False})
            # the sentences of the passage the answer quotes (as shown in its language): marked when opened
            shown = p.sentences_in(m.language) if p.has_text_in(m.language) else p.sentences_in(p.language)
            quoted = [i for i, sentence in enumerate(shown) if len(sentence) > 20 and fold(sentence) in answer]
            links[n] = f"{pid}?s={'.'.join(map(str, quoted[:MAX_MARKED]))}" if quoted else pid
        except NotFoundError:  # the index was rebuilt since: keep the number, say the passage is gone
            sources.append({"n": n, "passage_id": pid, "missing": True})
            links[n] = pid
    return {"m": m, "links": links, "sources": sources}


MAX_MARKED = 12  # sentences a link may ask the passage page to mark


def marked(s: str) -> set[int]:
    """``s=0.2`` of a passage link: the indexes of the sentences to mark (anything else: none)."""
    return {int(x) for x in s.split(".")[:MAX_MARKED] if x.isdigit() and len(x) <= 3}


def _toc(assistant: Assistant, lang: str) -> list[dict[str, Any]]:
    def title(entry: dict[str, Any]) -> str:
        return str(entry.get("translations", {}).get(lang) or entry["title"])

    return [{"title": title(axis), "passage_id": axis["passage_id"],
             "children": [{"title": title(c), "passage_id": c["passage_id"]} for c in axis["children"]]}
            for axis in assistant.toc()]


def _chat_page(request: Request, assistant: Assistant, store: StoreDep, owner: str, settings: SettingsDep,
               conversation: Conversation | None = None, q: str = "") -> Response:
    lang, _ = i18n.choose(request)
    owned = conversation is None or conversation.owner == owner
    return render(request, "chat.html", {
        "conversation": conversation,
        "owned": owned,
        "messages": [message_view(m, assistant) for m in conversation.messages] if conversation else [],
        "conversations": store.conversations(owner, q=q),
        "q": q,
        "current_id": conversation.id if conversation else "",
        "suggestions": i18n.SUGGESTIONS[lang],
        "toc": _toc(assistant, lang),
        "max_chars": settings.max_message_chars,
        "reasons": REASONS,
    })


def _conversation_or_404(store: StoreDep, conversation_id: str) -> Conversation:
    conversation = store.conversation(conversation_id) if is_id(conversation_id) else None
    if conversation is None:
        raise HTTPException(404, "unknown conversation")
    return conversation


# --- chat -----------------------------------------------------------------------------------------------


SearchText = Annotated[str, Query(max_length=200)]


@router.get("/")
def home(request: Request, assistant: AssistantDep, store: StoreDep, owner: OwnerDep,
         settings: SettingsDep, q: SearchText = "") -> Response:
    return _chat_page(request, assistant, store, owner, settings, q=q)


_SHOWN = re.compile(r"/c/([0-9a-f]{32})(?![0-9a-f])")


def _shown(request: Request) -> str:
    """The conversation the page that sent this htmx request shows, if any."""
    found = _SHOWN.search(request.headers.get("HX-Current-URL", ""))
    return found.group(1) if found else ""


def _conversation_list(request: Request, store: StoreDep, owner: str, q: str = "") -> Response:
    return render(request, "_conversations.html", {"conversations": store.conversations(owner, q=q), "q": q,
                                                   "current_id": _shown(request)}, fragment=True)


@router.get("/c")
def conversations(request: Request, store: StoreDep, owner: OwnerDep, q: SearchText = "") -> Response:
    if not is_htmx(request):
        return RedirectResponse("/" + (f"?{urlencode({'q': q})}" if q else ""), status_code=303)
    return _conversation_list(request, store, owner, q)


@router.get("/c/{conversation_id}")
def conversation_page(request: Request, conversation_id: str, assistant: AssistantDep, store: StoreDep,
                      owner: OwnerDep, settings: SettingsDep) -> Response:
    conversation = _conversation_or_404(store, conversation_id)
    return _chat_page(request, assistant, store, owner, settings, conversation)


@router.get("/c/{conversation_id}/messages/{message_id}")
def message_fragment(request: Request, conversation_id: str, message_id: str, assistant: AssistantDep,
                     store: StoreDep, owner: OwnerDep) -> Response:
    message = store.message(message_id) if is_id(message_id) else None
    if message is None or message.conversation_id != conversation_id:
        raise HTTPException(404, "unknown message")
    owned = store.owner_of_message(message_id) == owner
    return render(request, "_message.html", {**message_view(message, assistant), "owned": owned,
                                             "reasons": REASONS}, fragment=True)


def check_form_token(owner: OwnerDep, csrf: Annotated[str, Form(max_length=100)] = "") -> None:
    """Every form post carries the token of the page it came from (``middleware.csrf_token``): a form of
    another origin of the same site (another port) is sent with the cookie, but cannot know the token."""
    if not secrets.compare_digest(csrf, csrf_token(owner)):
        raise HTTPException(403, "this form is out of date or came from another site: "
                                 "reload the page and send it again")


FormToken = Depends(check_form_token)


def _owned_or_403(store: StoreDep, conversation_id: str, owner: str) -> Conversation:
    conversation = _conversation_or_404(store, conversation_id)
    if conversation.owner != owner:
        raise HTTPException(403, "only the browser that started this conversation may change it")
    return conversation


@router.post("/c/{conversation_id}/rename", dependencies=[FormToken])
def rename_form(request: Request, conversation_id: str, title: Annotated[str, Form(max_length=10_000)],
                store: StoreDep, owner: OwnerDep) -> Response:
    conversation = _owned_or_403(store, conversation_id, owner)
    try:
        body = ConversationPatch(title=title)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    store.rename(conversation.id, body.title)
    if not is_htmx(request):
        return RedirectResponse(f"/c/{conversation.id}", status_code=303)
    return _conversation_list(request, store, owner)


@router.post("/c/{conversation_id}/delete", dependencies=[FormToken])
def delete_form(request: Request, conversation_id: str, store: StoreDep, owner: OwnerDep) -> Response:
    conversation = _owned_or_403(store, conversation_id, owner)
    store.delete(conversation.id)
    if not is_htmx(request):
        return RedirectResponse("/", status_code=303)
    if _shown(request) == conversation.id:  # the page shown is gone: to a new chat
        return Response(status_code=200, headers={"HX-Redirect": "/"})
    return _conversation_list(request, store, owner)


@router.post("/chat", dependencies=[FormToken])
def chat_form(message: Annotated[str, Form(max_length=100_000)], assistant: AssistantDep, store: StoreDep,
              owner: OwnerDep, settings: SettingsDep,
              conversation_id: Annotated[str, Form(max_length=100)] = "") -> Response:
    """The question form without JavaScript: answer, store, and show the conversation."""
    try:
        body = ChatRequest(message=message, conversation_id=conversation_id or None)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    turn = chat.prepare(body, store, owner, settings)
    answer = chat.record(turn, assistant.answer(turn.message, turn.history), store)
    return RedirectResponse(f"/c/{answer.conversation_id}#m-{answer.message_id}", status_code=303)


@router.post("/m/{message_id}/feedback", dependencies=[FormToken])
def feedback_form(request: Request, message_id: str, store: StoreDep, owner: OwnerDep, assistant: AssistantDep,
                  vote: Annotated[str, Form(max_length=10)],
                  reasons: Annotated[list[str] | None, Form(max_length=10)] = None,
                  comment: Annotated[str, Form(max_length=10_000)] = "") -> Response:
    try:
        body = FeedbackRequest(message_id=message_id, vote=vote, reasons=reasons or [], comment=comment)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    save_feedback(store, owner, body)
    message = store.message(message_id)
    assert message is not None
    if not is_htmx(request):
        return RedirectResponse(f"/c/{message.conversation_id}#m-{message_id}", status_code=303)
    return render(request, "_feedback.html", {"m": message, "owned": True, "reasons": REASONS, "saved": True},
                  fragment=True)


# --- API documentation ----------------------------------------------------------------------------------


@router.get("/docs", include_in_schema=False)
def api_docs(request: Request) -> Response:
    """Swagger UI over /openapi.json, from vendored files (no CDN: the machine may be offline)."""
    return render(request, "docs.html", {"title": request.app.title})


# --- passages -------------------------------------------------------------------------------------------


@router.get("/passages/{passage_id}")
def passage_page(request: Request, passage_id: str, assistant: AssistantDep, tr: str = "",
                 s: Annotated[str, Query(max_length=100)] = "") -> Response:
    if not _PASSAGE_ID.fullmatch(passage_id):
        raise HTTPException(404, "unknown passage")
    passage = assistant.passage(passage_id)
    document = {"id": passage.document, "title": passage.title, "publisher": "", "date": ""}
    try:
        document.update(assistant.document_info(passage.document))
    except NotFoundError:
        pass
    translation = passage.translations.get(tr) if tr != passage.language else None
    context = {"p": passage, "document": document, "translation": translation,
               "section_parts": [part for part in passage.section.split(" › ") if part],
               "marked": marked(s), "original_sentences": passage.sentences_in(passage.language),
               "translated_sentences": passage.sentences_in(tr) if translation is not None else []}
    if is_htmx(request):
        return render(request, "_passage_panel.html", context, fragment=True)
    return render(request, "passage.html", {**context, "section": assistant.section_passages(passage.passage_id),
                                            "tr": tr if tr in i18n.LANGS else ""})


# --- funding aids ---------------------------------------------------------------------------------------


@router.get("/aids")
def aids_page(request: Request, assistant: AssistantDep, settings: SettingsDep) -> Response:
    lang, _ = i18n.choose(request)
    filters: dict[str, str] = {}
    for facet in FACETS:
        value = request.query_params.get(facet, "")
        if value and not _FACET_VALUE.fullmatch(value):
            raise HTTPException(422, f"invalid {facet}")
        if value:
            filters[facet] = value
    q = request.query_params.get("q", "").strip()
    if len(q) > settings.max_message_chars:
        raise HTTPException(422, f"the profile is too long (at most {settings.max_message_chars} characters)")
    found = assistant.search_aids(q or None, filters, lang)
    # Each select offers the values the other filters leave (so a choice can be changed, not only
    # narrowed), counted over the cards that fit the profile when there is one (so no choice leads to an
    # empty list), else over the catalogue. The profile is scored once, without filters.
    fitting = assistant.search_aids(q, {}, lang)["aids"] if q else None
    options = {}
    for f in FACETS:
        others = {k: v for k, v in filters.items() if k != f}
        if fitting is None:
            options[f] = assistant.search_aids(None, others, lang)["facets"][f]
        else:
            cards = assistant.aids.carrying(fitting, others)
            counts = dict(assistant.aids.facets(cards)[f])
            if f in filters and filters[f] not in counts:  # the chosen value stays choosable (and undoable)
                counts[filters[f]] = 0
            options[f] = counts
    context = {"aids": found["aids"], "facets": options, "filters": filters, "q": q, "facet_names": FACETS,
               "nearest": found.get("nearest", []), "out_of_scope": found.get("out_of_scope", False),
               "csv_url": "/api/aids.csv?" + urlencode({**filters, **({"q": q} if q else {}), "lang": lang})}
    if is_htmx(request):
        return render(request, "_aids_body.html", {**context, "oob_status": True}, fragment=True)
    return render(request, "aids.html", {**context, "oob_status": False})
