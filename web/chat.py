"""One chat turn as the web app runs it: find the conversation and its history, ask, store the exchange.

Shared by the JSON API, the streamed API and the no-JavaScript form, so all three store the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException

from assistant.schemas import ChatResponse, Turn
from assistant.settings import Settings
from web.schemas import ChatRequest, WebChatResponse, check_limits
from web.store import Conversation, Store, new_id


@dataclass
class ChatTurn:
    message: str
    conversation_id: str
    owner: str
    history: list[Turn]


def stored_history(conversation: Conversation, settings: Settings) -> list[Turn]:
    """The latest stored turns that fit the configured history bounds."""
    turns: list[Turn] = []
    chars = 0
    for m in reversed(conversation.messages):
        if len(turns) == settings.max_history_turns or chars + len(m.content) > settings.max_history_chars:
            break
        turns.append(Turn(role=m.role, content=m.content))  # type: ignore[arg-type]
        chars += len(m.content)
    return turns[::-1]


def prepare(body: ChatRequest, store: Store, owner: str, settings: Settings) -> ChatTurn:
    """Check the request against the settings and the store; raise the HTTP error it deserves."""
    problem = check_limits(body, settings)
    if problem:
        raise HTTPException(422, problem)
    history = [Turn(role=t.role, content=t.content) for t in body.history] if body.history is not None else None
    if body.conversation_id is None:
        return ChatTurn(body.message, new_id(), owner, history or [])
    conversation = store.conversation(body.conversation_id)
    if conversation is None:
        raise HTTPException(404, "unknown conversation")
    if conversation.owner != owner:
        # Anyone with the link may read a conversation; only the browser that started it may add to it.
        raise HTTPException(403, "this conversation belongs to another browser; start a new one")
    return ChatTurn(body.message, conversation.id, owner,
                    history if history is not None else stored_history(conversation, settings))


def record(turn: ChatTurn, response: ChatResponse, store: Store) -> WebChatResponse:
    try:
        _, answer_id = store.add_exchange(turn.conversation_id, turn.owner, turn.message, response)
    except KeyError:  # deleted (in another tab, on another replica) while the question was answered
        raise HTTPException(404, "unknown conversation") from None
    # The answer is a validated ChatResponse: its fields are taken as they are, not validated again.
    return WebChatResponse.model_construct(**{**dict(response), "conversation_id": turn.conversation_id,
                                              "message_id": answer_id})
