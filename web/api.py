"""The JSON API: search, chat (whole or streamed), conversations, feedback, funding aids."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel

from assistant.errors import AssistantError
from assistant.schemas import ChatResponse, SearchResponse
from web import chat, export, i18n
from web.deps import AssistantDep, OwnerDep, SettingsDep, StoreDep
from web.schemas import ChatRequest, ConversationPatch, FeedbackRequest, Problem, WebChatResponse
from web.store import ID_PATTERN, STORE_UNAVAILABLE, Conversation, StoreUnavailable

log = logging.getLogger(__name__)


def problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


router = APIRouter(responses={
    400: problem("malformed body"), 413: problem("request body too large"), 422: problem("invalid request"), 429: problem("rate limit reached"),
})
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem("unknown conversation")}
FOREIGN: Responses = {403: problem("a conversation of another browser")}


def json_response(model: BaseModel) -> Response:
    """A model the assistant built and validated, serialised as it is (see ``chat_once``)."""
    return Response(model.model_dump_json(), media_type="application/json")


class MarkdownResponse(PlainTextResponse):
    media_type = "text/markdown"


class CSVResponse(PlainTextResponse):
    media_type = "text/csv"

ConversationId = Annotated[str, Path(pattern=ID_PATTERN, description="32 hex characters")]
AID_ID = r"^[a-z0-9][a-z0-9-]{0,99}$"
# A facet value: one short line of text (values are exact, e.g. "video-games", "CNC").
FacetValue = Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
Lang = Annotated[Literal["fr", "en", "ar"] | None, Query(description="language of the summaries and the profile")]


@router.get("/healthz", tags=["meta"])
def healthz(assistant: AssistantDep) -> dict[str, object]:
    return {"status": "ok", "passages": assistant.count()}


@router.get("/api/search", response_model=SearchResponse, tags=["search"])
def search(assistant: AssistantDep, settings: SettingsDep,
           q: Annotated[str, Query(min_length=1, max_length=10_000)],
           k: Annotated[int, Query(ge=1)] = 10,
           lang: Lang = None) -> Response:
    if k > settings.max_k:
        raise HTTPException(422, f"k must be between 1 and {settings.max_k}")
    if len(q) > settings.max_message_chars:
        raise HTTPException(422, f"q is too long (at most {settings.max_message_chars} characters)")
    return json_response(assistant.search(q, k=k, lang=lang))


# --- chat -----------------------------------------------------------------------------------------------


def chat_turn(body: ChatRequest, store: StoreDep, owner: OwnerDep, settings: SettingsDep) -> chat.ChatTurn:
    return chat.prepare(body, store, owner, settings)


ChatTurnDep = Annotated[chat.ChatTurn, Depends(chat_turn)]


@router.post("/api/chat", response_model=WebChatResponse, tags=["chat"], responses={**NOT_FOUND, **FOREIGN})
def chat_once(body: ChatRequest, assistant: AssistantDep, store: StoreDep, owner: OwnerDep,
              settings: SettingsDep) -> Response:
    # The whole turn in one trip to the thread pool (finding the conversation, answering, storing), and
    # serialised here: FastAPI would validate the answer against `response_model` once more, in a
    # further trip, before serialising it.
    turn = chat.prepare(body, store, owner, settings)
    response = chat.record(turn, assistant.answer(turn.message, turn.history), store)
    return json_response(response)


class _Started:
    """The assistant's stream with its first event already taken."""

    def __init__(self, events: Generator[tuple[str, object], None, None], first: tuple[str, object]) -> None:
        self.events = events
        self.first: tuple[str, object] | None = first


def started_stream(turn: ChatTurnDep, assistant: AssistantDep) -> Iterator[_Started]:
    # The first step runs before the response starts, so a question the assistant refuses to search
    # (InvalidQueryError) is a 422, as on /api/chat, rather than an `error` event after a 200.
    events = assistant.stream(turn.message, turn.history)
    started = _Started(events, next(events))
    try:
        yield started
    finally:
        # Runs when the request ends, also when the browser went away mid-answer: the assistant's
        # generator is closed (its own cleanup runs) rather than left to the garbage collector.
        events.close()


@router.post("/api/chat/stream", response_class=EventSourceResponse, tags=["chat"],
             responses={200: {"description": "`token` events (JSON strings), then `citations` (the whole answer, "
                                             "as /api/chat returns it), then `done`; `error` on failure"},
                        **NOT_FOUND, **FOREIGN})
async def chat_stream(turn: ChatTurnDep, stream: Annotated[_Started, Depends(started_stream)],
                      store: StoreDep) -> AsyncIterator[ServerSentEvent]:
    def pull() -> tuple[str, object] | None:
        if stream.first is not None:
            item, stream.first = stream.first, None
            return item
        return next(stream.events, None)

    try:
        # When the browser goes away this generator is no longer pulled: no further step of the
        # assistant runs, and `started_stream` closes the assistant's generator. `run_sync` must not
        # abandon its thread on cancellation (anyio's default): the close then waits for the chunk in
        # progress, instead of meeting the generator still running in that thread ("generator already
        # executing", tests/web/test_stream_close.py).
        while (item := await anyio.to_thread.run_sync(pull)) is not None:
            kind, value = item
            if kind == "token":
                yield ServerSentEvent(event="token", data=value)
            elif kind == "final" and isinstance(value, ChatResponse):
                answer = await anyio.to_thread.run_sync(chat.record, turn, value, store)
                yield ServerSentEvent(event="citations", data=answer)
        yield ServerSentEvent(event="done", data={})
    except AssistantError as exc:
        yield ServerSentEvent(event="error", data={"detail": str(exc)})
    except HTTPException as exc:  # the conversation was deleted while the answer streamed
        yield ServerSentEvent(event="error", data={"detail": exc.detail})
    except StoreUnavailable:
        log.warning("streamed answer not stored: the conversations database is unavailable", exc_info=True)
        yield ServerSentEvent(event="error", data={"detail": STORE_UNAVAILABLE})
    except Exception:
        log.exception("streamed answer failed")
        yield ServerSentEvent(event="error", data={"detail": "internal error"})


# --- conversations --------------------------------------------------------------------------------------


def _conversation(store: StoreDep, conversation_id: ConversationId) -> Conversation:
    conversation = store.conversation(conversation_id)
    if conversation is None:
        raise HTTPException(404, "unknown conversation")
    return conversation


ConversationDep = Annotated[Conversation, Depends(_conversation)]


SearchText = Annotated[str, Query(max_length=200, description="words a title or a message holds")]


@router.get("/api/conversations", tags=["conversations"])
def list_conversations(store: StoreDep, owner: OwnerDep, q: SearchText = "") -> dict[str, list[dict[str, Any]]]:
    """This browser's conversations (scoped by its cookie), most recently active first; with ``q``,
    those whose title or a message holds it."""
    return {"conversations": [
        {"id": c.id, "title": c.title, "created": c.created, "updated": c.updated, "url": f"/c/{c.id}"}
        for c in store.conversations(owner, q=q)
    ]}


def owned_conversation(conversation: ConversationDep, owner: OwnerDep) -> Conversation:
    """The conversation, for its owner only (another browser may read a shared link, not change it)."""
    if conversation.owner != owner:
        raise HTTPException(403, "only the browser that started this conversation may change it")
    return conversation


OwnedConversation = Annotated[Conversation, Depends(owned_conversation)]


@router.patch("/api/conversations/{conversation_id}", tags=["conversations"], responses={**NOT_FOUND, **FOREIGN})
def rename_conversation(body: ConversationPatch, conversation: OwnedConversation, store: StoreDep) -> dict[str, str]:
    store.rename(conversation.id, body.title)
    renamed = store.conversation(conversation.id)
    assert renamed is not None
    return {"id": renamed.id, "title": renamed.title}


@router.delete("/api/conversations/{conversation_id}", tags=["conversations"], status_code=204,
               responses={**NOT_FOUND, **FOREIGN})
def delete_conversation(conversation: OwnedConversation, store: StoreDep) -> Response:
    """Delete the conversation with its messages and their feedback (gone from the database)."""
    store.delete(conversation.id)
    return Response(status_code=204)


@router.get("/api/conversations/{conversation_id}", tags=["conversations"], responses=NOT_FOUND)
def get_conversation(conversation: ConversationDep, owner: OwnerDep) -> dict[str, Any]:
    return export.conversation_json(conversation, owned=conversation.owner == owner)


@router.get("/api/conversations/{conversation_id}/export.md", response_class=MarkdownResponse,
            tags=["conversations"], responses=NOT_FOUND)
def export_conversation(request: Request, conversation: ConversationDep, assistant: AssistantDep) -> Response:
    """The conversation as Markdown, its headings in the reader's language, its links absolute."""
    lang, _ = i18n.choose(request)
    return MarkdownResponse(
        export.conversation_markdown(conversation, assistant, lang, str(request.base_url)),
        headers={"Content-Disposition": f'attachment; filename="conversation-{conversation.id[:8]}.md"'},
    )


@router.post("/api/feedback", tags=["feedback"], status_code=201,
             responses={404: problem("unknown answer"), 403: problem("an answer given to another browser")})
def feedback(body: FeedbackRequest, store: StoreDep, owner: OwnerDep) -> dict[str, str]:
    save_feedback(store, owner, body)
    return {"status": "recorded", "message_id": body.message_id}


def save_feedback(store: StoreDep, owner: str, body: FeedbackRequest) -> None:
    message = store.message(body.message_id)
    if message is None or message.role != "assistant":
        raise HTTPException(404, "unknown answer")
    if store.owner_of_message(body.message_id) != owner:
        raise HTTPException(403, "only the browser that asked may rate this answer")
    store.add_feedback(body.message_id, body.vote, list(dict.fromkeys(body.reasons)), body.comment)


# --- funding aids ---------------------------------------------------------------------------------------


def aid_filters(sector: FacetValue = None, beneficiary: FacetValue = None, kind: FacetValue = None,
                operator: FacetValue = None, stage: FacetValue = None) -> dict[str, str]:
    """Exact facet values; several combine (an aid must carry all of them)."""
    given = {"sector": sector, "beneficiary": beneficiary, "kind": kind, "operator": operator, "stage": stage}
    return {facet: value for facet, value in given.items() if value is not None}


AidFilters = Annotated[dict[str, str], Depends(aid_filters)]
Profile = Annotated[str | None, Query(max_length=10_000, description="free-text profile, in FR/EN/AR")]


def find_aids(assistant: AssistantDep, settings: SettingsDep, filters: AidFilters, q: Profile = None,
              lang: Lang = None) -> dict[str, Any]:
    if q is not None and len(q) > settings.max_message_chars:
        raise HTTPException(422, f"q is too long (at most {settings.max_message_chars} characters)")
    return assistant.search_aids(q if q and q.strip() else None, filters, lang)


AidsDep = Annotated[dict[str, Any], Depends(find_aids)]


@router.get("/api/aids", tags=["aids"])
def list_aids(found: AidsDep) -> dict[str, Any]:
    return found


@router.get("/api/aids.csv", tags=["aids"], response_class=CSVResponse)
def aids_csv(found: AidsDep, lang: Lang = None) -> Response:
    return CSVResponse(export.aids_csv(found["aids"], lang or "fr"),
                       headers={"Content-Disposition": 'attachment; filename="aids.csv"'})


@router.get("/api/aids/{aid_id}", tags=["aids"], responses={404: problem("unknown aid")})
def get_aid(assistant: AssistantDep, aid_id: Annotated[str, Path(pattern=AID_ID)]) -> dict[str, Any]:
    return assistant.aid(aid_id)
